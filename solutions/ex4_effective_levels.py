"""Exercise 4 - Effective levels under each API's defaults (notebook 03_qos)

A client on machine WS1 calls a server, and the server impersonates it. Return the level of the
token the server then holds: `"anonymous"`, `"identify"`, `"impersonate"` or `"delegate"`.

Arguments of `effective_level(api, requested, protseq, machine_default)`:

- `api`: `"rpc"` (a plain RPC client), `"com"` (a COM client) or `"complus"` (a COM+ server application
  calling out; its own application setting is left at its default);
- `requested`: the level the client asks for, or `"default"` if it sets none;
- `protseq`: `"ncalrpc"` (the server runs on WS1) or `"ncacn_ip_tcp"` (the server runs on another
  machine, reached with Kerberos and mutual authentication; its account is trusted for delegation);
- `machine_default`: WS1's machine-wide COM impersonation level, as set by an administrator
  (`"identify"` unless changed).
"""

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def effective_level(api: str, requested: str, protseq: str, machine_default: str) -> str:
    """The level of the server's token for the client."""
    ### BEGIN SOLUTION
    if requested == "default":
        requested = {"rpc": "impersonate", "com": machine_default, "complus": "impersonate"}[api]
    if requested == "anonymous" and protseq != "ncalrpc":
        return "identify"  # R7
    return requested
    ### END SOLUTION


### BEGIN TESTS
import itertools
from functools import lru_cache

from rpc_impersonation.binding import Binding
from rpc_impersonation.engine import Engine
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.world import World

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.binding", "rpc_impersonation.world",
         "rpc_impersonation.errors", "rpc_impersonation.rules")
REQUESTED = ("default", "anonymous", "identify", "impersonate", "delegate")
DEFAULTS = ("anonymous", "identify", "impersonate", "delegate")


@lru_cache(maxsize=None)
def engine_says(api, requested, protseq, machine_default):
    w = World("CORP")
    w.machine("WS1", com_default_level=machine_default)
    w.machine("SRV1")
    w.account("alice")
    w.account("svc", trusted_for_delegation=True)
    w.process("client", on="WS1", runs_as="alice")
    w.process("server", on="WS1" if protseq == "ncalrpc" else "SRV1", runs_as="svc")
    if protseq == "ncalrpc":
        binding = Binding.of(api=api, protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default",
                             level=requested)
    else:
        binding = Binding.of(api=api, provider="kerberos", level=requested, mutual_auth=True)
    served = Engine(w).thread("client").call("server", binding)
    return served.thread.rpc_impersonate_client().token.level.label.lower()


def teaching(api, requested, protseq, machine_default, level):
    """(rule, section, {tempting wrong answer: misconception}) for the right ``level``."""
    if requested == "anonymous" and protseq != "ncalrpc":
        return "R7", "02.levels", {"anonymous": "anonymous-everywhere"}
    if requested == "default" and api == "com":
        wrong = {"impersonate": "com-default-impersonate"} if level != "impersonate" else {
            "identify": "com-default-impersonate"}
        return "R6", "03.machine", wrong
    if requested == "default":
        return "R4", "03.default", {"identify": "rpc-default-identify"}
    return "R2", "03.binding", {}


def level_case(api, requested, protseq, machine_default, hidden, points=0.25):
    level = engine_says(api, requested, protseq, machine_default)
    rule, section, wrong = teaching(api, requested, protseq, machine_default, level)
    wrong.pop(level, None)
    ask(f"effective_level({api!r}, {requested!r}, {protseq!r}, {machine_default!r})", "effective_level", api,
        requested, protseq, machine_default, accepted=[level], rule=rule, section=section, wrong=wrong,
        hidden=hidden, points=points)


VISIBLE = (("rpc", "default", "ncacn_ip_tcp", "identify"), ("com", "default", "ncacn_ip_tcp", "identify"),
           ("com", "default", "ncacn_ip_tcp", "impersonate"), ("complus", "default", "ncalrpc", "identify"),
           ("rpc", "anonymous", "ncacn_ip_tcp", "identify"), ("rpc", "anonymous", "ncalrpc", "identify"),
           ("com", "delegate", "ncalrpc", "anonymous"))
for _combo in VISIBLE:
    level_case(*_combo, hidden=False)
### BEGIN HIDDEN TESTS
for _api, _requested, _protseq, _default in itertools.product(("rpc", "com", "complus"), REQUESTED,
                                                              ("ncalrpc", "ncacn_ip_tcp"), DEFAULTS):
    if (_api, _requested, _protseq, _default) not in VISIBLE:
        level_case(_api, _requested, _protseq, _default, hidden=True)
### END HIDDEN TESTS
