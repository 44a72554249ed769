"""Exercise 3 - The least QOS a client should grant (notebook 03_qos)

A client should grant a server no more than the task needs. For each task below, return the least
impersonation level that lets the server do it, and whether mutual authentication is needed.
"Remote" servers run on another machine and are reached with Kerberos (trusted for delegation);
"local" ones run on the client's machine and are reached over `ncalrpc`. Over the network a
client cannot really grant Anonymous (it arrives as Identify), so for remote tasks choose among
`"identify"`, `"impersonate"`, `"delegate"`; for local ones among all four levels.

Implement `least_level(task) -> str` and `needs_mutual_auth(task) -> bool` for the tasks in `TASKS`.
"""

from rpc_impersonation.grading.worlds import QOS_TASKS as TASKS  # task -> (what the server does, where)


def least_level(task: str) -> str:
    """The least level that lets the server do ``task``."""
    ### BEGIN SOLUTION
    what, placement = TASKS[task]
    if what in ("learn the identity", "check an ACL"):
        return "identify"
    if what == "open a local resource":
        return "impersonate"
    return "impersonate" if placement == "local" else "delegate"
    ### END SOLUTION


def needs_mutual_auth(task: str) -> bool:
    """Whether the client must ask for mutual authentication for ``task`` to work."""
    ### BEGIN SOLUTION
    return least_level(task) == "delegate"
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.grading.spec import expect, test
from rpc_impersonation.grading.worlds import QOS_TASKS as TASKS


@lru_cache(maxsize=None)
def least(task):
    """The least (level, mutual authentication) that works, and why the level below does not."""
    what, placement = TASKS[task]
    levels = ("anonymous", "identify", "impersonate", "delegate") if placement == "local" else (
        "identify", "impersonate", "delegate")
    for i, level in enumerate(levels):
        for mutual in (False, True):
            cell = run_capability(what, level=level, placement=placement, mutual_auth=mutual)
            if cell.allowed:
                below = run_capability(what, level=levels[i - 1], placement=placement) if i else cell
                return level, mutual, below.decision
    raise AssertionError(task)


def check_task(run, task):
    level, mutual, why = least(task)
    expect(run("least_level", task), level, f"least_level({task!r})", why)
    expect(run("needs_mutual_auth", task), mutual, f"needs_mutual_auth({task!r})",
           "Kerberos hands over delegable credentials only when mutual authentication was requested (R19)."
           if mutual else "Mutual authentication is not needed below Delegate.")


@test("log the caller's name")
def _(run):
    check_task(run, "log the caller's name")


@test("read a file on the server as the caller")
def _(run):
    check_task(run, "read a file on the server as the caller")
### BEGIN HIDDEN TESTS


for _task in TASKS:
    test(f"hidden: {_task}", points=1, hidden=True)(lambda run, _t=_task: check_task(run, _t))
### END HIDDEN TESTS
