"""Visible tests of ex6 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex6
"""
from dataclasses import replace
from functools import lru_cache

from rpc_impersonation.chain import evaluate
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.scenarios import load_named


@lru_cache(maxsize=None)
def engine_result(variant):
    return load_named("seed-ncalrpc").evaluate(variant)


def check_variant(run, variant):
    r = engine_result(variant)
    got = run("who_reaches", variant)
    if not isinstance(got, dict):
        raise Failed(f"who_reaches({variant!r}) must return a dict, got {type(got).__name__}")
    for server in ("LB", "RB", "C"):
        hop = next((h for h in r.hops if h.hop.server == server), None)
        why = r.outcome if hop is None else (hop.impersonation or hop.call)
        expect(got.get(server), r.reached_as(server), f"who_reaches({variant!r})[{server!r}]", why)


@test("lb-impersonate", points=2)
def _(run):
    check_variant(run, "lb-impersonate")
