"""Exercise 3 - The least QOS a client should grant (notebook 03_qos)

A client should grant a server no more than the task needs. For each task below, return the least
impersonation level that lets the server do it, and whether mutual authentication is needed.
"Remote" servers run on another machine and are reached with Kerberos (trusted for delegation);
"local" ones run on the client's machine and are reached over `ncalrpc`. Over the network a
client cannot really grant Anonymous (it arrives as Identify), so for remote tasks choose among
`"identify"`, `"impersonate"`, `"delegate"`; for local ones among all four levels.

Implement `least_level(task) -> str` and `needs_mutual_auth(task) -> bool` for the tasks in `TASKS`.
"""

#: task -> (what the server does, where it runs)
TASKS = {
    "log the caller's name": ("learn the identity", "remote"),
    "check the caller against an ACL": ("check an ACL", "remote"),
    "read a file on the server as the caller": ("open a local resource", "remote"),
    "read a share on a third machine as the caller": ("reach another machine", "remote"),
    "a local service reads a network share as the caller": ("reach another machine", "local"),
    "let the back end call a further machine as the caller": ("let the next server go on", "remote"),
    "a local service checks the caller against an ACL": ("check an ACL", "local"),
}


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
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.grading.worlds import QOS_TASKS as TASKS

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.binding", "rpc_impersonation.world",
         "rpc_impersonation.errors", "rpc_impersonation.rules")


@lru_cache(maxsize=None)
def least(task):
    """The least (level, mutual authentication) that works, by asking the engine level by level."""
    what, placement = TASKS[task]
    levels = ("anonymous", "identify", "impersonate", "delegate") if placement == "local" else (
        "identify", "impersonate", "delegate")
    for level in levels:
        for mutual in (False, True):
            if run_capability(what, level=level, placement=placement, mutual_auth=mutual).allowed:
                return level, mutual
    raise AssertionError(task)


#: least level -> (rule that makes it the least, section, {tempting wrong level: misconception})
WHY = {
    ("identify", "remote"): ("R16", "02.matrix", {"impersonate": "more-is-safer", "delegate": "more-is-safer",
                                                  "anonymous": "anonymous-everywhere"}),
    ("identify", "local"): ("R16", "02.matrix", {"anonymous": "anonymous-reveals", "impersonate": "more-is-safer"}),
    ("impersonate", "remote"): ("R15", "02.matrix", {"identify": "identify-acts", "delegate": "more-is-safer"}),
    ("impersonate", "local"): ("R27", "05.session", {"delegate": "ncalrpc-no-exception",
                                                    "identify": "identify-acts"}),
    ("delegate", "remote"): ("R18", "04.conditions", {"impersonate": "impersonate-network",
                                                      "identify": "identify-acts"}),
}


def task_cases(task, hidden):
    level, mutual = least(task)
    rule, section, wrong = WHY[level, TASKS[task][1]]
    ask(f"least_level({task!r})", "least_level", task, accepted=[level], rule=rule, section=section, wrong=wrong,
        misconception="more-is-safer", hidden=hidden)
    ask(f"needs_mutual_auth({task!r})", "needs_mutual_auth", task, accepted=[mutual],
        rule="R19" if mutual else "R18", section="03.mutual",
        wrong={not mutual: "mutual-not-needed" if mutual else "more-is-safer"}, hidden=hidden, points=0.5)


VISIBLE = ("log the caller's name", "read a file on the server as the caller",
           "read a share on a third machine as the caller")
for _task in VISIBLE:
    task_cases(_task, hidden=False)
### BEGIN HIDDEN TESTS
for _task in TASKS:
    if _task not in VISIBLE:
        task_cases(_task, hidden=True)
### END HIDDEN TESTS
