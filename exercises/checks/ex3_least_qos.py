"""Visible tests of ex3 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex3
"""
from functools import lru_cache

from rpc_impersonation.binding import Binding
from rpc_impersonation.capabilities import _world
from rpc_impersonation.engine import Engine
from rpc_impersonation.grading.spec import expect, test

TASKS = {
    "log the caller's name": ("learn the identity", "remote"),
    "check the caller against an ACL": ("check an ACL", "remote"),
    "read a file on the server as the caller": ("open a local resource", "remote"),
    "read a share on a third machine as the caller": ("reach another machine", "remote"),
    "a local service reads a network share as the caller": ("reach another machine", "local"),
    "let the back end call a further machine as the caller": ("let the next server go on", "remote"),
    "a local service checks the caller against an ACL": ("check an ACL", "local"),
}


def can(what, placement, level, mutual):
    """Ask the engine whether the server can do ``what`` with this grant."""
    engine = Engine(_world())
    binding = (Binding.of(protseq="ncalrpc", provider="ntlm", level=level) if placement == "local"
               else Binding.of(provider="kerberos", level=level, mutual_auth=mutual))
    served = engine.thread("client").call("local" if placement == "local" else "remote", binding)
    if not served.ok:
        return False, served.decision
    t = served.thread
    imp = t.rpc_impersonate_client()
    if not imp.ok:
        return False, imp
    local_file = "file@WS1" if placement == "local" else "file@SRV1"
    if what == "learn the identity":
        d = t.open_thread_token()
    elif what == "check an ACL":
        d = t.access_check(local_file)
    elif what == "open a local resource":
        d = t.open(local_file)
    elif what == "reach another machine":
        d = t.open("share@FILES")
    else:
        onward = t.call("next", Binding.of(provider="kerberos", level="delegate", mutual_auth=True))
        if not onward.ok:
            return False, onward.decision
        n = onward.thread
        n.rpc_impersonate_client()
        d = n.open("share@FILES")
    return d.ok and getattr(d, "identity", "CORP\\alice") in ("CORP\\alice", ""), d


@lru_cache(maxsize=None)
def least(task):
    what, placement = TASKS[task]
    levels = ("anonymous", "identify", "impersonate", "delegate") if placement == "local" else (
        "identify", "impersonate", "delegate")
    for level in levels:
        for mutual in (False, True):
            ok, decision = can(what, placement, level, mutual)
            if ok:
                below = can(what, placement, levels[levels.index(level) - 1], True)[1] if level != levels[0] \
                    else decision
                return level, mutual, below
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
