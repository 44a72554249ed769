"""Exercise 7 - Diagnose a broken chain (notebook 06_double_hop)

Each case below is a chain whose identity does not arrive where it should. Print its story with

    from rpc_impersonation import load_named
    print(load_named("double-hop").evaluate("ntlm").story())

and read it: at which hop was the outcome decided, and which rule stopped the identity (or refused
the call)? Implement `diagnose(case)` returning `{"hop": n, "rule": "Rxx"}` for every case in `CASES`
(`"scenario/chain"`). The rule counts if it is one of the rules the engine names as deciding.

This is an open-book item (the engine tells the story in your notebook), so it is formative: half a
point per answer. A wrong rule gets feedback naming the misconception it shows.
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

from rpc_impersonation.grading.spec import ask
from rpc_impersonation.scenarios import load_named

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.rules")
FORMATIVE = True

#: case -> (section, {tempting wrong rule: misconception})
TEACH = {
    "double-hop/ntlm": ("06.diagnose", {"R27": "ncalrpc-every-hop", "M4": "symptom-not-cause",
                                        "R25": "sensitive-blocks-impersonation", "R19": "ntlm-delegates"}),
    "seed-delegation/impersonate-only": ("04.onbehalf", {"M4": "symptom-not-cause", "R27": "impersonate-network"}),
    "seed-ncalrpc/lb-over-local-tcp": ("05.tcp", {"R27": "same-machine-is-local"}),
    "delegation-limited/unlisted-computer": ("04.limits", {"M4": "symptom-not-cause", "R18": "unlimited-delegation"}),
    "seed-delegation/no-mutual-auth": ("03.mutual", {"R18": "mutual-not-needed", "A6": "mutual-not-needed"}),
    "seed-delegation/sensitive-account": ("04.conditions", {"R15": "sensitive-blocks-impersonation"}),
    "com-machine-default/default-identify": ("03.machine", {"R4": "com-default-impersonate"}),
    "unchecked-impersonation/checked": ("01.unchecked", {"R14": "failure-is-harmless"}),
}


@lru_cache(maxsize=None)
def engine_result(case):
    scenario, chain = case.split("/")
    return load_named(scenario).evaluate(chain)


def diagnose_cases(case, hidden):
    r = engine_result(case)
    section, wrong = TEACH[case]
    rules = list(r.outcome.rules)
    hops = range(1, len(r.chain.hops) + 1)
    ask(f"the deciding hop of {case}", "diagnose", case, field="hop", accepted=[r.deciding_hop], rule=rules[0],
        section=section, wrong=[[h, "wrong-hop"] for h in hops if h != r.deciding_hop], points=0.5, hidden=hidden)
    ask(f"the deciding rule of {case}", "diagnose", case, field="rule", accepted=rules, rule=rules[0],
        section=section, wrong={k: v for k, v in wrong.items() if k not in rules}, misconception="symptom-not-cause",
        points=0.5, hidden=hidden)


diagnose_cases("double-hop/ntlm", hidden=False)
diagnose_cases("seed-delegation/sensitive-account", hidden=False)
### BEGIN HIDDEN TESTS
for _case in TEACH:
    if _case not in ("double-hop/ntlm", "seed-delegation/sensitive-account"):
        diagnose_cases(_case, hidden=True)
### END HIDDEN TESTS
