"""Exercise 6 - The ncalrpc exception (notebook 05_ncalrpc_exception)

The seed's example: client A and server LB on one machine, RB and C on two others (scenario
`seed-ncalrpc`). Its chains are the variants:

- `"lb-impersonate"`: A calls LB over ncalrpc at Impersonate; LB calls RB, RB calls C, at Impersonate;
- `"lb-delegate"`: the same, but LB asks RB for Delegate (Kerberos, mutual authentication; RB trusted);
- `"lb-over-local-tcp"`: A calls LB over ncacn_ip_tcp on the same machine, then LB calls RB;
- `"lb-identify"`: A grants LB only Identify over ncalrpc.

Predict before you run anything:

1. `who_reaches(variant)`: a dict mapping `"LB"`, `"RB"` and `"C"` to the identity each acts as after
   impersonating its caller (`"CORP\\userA"`, `"NT AUTHORITY\\ANONYMOUS LOGON"`, ...), or `None` for a
   server the request never reaches.
2. `deciding_rule(variant)`: the rule that decides what the *last* server of the variant acts as, one of
   `RULE_CHOICES` (see the rule table in notebook 05, or `rpc_impersonation.rules.RULES`).

These are prediction items: you could get the answers by running the chains in notebook 05, so they are
formative and count little (a quarter point per answer). Their value is in the feedback: a wrong answer
names the misconception behind it and the section that explains it.
"""

RULE_CHOICES = ("R15", "R18", "R19", "R25", "R27", "R28", "R29", "M2")


def who_reaches(variant: str) -> dict:
    """Identity LB, RB and C act as in this variant."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex6: not implemented yet")


def deciding_rule(variant: str) -> str:
    """The rule deciding what the last server of ``variant`` acts as (one of RULE_CHOICES)."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex6: not implemented yet")


