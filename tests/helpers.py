"""A small standard world and shortcuts shared by the tests."""

from __future__ import annotations

from rpc_impersonation import Binding, Engine, Options, World


def standard_world(**account_settings) -> World:
    """WS1 (alice's client, a local server), SRVA/SRVB/SRVC (servers), FILES (a share), WG1 (workgroup)."""
    w = World("CORP")
    for m in ("WS1", "SRVA", "SRVB", "SRVC", "FILES"):
        w.machine(m)
    w.machine("WG1", domain=None)
    w.account("alice", **account_settings)
    w.account("carol", sensitive=True)
    w.account("pat", protected_user=True)
    w.account("svc_local")
    w.account("svc_a", trusted_for_delegation=True)
    w.account("svc_a_limited", delegate_to=["SRVC"])
    w.account("svc_plain")
    w.account("svc_b", trusted_for_delegation=True)
    w.account("svc_c")
    w.process("client", on="WS1", runs_as="alice")
    w.process("client_carol", on="WS1", runs_as="carol")
    w.process("client_pat", on="WS1", runs_as="pat")
    w.process("local", on="WS1", runs_as="svc_local")
    w.process("local_unpriv", on="WS1", runs_as="svc_local", impersonate_privilege=False)
    w.process("a", on="SRVA", runs_as="svc_a")
    w.process("a_limited", on="SRVA", runs_as="svc_a_limited")
    w.process("a_plain", on="SRVA", runs_as="svc_plain")
    w.process("a_unpriv", on="SRVA", runs_as="svc_plain", impersonate_privilege=False)
    w.process("a_strict", on="SRVA", runs_as="svc_plain", requires_authentication=True)
    w.process("a_system", on="SRVA", runs_as="SYSTEM")
    w.process("b", on="SRVB", runs_as="svc_b")
    w.process("c", on="SRVC", runs_as="svc_c")
    w.process("wg", on="WG1", runs_as="SYSTEM")
    for m in ("WS1", "SRVA", "SRVB", "SRVC"):
        w.resource(f"file@{m}", on=m, allow={"alice": "read", "carol": "read", "pat": "read"})
    w.resource("secret@SRVA", on="SRVA", allow={"SYSTEM": "read,write"})
    w.resource("share@FILES", on="FILES", kind="share", allow={"alice": "read"}, deny={"carol": "read"})
    return w


def kerb(level="delegate", **kw) -> Binding:
    return Binding.of(provider="kerberos", level=level, mutual_auth=kw.pop("mutual_auth", True), **kw)


def call(world, caller, server, binding, options: Options | None = None):
    """Make a call from a fresh thread of ``caller`` and impersonate in the server."""
    engine = Engine(world, options)
    served = engine.thread(caller).call(server, binding)
    return engine, served


def served_thread(world, caller, server, binding, options=None):
    _, served = call(world, caller, server, binding, options)
    assert served.ok, served.decision.explain()
    return served.thread


def hop2(world, first: Binding, second: Binding, *, via="a", to="b", resource="file@SRVB", options=None):
    """client -> via -> to; returns (call decision at 'to', access at 'to')."""
    t1 = served_thread(world, "client", via, first, options)
    assert t1.rpc_impersonate_client().ok
    served = t1.call(to, second)
    if not served.ok:
        return served.decision, None
    t2 = served.thread
    t2.rpc_impersonate_client()
    return served.decision, t2.open(resource)
