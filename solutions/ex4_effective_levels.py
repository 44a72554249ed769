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
from rpc_impersonation.grading.spec import expect, test
from rpc_impersonation.world import World


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
    thread = served.thread
    result = thread.rpc_impersonate_client()
    return result.token.level.label.lower(), served.decision


def check(run, api, requested, protseq, machine_default):
    expected, why = engine_says(api, requested, protseq, machine_default)
    got = run("effective_level", api, requested, protseq, machine_default)
    expect(got, expected, f"effective_level({api!r}, {requested!r}, {protseq!r}, {machine_default!r})", why)


@test("plain RPC default over TCP")
def _(run):
    check(run, "rpc", "default", "ncacn_ip_tcp", "identify")


@test("COM client with no level, machine default untouched")
def _(run):
    check(run, "com", "default", "ncacn_ip_tcp", "identify")


@test("COM client after an administrator raised the machine-wide level")
def _(run):
    check(run, "com", "default", "ncacn_ip_tcp", "impersonate")
### BEGIN HIDDEN TESTS


def _group(api, protseq):
    def run_all(run):
        for requested, default in itertools.product(("default", "anonymous", "identify", "impersonate", "delegate"),
                                                    ("anonymous", "identify", "impersonate", "delegate")):
            check(run, api, requested, protseq, default)
    return run_all


for _api in ("rpc", "com", "complus"):
    for _protseq in ("ncalrpc", "ncacn_ip_tcp"):
        test(f"{_api} over {_protseq}: every requested level and machine default", points=2, hidden=True)(
            _group(_api, _protseq))
### END HIDDEN TESTS
