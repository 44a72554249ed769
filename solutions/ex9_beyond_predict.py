"""Exercise 9 - Predict beyond the seeds: COM cloaking, tracking, Negotiate, constrained delegation (notebook 07_beyond_the_seeds)

For each chain in `CASES` (`"scenario/chain"`), predict **before running it** whom the *last* server acts
as after impersonating its caller, and name the rule that decides it.

Implement `predict(case)` returning `{"acts_as": identity, "rule": rule}`: `identity` as the engine writes it
(`"CORP\\alice"`, `"CORP\\svc_mid"`, `"NT AUTHORITY\\ANONYMOUS LOGON"`, ...) or `None` if the request never
reaches the last server; `rule` one of `RULE_CHOICES`.

The scenarios are described in notebook 07 (COM cloaking, identity tracking, Negotiate's fallback,
constrained and resource-based delegation). These are prediction items that the notebook's engine
can answer, so they are formative (a quarter point each): they exist for the feedback, which names
the misconception behind a wrong prediction and the section that teaches the rule.
"""

RULE_CHOICES = ("R18", "R22", "R24", "R25", "R27", "R31", "R32", "R33")
CASES = ("com-cloaking/no-cloaking", "com-cloaking/dynamic-cloaking", "com-cloaking/cloaking-needs-delegate",
         "identity-tracking/static-bound-early", "identity-tracking/dynamic-bound-early",
         "negotiate-ip-fallback/by-ip-ignoring-failure", "negotiate-ip-fallback/by-ip-with-ip-spn",
         "kerberos-constrained/listed-database", "resource-based-delegation/target-does-not-list-it")


def predict(case: str) -> dict:
    """Whom the last server of ``case`` acts as, and the deciding rule."""
    ### BEGIN SOLUTION
    alice, anon = "CORP\\alice", "NT AUTHORITY\\ANONYMOUS LOGON"
    return {
        "com-cloaking/no-cloaking": {"acts_as": "CORP\\svc_mid", "rule": "R32"},
        "com-cloaking/dynamic-cloaking": {"acts_as": alice, "rule": "R32"},
        "com-cloaking/cloaking-needs-delegate": {"acts_as": anon, "rule": "R33"},
        "identity-tracking/static-bound-early": {"acts_as": "CORP\\svc_a", "rule": "R31"},
        "identity-tracking/dynamic-bound-early": {"acts_as": alice, "rule": "R31"},
        "negotiate-ip-fallback/by-ip-ignoring-failure": {"acts_as": anon, "rule": "R22"},
        "negotiate-ip-fallback/by-ip-with-ip-spn": {"acts_as": alice, "rule": "R22"},
        "kerberos-constrained/listed-database": {"acts_as": "CORP\\bob", "rule": "R24"},
        "resource-based-delegation/target-does-not-list-it": {"acts_as": anon, "rule": "R24"},
    }[case]
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.grading.spec import ask
from rpc_impersonation.scenarios import load_named

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.rules")
FORMATIVE = True
ANON = "NT AUTHORITY\\ANONYMOUS LOGON"

#: case -> (rules that decide it, section, misconception of a wrong identity, {wrong rule: misconception})
TEACH = {
    "com-cloaking/no-cloaking": (["R32"], "07.cloaking", "cloaking-identity", {"R18": "cloaking-identity"}),
    "com-cloaking/dynamic-cloaking": (["R32"], "07.cloaking", "cloaking-identity", {"R31": "cloaking-identity"}),
    "com-cloaking/cloaking-needs-delegate": (["R33", "R18"], "07.cloaking", "impersonate-network",
                                             {"R32": "impersonate-network"}),
    "identity-tracking/static-bound-early": (["R31"], "07.tracking", "static-tracking", {"R32": "static-tracking"}),
    "identity-tracking/dynamic-bound-early": (["R31"], "07.tracking", "static-tracking", {"R32": "static-tracking"}),
    "negotiate-ip-fallback/by-ip-ignoring-failure": (["R22"], "07.negotiate", "negotiate-always-kerberos",
                                                     {"R24": "negotiate-always-kerberos"}),
    "negotiate-ip-fallback/by-ip-with-ip-spn": (["R22"], "07.negotiate", "negotiate-always-kerberos",
                                                {"R18": "negotiate-always-kerberos"}),
    "kerberos-constrained/listed-database": (["R24"], "07.kinds", "delegate-alone", {"R18": "delegate-alone"}),
    "resource-based-delegation/target-does-not-list-it": (["R24"], "07.kinds", "unlimited-delegation",
                                                          {"R25": "sensitive-blocks-impersonation"}),
}


@lru_cache(maxsize=None)
def last_identity(case):
    scenario, chain = case.split("/")
    r = load_named(scenario).evaluate(chain)
    return r.reached_as(r.chain.hops[-1].server), r


def predict_cases(case, hidden):
    identity, r = last_identity(case)
    rules, section, wrong_identity, wrong_rules = TEACH[case]
    named = set(r.outcome.rules) | {x for h in r.hops for d in (h.call, h.impersonation) if d for x in d.rules}
    assert r.outcome.ok or named & set(rules), (case, named)   # the teaching rule is one the engine cites
    ask(f"predict({case!r})['acts_as']", "predict", case, field="acts_as", accepted=[identity], rule=rules[0],
        section=section, misconception=wrong_identity, points=0.25, hidden=hidden)
    ask(f"predict({case!r})['rule']", "predict", case, field="rule", accepted=rules, rule=rules[0],
        section=section, wrong=wrong_rules, misconception="symptom-not-cause", points=0.25, hidden=hidden)


VISIBLE = ("com-cloaking/no-cloaking", "identity-tracking/static-bound-early")
for _case in VISIBLE:
    predict_cases(_case, hidden=False)
### BEGIN HIDDEN TESTS
for _case in TEACH:
    if _case not in VISIBLE:
        predict_cases(_case, hidden=True)
### END HIDDEN TESTS
