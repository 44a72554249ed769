"""Visible tests of ex8 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex8
"""
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
