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
    # Your code here: replace the next line.
    raise NotImplementedError("ex9: not implemented yet")


