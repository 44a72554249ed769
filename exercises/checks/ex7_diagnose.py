"""Visible tests of ex7 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex7
"""
from functools import lru_cache

from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.rules import RULES
from rpc_impersonation.scenarios import load_named


@lru_cache(maxsize=None)
def engine_result(case):
    scenario, chain = case.split("/")
    return load_named(scenario).evaluate(chain)


def check_case(run, case):
    r = engine_result(case)
    got = run("diagnose", case)
    if not isinstance(got, dict) or set(got) != {"hop", "rule"}:
        raise Failed(f"diagnose({case!r}) must return {{'hop': n, 'rule': 'Rxx'}}, got {got!r}")
    expect(got["hop"], r.deciding_hop, f"the deciding hop of {case}", r.outcome)
    if got["rule"] not in r.outcome.rules:
        named = ", ".join(f"{x} ({RULES[x].title})" for x in r.outcome.rules)
        raise Failed(f"{got['rule']!r} did not decide {case}; the engine names {named}. {r.outcome.sentence}")


@test("double-hop/ntlm", points=2)
def _(run):
    check_case(run, "double-hop/ntlm")
