"""Exercise 11 - The smallest change that makes a chain work (notebook 06_double_hop)

Each case is a chain of the course's scenarios (`"scenario/chain"`) that fails: the last server does
not act as the client, or the call is refused. Find the **single** change to one hop's binding that
makes the whole chain succeed, granting no more than needed, and return it as
`{"hop": n, "field": name, "value": value}` (hops count from 1). Fields and values:

- `"level"`: `"anonymous"`, `"identify"`, `"impersonate"`, `"delegate"`;
- `"provider"`: `"ntlm"`, `"kerberos"`, `"negotiate"`;
- `"mutual_auth"`: `True` or `False`;
- `"protseq"`: `"ncalrpc"`, `"ncacn_ip_tcp"`, `"ncacn_np"`.

Read each chain's story in notebook 06 (or 04 and 05) first: which rule stopped it, and at which hop?
When two levels would both work, the lower one is the answer (least privilege).
"""

CASES = ("seed-ncalrpc/lb-impersonate", "seed-delegation/impersonate-only", "seed-delegation/no-mutual-auth",
         "seed-delegation/ntlm", "seed-ncalrpc/lb-identify", "com-machine-default/default-identify",
         "com-cloaking/cloaking-needs-delegate")


def smallest_change(case: str) -> dict:
    """One change to one hop's binding that makes ``case`` succeed."""
    ### BEGIN SOLUTION
    return {
        "seed-ncalrpc/lb-impersonate": {"hop": 2, "field": "level", "value": "delegate"},
        "seed-delegation/impersonate-only": {"hop": 1, "field": "level", "value": "delegate"},
        "seed-delegation/no-mutual-auth": {"hop": 1, "field": "mutual_auth", "value": True},
        "seed-delegation/ntlm": {"hop": 1, "field": "provider", "value": "kerberos"},
        "seed-ncalrpc/lb-identify": {"hop": 1, "field": "level", "value": "impersonate"},
        "com-machine-default/default-identify": {"hop": 1, "field": "level", "value": "impersonate"},
        "com-cloaking/cloaking-needs-delegate": {"hop": 1, "field": "level", "value": "delegate"},
    }[case]
    ### END SOLUTION


### BEGIN TESTS
from dataclasses import replace
from functools import lru_cache

from rpc_impersonation.chain import evaluate
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.scenarios import load_named

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.rules")
FIELDS = {"level": ["anonymous", "identify", "impersonate", "delegate"], "provider": ["ntlm", "kerberos", "negotiate"],
          "mutual_auth": [True, False], "protseq": ["ncalrpc", "ncacn_ip_tcp", "ncacn_np"]}
LEVELS = FIELDS["level"]
#: case -> (the rule that makes the right change right, the section teaching it)
TEACH = {"seed-ncalrpc/lb-impersonate": ("R28", "05.delegate"), "seed-delegation/impersonate-only": ("R18", "04.onbehalf"),
         "seed-delegation/no-mutual-auth": ("R19", "04.conditions"), "seed-delegation/ntlm": ("R19", "04.conditions"),
         "seed-ncalrpc/lb-identify": ("R15", "02.matrix"), "com-machine-default/default-identify": ("R6", "03.machine"),
         "com-cloaking/cloaking-needs-delegate": ("R33", "07.cloaking")}


@lru_cache(maxsize=None)
def changes(case):
    """Every single change that the engine accepts as a chain: (change, succeeds?)."""
    scenario, name = case.split("/")
    s = load_named(scenario)
    chain = s.chain(name)
    out = []
    for i, hop in enumerate(chain.hops, start=1):
        for fld, values in FIELDS.items():
            for value in values:
                try:
                    hops = list(chain.hops)
                    hops[i - 1] = replace(hop, binding=hop.binding.with_(**{fld: value}))
                    r = evaluate(s.world, replace(chain, hops=tuple(hops)))
                except ImpersonationError:
                    continue
                out.append(({"hop": i, "field": fld, "value": value}, r.outcome.ok))
    return out, s.evaluate(name)


def misconception(change, right):
    """The wrong idea a change that does not work shows."""
    if change["field"] == "provider" and change["value"] == "ntlm":
        return "ntlm-delegates"
    if change["field"] == "level" and change["value"] == "impersonate":
        return "impersonate-network"
    if change["field"] == "protseq" and change["value"] == "ncalrpc":
        return "ncalrpc-every-hop"
    if change["hop"] != right["hop"]:
        return "wrong-hop"
    if change["field"] == "level" and change["value"] == "delegate":
        return "delegate-alone"
    return "symptom-not-cause"


def change_case(case, hidden):
    found, broken = changes(case)
    working = [c for c, ok in found if ok]
    # least privilege: of several levels that work at one hop, only the lowest counts
    lowest = {}
    for c in working:
        if c["field"] == "level":
            lowest[c["hop"]] = min(lowest.get(c["hop"], "delegate"), c["value"], key=LEVELS.index)
    accepted = [c for c in working if c["field"] != "level" or c["value"] == lowest[c["hop"]]]
    assert accepted, case
    wrong = [[c, misconception(c, accepted[0])] for c, ok in found if not ok]
    wrong += [[c, "more-is-safer"] for c in working if c not in accepted]
    rule, section = TEACH[case]
    ask(f"smallest_change({case!r})", "smallest_change", case, accepted=accepted, wrong=wrong, rule=rule,
        section=section, misconception="symptom-not-cause", hidden=hidden)


change_case("seed-ncalrpc/lb-impersonate", hidden=False)
change_case("seed-delegation/no-mutual-auth", hidden=False)
### BEGIN HIDDEN TESTS
for _case in ("seed-delegation/impersonate-only", "seed-delegation/ntlm", "seed-ncalrpc/lb-identify",
              "com-machine-default/default-identify", "com-cloaking/cloaking-needs-delegate"):
    change_case(_case, hidden=True)
### END HIDDEN TESTS
