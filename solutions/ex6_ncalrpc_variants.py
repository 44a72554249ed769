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
    ### BEGIN SOLUTION
    a, anon = "CORP\\userA", "NT AUTHORITY\\ANONYMOUS LOGON"
    return {
        "lb-impersonate": {"LB": a, "RB": a, "C": anon},
        "lb-delegate": {"LB": a, "RB": a, "C": a},
        "lb-over-local-tcp": {"LB": a, "RB": anon, "C": None},
        "lb-identify": {"LB": a, "RB": None, "C": None},
    }[variant]
    ### END SOLUTION


def deciding_rule(variant: str) -> str:
    """The rule deciding what the last server of ``variant`` acts as (one of RULE_CHOICES)."""
    ### BEGIN SOLUTION
    return {"lb-impersonate": "R28", "lb-delegate": "R19", "lb-over-local-tcp": "R29", "lb-identify": "R15"}[variant]
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.grading.spec import ask
from rpc_impersonation.scenarios import load_named

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.rules")
FORMATIVE = True
A, ANON = "CORP\\userA", "NT AUTHORITY\\ANONYMOUS LOGON"

#: variant -> (rules that decide the last server's identity, section, {wrong rule: misconception})
DECIDES = {
    "lb-impersonate": (["R28", "R18", "R19"], "05.session", {"R27": "ncalrpc-every-hop",
                                                            "R25": "sensitive-blocks-impersonation"}),
    "lb-delegate": (["R19"], "05.delegate", {"R27": "ncalrpc-every-hop", "R28": "ncalrpc-every-hop"}),
    "lb-over-local-tcp": (["R29"], "05.tcp", {"R27": "same-machine-is-local", "R28": "same-machine-is-local"}),
    "lb-identify": (["R15"], "02.matrix", {"R27": "identify-acts", "R18": "identify-acts"}),
}
#: (variant, server) -> (rule that makes the identity right, section)
IDENTITY_RULES = {"LB": ("R27", "05.example"), "RB": ("R27", "05.session"), "C": ("R28", "05.session")}


@lru_cache(maxsize=None)
def engine_result(variant):
    return load_named("seed-ncalrpc").evaluate(variant)


def identity_case(variant, server, hidden):
    r = engine_result(variant)
    right = r.reached_as(server)
    rule, section = IDENTITY_RULES[server]
    if variant == "lb-over-local-tcp" and server != "LB":
        rule, section = "R29", "05.tcp"
    elif variant == "lb-identify" and server != "LB":
        rule, section = "R15", "02.matrix"
    elif variant == "lb-delegate" and server == "C":
        rule, section = "R19", "05.delegate"
    wrong = {A: "ncalrpc-every-hop", ANON: "ncalrpc-no-exception"}
    if variant == "lb-over-local-tcp":
        wrong[A] = "same-machine-is-local"
    if variant == "lb-identify":
        wrong[ANON] = wrong[A] = "identify-acts"
    wrong.pop(right, None)
    ask(f"who_reaches({variant!r})[{server!r}]", "who_reaches", variant, field=server, accepted=[right],
        rule=rule, section=section, wrong=[[k, v] for k, v in wrong.items()], points=0.25, hidden=hidden)


def rule_case(variant, hidden):
    accepted, section, wrong = DECIDES[variant]
    ask(f"deciding_rule({variant!r})", "deciding_rule", variant, accepted=accepted, rule=accepted[0],
        section=section, wrong=wrong, misconception="symptom-not-cause", points=0.25, hidden=hidden)


for _server in ("LB", "RB", "C"):
    identity_case("lb-impersonate", _server, hidden=False)
rule_case("lb-impersonate", hidden=False)
identity_case("lb-over-local-tcp", "RB", hidden=False)
### BEGIN HIDDEN TESTS
for _variant in ("lb-delegate", "lb-over-local-tcp", "lb-identify"):
    for _server in ("LB", "RB", "C"):
        if (_variant, _server) != ("lb-over-local-tcp", "RB"):
            identity_case(_variant, _server, hidden=True)
    rule_case(_variant, hidden=True)
### END HIDDEN TESTS
