"""Exercise 12 - What delegation needs, one condition at a time (notebook 04_delegation)

Alice on WS1 calls a front end on FRONT, which impersonates her, opens a file on FRONT as her, and then
calls a back end on BACK (Kerberos, Impersonate) to read a database as her. A setup is a dict:

- `"provider"`: `"kerberos"` or `"ntlm"` (Alice's call to the front end);
- `"level"`: `"impersonate"` or `"delegate"` (what Alice grants the front end);
- `"mutual_auth"`: whether Alice asks for mutual authentication;
- `"trusted"`: whether the front end's account is trusted for delegation;
- `"sensitive"`: whether Alice's account is marked sensitive (cannot be delegated).

Implement, without the engine (your module can import only the vocabulary):

1. `missing_condition(setup)`: the condition that keeps BACK from acting as Alice, one of `CONDITIONS`
   (`"none"` if BACK does act as her). Each setup graded has at most one condition missing.
2. `acts_locally(setup)`: whether the front end opens its own file as Alice. Careful: a client that
   *asks* for Delegate and cannot get it has its call refused (the front end never runs).
"""

CONDITIONS = ("provider", "level", "mutual_auth", "trusted", "sensitive", "none")


def missing_condition(setup: dict) -> str:
    """Which condition keeps the back end from acting as Alice."""
    ### BEGIN SOLUTION
    if setup["provider"] != "kerberos":
        return "provider"
    if setup["level"] != "delegate":
        return "level"
    if not setup["mutual_auth"]:
        return "mutual_auth"
    if not setup["trusted"]:
        return "trusted"
    if setup["sensitive"]:
        return "sensitive"
    return "none"
    ### END SOLUTION


def acts_locally(setup: dict) -> bool:
    """Whether the front end opens a file on its own machine as Alice."""
    ### BEGIN SOLUTION
    if setup["level"] != "delegate":
        return True  # Impersonate always acts on the server's own machine
    return missing_condition(setup) == "none"  # Delegate asked and impossible: the call is refused (R20)
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.binding import Binding
from rpc_impersonation.chain import Access, Chain, Hop, evaluate
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.world import World

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.rules")
GOOD = {"provider": "kerberos", "level": "delegate", "mutual_auth": True, "trusted": True, "sensitive": False}
BAD = {"provider": "ntlm", "level": "impersonate", "mutual_auth": False, "trusted": False, "sensitive": True}
#: missing condition -> (rule, section, misconception of answering "none")
WHY = {"provider": ("R19", "04.conditions", "ntlm-delegates"), "level": ("R18", "04.onbehalf", "impersonate-network"),
       "mutual_auth": ("R19", "03.mutual", "mutual-not-needed"), "trusted": ("R19", "04.conditions", "delegate-alone"),
       "sensitive": ("R25", "04.conditions", "sensitive-ignored"), "none": ("R19", "04.conditions", "delegate-alone")}


@lru_cache(maxsize=None)
def run_setup(items):
    setup = dict(items)
    w = World("CORP")
    for m in ("WS1", "FRONT", "BACK"):
        w.machine(m)
    w.account("alice", sensitive=setup["sensitive"])
    w.account("svc_front", trusted_for_delegation=setup["trusted"])
    w.account("svc_back")
    w.process("client", on="WS1", runs_as="alice")
    w.process("front", on="FRONT", runs_as="svc_front")
    w.process("back", on="BACK", runs_as="svc_back")
    w.resource("notes.txt", on="FRONT", allow={"alice": "read"})
    w.resource("orders", on="BACK", kind="database", allow={"alice": "read"})
    first = Binding.of(provider=setup["provider"], level=setup["level"], mutual_auth=setup["mutual_auth"])
    second = Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)
    r = evaluate(w, Chain("client", (Hop("front", first, access=(Access.of("notes.txt"),)),
                                     Hop("back", second, access=(Access.of("orders"),)))))
    front = r.hops[0]
    local = bool(front.reached and front.acting_as == "CORP\\alice" and front.accesses and front.accesses[0].ok)
    return r.reached_as("back") == "CORP\\alice", local, r


def setup_with(missing):
    setup = dict(GOOD)
    if missing != "none":
        setup[missing] = BAD[missing]
    return setup


def condition_case(missing, hidden):
    setup = setup_with(missing)
    delegated, _, _ = run_setup(tuple(sorted(setup.items())))
    assert delegated == (missing == "none"), missing
    if missing != "none":   # the engine agrees that this one condition is what is missing
        assert run_setup(tuple(sorted(setup_with("none").items())))[0]
    rule, section, mis = WHY[missing]
    wrong = {"none": mis} if missing != "none" else {}
    ask(f"missing_condition({setup})", "missing_condition", setup, accepted=[missing], rule=rule, section=section,
        wrong=wrong, misconception="delegate-alone" if missing != "none" else "delegation-works", hidden=hidden)


def local_case(missing, hidden):
    setup = setup_with(missing)
    _, local, _ = run_setup(tuple(sorted(setup.items())))
    if local:
        rule, section, mis = ("R17", "02.matrix", "sensitive-blocks-impersonation" if setup["sensitive"]
                              else "impersonate-local")
    else:
        rule, section, mis = "R20", "04.conditions", "failure-is-harmless"
    ask(f"acts_locally({setup})", "acts_locally", setup, accepted=[local], rule=rule, section=section,
        wrong={not local: mis}, hidden=hidden)


condition_case("provider", hidden=False)
condition_case("none", hidden=False)
local_case("level", hidden=False)
local_case("mutual_auth", hidden=False)
### BEGIN HIDDEN TESTS
for _missing in ("level", "mutual_auth", "trusted", "sensitive"):
    condition_case(_missing, hidden=True)
for _missing in ("provider", "trusted", "sensitive", "none"):
    local_case(_missing, hidden=True)
_sensitive_impersonate = dict(GOOD, level="impersonate", sensitive=True)
ask(f"acts_locally({_sensitive_impersonate})", "acts_locally", _sensitive_impersonate,
    accepted=[run_setup(tuple(sorted(_sensitive_impersonate.items())))[1]], rule="R25", section="04.conditions",
    wrong={False: "sensitive-blocks-impersonation"}, hidden=True)
### END HIDDEN TESTS
