"""Exercise 8 - Trace whose identity every hop acts as (notebook 04_delegation)

Implement `trace(world, client, hops)` with the engine's primitives (`Engine`, its threads'
`call`, `rpc_impersonate_client` and `acting_as`), not with its chain evaluator (`evaluate` is
switched off while your code is graded). `hops` is a list of `(server_name, binding)` pairs: the
client calls the first server, which impersonates its caller and calls the second, and so on.

Return a list with one entry per hop: the identity that server acts as after
`rpc_impersonate_client()`, or `None` for a server the request never reaches. If a call fails,
that server and all later ones get `None`. If an impersonation fails, that server acts as its own
account, refuses the request, and all later ones get `None`.
"""

from rpc_impersonation import Engine


def trace(world, client, hops) -> list:
    """Identity each server acts as, hop by hop."""
    ### BEGIN SOLUTION
    engine = Engine(world)
    thread = engine.thread(client)
    out = []
    for server, binding in hops:
        served = thread.call(server, binding)
        if not served.ok:
            break
        thread = served.thread
        result = thread.rpc_impersonate_client()
        out.append(thread.acting_as)
        if not result.ok:
            break
    return out + [None] * (len(hops) - len(out))
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.engine import Options
from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.scenarios import load_named, names

FORBID = ("rpc_impersonation.chain.evaluate", "rpc_impersonation.evaluate",
          "rpc_impersonation.scenarios.loader.evaluate")


@lru_cache(maxsize=None)
def expected(scenario, chain):
    r = load_named(scenario).evaluate(chain)
    out = []
    for h in r.hops:
        if not h.reached:
            break
        if h.impersonation is not None and not h.impersonation.ok:
            out.append(h.call.server_account)
            break
        out.append(h.acting_as)
    return out + [None] * (len(r.chain.hops) - len(out)), r


def check_chain(run, scenario, chain):
    want, r = expected(scenario, chain)
    got = run.drive("trace", scenario, chain)
    if not isinstance(got, list) or len(got) != len(want):
        raise Failed(f"trace must return a list with one entry per hop ({len(want)}), got {got!r}")
    for i, (g, w) in enumerate(zip(got, want), start=1):
        hop = r.hops[i - 1] if i <= len(r.hops) else None
        why = r.outcome if hop is None else (hop.impersonation or hop.call)
        expect(g, w, f"{scenario}/{chain}, hop {i}", why)


@test("seed-delegation/delegate", points=2)
def _(run):
    check_chain(run, "seed-delegation", "delegate")


@test("seed-ncalrpc/lb-impersonate", points=2)
def _(run):
    check_chain(run, "seed-ncalrpc", "lb-impersonate")
### BEGIN HIDDEN TESTS


def _scenario_tests(name):
    def check(run):
        for c in load_named(name).chains:
            check_chain(run, name, c.name)
    return check


for _name in names():
    _s = load_named(_name)
    if _s.options == Options() and not any(h.bound_before_impersonating for c in _s.chains for h in c.hops):
        # the core engine's scenarios whose servers impersonate before calling on (what trace() models)
        test(f"every chain of {_name}", points=1, hidden=True)(_scenario_tests(_name))
### END HIDDEN TESTS
