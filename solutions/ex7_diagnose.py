"""Exercise 7 - Diagnose a broken chain (notebook 06_double_hop)

Each case below is a chain whose identity does not arrive where it should. Print its story with

    from rpc_impersonation import load_named
    print(load_named("double-hop").evaluate("ntlm").story())

and read it: at which hop was the outcome decided, and which rule stopped the identity (or refused
the call)? Implement `diagnose(case)` returning `{"hop": n, "rule": "Rxx"}` for every case in `CASES`
(`"scenario/chain"`). The rule counts if it is one of the rules the engine names as deciding.
"""

CASES = ("double-hop/ntlm", "seed-delegation/impersonate-only", "seed-ncalrpc/lb-over-local-tcp",
         "delegation-limited/unlisted-computer", "seed-delegation/no-mutual-auth",
         "seed-delegation/sensitive-account", "com-machine-default/default-identify",
         "unchecked-impersonation/checked")


def diagnose(case: str) -> dict:
    """The hop that decided the outcome and a rule that decided it."""
    ### BEGIN SOLUTION
    return {
        "double-hop/ntlm": {"hop": 2, "rule": "A16"},
        "seed-delegation/impersonate-only": {"hop": 2, "rule": "R18"},
        "seed-ncalrpc/lb-over-local-tcp": {"hop": 2, "rule": "R29"},
        "delegation-limited/unlisted-computer": {"hop": 2, "rule": "M2"},
        "seed-delegation/no-mutual-auth": {"hop": 1, "rule": "R19"},
        "seed-delegation/sensitive-account": {"hop": 1, "rule": "R25"},
        "com-machine-default/default-identify": {"hop": 1, "rule": "R15"},
        "unchecked-impersonation/checked": {"hop": 1, "rule": "A15"},
    }[case]
    ### END SOLUTION


### BEGIN TESTS
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
### BEGIN HIDDEN TESTS


for _case in ("seed-delegation/impersonate-only", "seed-ncalrpc/lb-over-local-tcp",
              "delegation-limited/unlisted-computer", "seed-delegation/no-mutual-auth",
              "seed-delegation/sensitive-account", "com-machine-default/default-identify",
              "unchecked-impersonation/checked"):
    test(f"hidden: {_case}", points=1, hidden=True)(lambda run, _c=_case: check_case(run, _c))
### END HIDDEN TESTS
