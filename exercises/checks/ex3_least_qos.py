"""Visible tests of ex3 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex3
"""
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
