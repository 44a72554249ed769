"""Beyond the seeds: COM blankets and cloaking (R32-R38), Kerberos constrained and resource-based
delegation (R24, R25), Negotiate's fallback (R22), identity tracking in scenarios (R31)."""

import itertools

import pytest

from rpc_impersonation import Binding, Engine, Options, World, load_named
from rpc_impersonation.com import COM_TABLES
from rpc_impersonation.constants import ErrorCode, Provider
from rpc_impersonation.errors import InvalidValueError
from rpc_impersonation.kerberos import S4U_PROXY
from rpc_impersonation.rules import RULES
from rpc_impersonation.world import ANONYMOUS_LOGON

E = ErrorCode
NEW = (
    "com-cloaking",
    "kerberos-constrained",
    "resource-based-delegation",
    "negotiate-ip-fallback",
    "identity-tracking",
)


def com_world():
    w = World("CORP")
    for m in ("WS1", "MID", "BACK"):
        w.machine(m)
    w.account("alice")
    w.account("bob")
    w.account("svc_mid", trusted_for_delegation=True)
    w.account("svc_mid_plain")
    w.account("svc_back")
    w.process("client", on="WS1", runs_as="alice")
    w.process("client_bob", on="WS1", runs_as="bob")
    w.process("mid", on="MID", runs_as="svc_mid")
    w.process("mid_plain", on="MID", runs_as="svc_mid_plain")
    w.process("back", on="BACK", runs_as="svc_back")
    w.resource("orders", on="BACK", allow={"alice": "read"})
    return w


def middle(engine, level="delegate", server="mid"):
    t = engine.thread("client").call(server, Binding.of(api="com", provider="kerberos", level=level)).thread
    assert t is not None
    return t


def test_beyond_seed_rules_are_marked_and_used():
    used = {r.rule for t in (*COM_TABLES, S4U_PROXY) for r in t.rows}
    for rid in ("R24", "R32", "R34", "R35", "R36", "R37", "R38", "R39"):
        assert RULES[rid].scope == "beyond-seeds"
    assert {"R24", "R25", "R32", "R35", "R36"} <= used


@pytest.mark.parametrize("name", NEW)
def test_new_named_scenarios_explain_as_the_facts_say(name):
    s = load_named(name)
    assert s.expectations and s.check() == {c: [] for c in s.expectations}
    assert "Beyond the seeds" in s.title


# --- COM -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cloaking,seen,rule",
    [("none", "CORP\\svc_mid", "R32"), ("static", "CORP\\alice", "R32"), ("dynamic", "CORP\\alice", "R32")],
)
def test_R32_cloaking_decides_the_outbound_identity(cloaking, seen, rule):
    t = middle(Engine(com_world()))
    t.co_impersonate_client()
    d = t.call("back", Binding.of(api="com", provider="kerberos", level="impersonate", cloaking=cloaking)).decision
    assert d.identity_seen == seen and rule in d.rules


class MiddleTier:
    """Drives the middle tier of com_world() through a table row: calls from alice or bob arrive, the thread
    impersonates, reverts, obtains one proxy to the back end and calls through it (R32, R36-R38)."""

    def __init__(self, cis=None, cloaking="default"):
        self.engine = Engine(com_world())
        if cis is not None:
            assert self.engine.co_initialize_security("mid", level="impersonate", cloaking=cis).ok
        self.binding = Binding.of(api="com", provider="kerberos", level="impersonate", cloaking=cloaking)
        self.thread = self.proxy = None
        self.seen = []

    def do(self, step):
        t = self.thread
        if step in ("alice", "bob"):
            client = "client" if step == "alice" else "client_bob"
            self.thread = (
                self.engine.thread(client)
                .call("mid", Binding.of(api="com", provider="kerberos", level="delegate"))
                .thread
            )
        elif step == "imp":
            assert t.co_impersonate_client().ok
        elif step == "revert":
            assert t.co_revert_to_self().ok
        elif step == "end":
            t.end_call()
        elif step == "proxy":
            self.proxy = t.bind("back", self.binding)
        else:
            assert step == "call"
            d = t.call(self.proxy).decision
            assert d.ok and "R32" in d.rules, d.explain()
            self.seen.append((d.identity_seen, t.acting_as))


ALICE, BOB, MID = "CORP\\alice", "CORP\\bob", "CORP\\svc_mid"


@pytest.mark.parametrize(
    "cloaking,steps,seen",
    [
        # static cloaking set with CoSetProxyBlanket captures when the blanket is set and survives a revert (bug 1)
        ("static", "alice imp proxy revert call", [ALICE]),
        ("static", "alice imp proxy end call", [ALICE]),
        ("static", "alice imp proxy revert bob imp call", [ALICE]),
        ("static", "alice proxy imp call revert call", [MID, MID]),
        # dynamic cloaking follows the thread; no cloaking never shows the client
        ("dynamic", "alice imp proxy revert call", [MID]),
        ("dynamic", "alice imp proxy revert bob imp call", [BOB]),
        ("none", "alice imp proxy call", [MID]),
    ],
)
def test_R32_static_cloaking_from_the_blanket_keeps_what_it_captured(cloaking, steps, seen):
    m = MiddleTier(cloaking=cloaking)
    for step in steps.split():
        m.do(step)
    assert [identity for identity, _ in m.seen] == seen
    if cloaking == "static" and seen[0] == ALICE:  # the captured identity is neither the server nor the thread
        assert all(acting != ALICE for _, acting in m.seen)


@pytest.mark.parametrize(
    "cis,steps,seen",
    [
        # static cloaking from CoInitializeSecurity captures at the proxy's FIRST CALL, not when it is made (bug 2)
        ("static", "alice proxy imp call revert call", [ALICE, ALICE]),
        ("static", "alice proxy imp call revert bob imp call", [ALICE, ALICE]),
        ("static", "alice proxy call imp call", [MID, MID]),
        ("dynamic", "alice proxy imp call revert bob imp call", [ALICE, BOB]),
        ("none", "alice proxy imp call", [MID]),
    ],
)
def test_R32_static_cloaking_from_co_initialize_security_captures_at_the_first_call(cis, steps, seen):
    m = MiddleTier(cis=cis)
    for step in steps.split():
        m.do(step)
    assert [identity for identity, _ in m.seen] == seen
    if cis == "static" and seen[-1] == ALICE:  # at the last call the thread is not alice, nor is the server
        assert m.seen[-1][1] in (MID, BOB)


def test_R32_the_explanation_says_the_captured_identity_outlives_the_thread():
    m = MiddleTier(cloaking="static")
    for step in "alice imp proxy revert bob imp".split():
        m.do(step)
    d = m.thread.call(m.proxy).decision
    why = next(r.sentence for r in d.reasons if r.rule == "R32")
    assert why == (
        "Static cloaking set with CoSetProxyBlanket captured the thread's identity when the blanket was "
        "set, CORP\\alice, and every call through the proxy presents it. The thread is CORP\\bob now; "
        "that does not change what the proxy presents."
    )


def test_R32_explicit_identity_without_cloaking():
    t = middle(Engine(com_world()))
    t.co_impersonate_client()
    d = t.call("back", Binding.of(api="com", provider="kerberos", auth_identity="svc_back")).decision
    assert d.identity_seen == "CORP\\svc_back"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(cloaking="both"),
        dict(cloaking="dynamic", auth_identity="svc_back"),
        dict(cloaking="static", auth_identity="svc_back"),
        dict(authn_level="none", provider="kerberos"),
    ],
)
def test_R35_invalid_blankets_fail_with_e_invalidarg(kwargs):
    t = middle(Engine(com_world()))
    d = t.call("back", Binding.of(api="com", **kwargs)).decision
    assert d.code is E.E_INVALIDARG and d.rules == ("R35",) and d.code_name == "E_INVALIDARG (0x8007_0057)"
    assert "CoSetProxyBlanket" in d.action


def test_cloaking_is_refused_on_plain_rpc_bindings():
    with pytest.raises(InvalidValueError, match="cloaking"):
        Binding.of(cloaking="dynamic")


def test_R33_cloaking_carries_impersonate_one_boundary_only():
    t = middle(Engine(com_world()), level="impersonate")
    t.co_impersonate_client()
    d = t.call("back", Binding.of(api="com", provider="kerberos", cloaking="dynamic")).decision
    assert d.identity_seen == ANONYMOUS_LOGON and "A16" in d.rules


def test_R34_authentication_level_is_the_higher_and_R36_none_cannot_impersonate():
    e = Engine(com_world())
    e.co_initialize_security("back", level="identify", authn_level="none")
    mid = middle(e)
    served = mid.call("back", Binding.of(api="com", provider="none", authn_level="none"))
    assert served.ok and served.decision.identity_seen == "(unauthenticated)"
    r = served.thread.co_impersonate_client()
    assert r.code is E.E_FAIL and "R36" in r.rules and r.acting_as == "CORP\\svc_back"
    rpc = e.thread("client").call("mid", Binding.of(provider="ntlm")).thread
    assert rpc.co_impersonate_client().code is E.E_FAIL


@pytest.mark.parametrize(
    "server,client,code,authn",
    [
        ("pkt_integrity", "default", "ERROR_SUCCESS", "pkt_integrity"),  # left to COM: negotiated up
        ("connect", "default", "ERROR_SUCCESS", "connect"),
        ("pkt_integrity", "pkt_privacy", "ERROR_SUCCESS", "pkt_privacy"),  # set higher: used as given
        ("pkt_integrity", "connect", "E_ACCESSDENIED", "connect"),  # set lower: refused, not raised
        (None, "none", "E_ACCESSDENIED", "none"),  # a server without settings wants CONNECT
        ("none", "none", "ERROR_SUCCESS", "none"),
    ],
)
def test_R34_a_blanket_level_is_used_as_given_and_a_lower_one_is_refused(server, client, code, authn):
    e = Engine(com_world())
    if server is not None:
        assert e.co_initialize_security("back", authn_level=server).ok
    mid = middle(e)
    provider = "none" if client == "none" else "kerberos"
    d = mid.call("back", Binding.of(api="com", provider=provider, authn_level=client)).decision
    assert d.code.name == code, d.explain()
    why = next(r for r in d.reasons if r.rule == "R34")
    assert f"{authn}" in why.sentence
    if code == "E_ACCESSDENIED":
        assert d.rules == ("R34",) and why.decisive and "used as given" in d.sentence
        assert mid.history[-1] is d
    else:
        assert "R34" not in d.rules


def test_R37_co_revert_to_self_needs_a_com_call():
    e = Engine(com_world())
    rpc = e.thread("client").call("mid", Binding.of(provider="kerberos", level="delegate", mutual_auth=True)).thread
    rpc.rpc_impersonate_client()
    r = rpc.co_revert_to_self()
    assert r.code is E.E_FAIL and r.rules == ("R37",) and rpc.acting_as == "CORP\\alice"
    assert "still acts as CORP\\alice" in r.sentence
    assert e.thread("mid").co_revert_to_self().code is E.E_FAIL


def test_R6_co_initialize_security_once_and_not_default():
    e = Engine(com_world())
    assert e.co_initialize_security("client", level="default").code is E.E_INVALIDARG
    assert e.co_initialize_security("client", level="delegate").ok
    assert e.co_initialize_security("client", level="identify").code is E.RPC_E_TOO_LATE
    d = e.thread("client").call("mid", Binding.of(api="com", provider="kerberos")).decision
    assert d.delegated and "CoInitializeSecurity" in d.explain()


def test_R37_one_revert_undoes_stacked_impersonations_and_R38_com_reverts_itself():
    t = middle(Engine(com_world()))
    t.co_impersonate_client()
    t.co_impersonate_client()
    assert t.com_depth == 2
    r = t.co_revert_to_self()
    assert "all 2 impersonations" in r.sentence and t.acting_as == "CORP\\svc_mid"
    t.co_impersonate_client()
    end = t.end_call()
    assert end.rules == ("R38",) and t.acting_as == "CORP\\svc_mid" and not t.still_impersonating_after_call


def test_R39_com_delegation_needs_a_trusted_server():
    d = (
        Engine(com_world())
        .thread("client")
        .call("mid_plain", Binding.of(api="com", provider="kerberos", level="delegate"))
        .decision
    )
    assert d.code is E.RPC_S_SEC_PKG_ERROR and "R19" in d.rules


def test_com_options_exhaustively_over_two_hops():
    """Every cloaking x first-hop level x provider x second-hop level: the back end sees the client only with
    cloaking, a first hop that let the identity leave MID (Delegate over Kerberos), and an acting-level token."""
    w = com_world()
    for cloak, lvl1, prov, lvl2 in itertools.product(
        ("none", "static", "dynamic"),
        ("identify", "impersonate", "delegate"),
        ("ntlm", "kerberos"),
        ("identify", "impersonate", "delegate"),
    ):
        e = Engine(w)
        served = e.thread("client").call("mid", Binding.of(api="com", provider=prov, level=lvl1))
        if not served.ok:
            assert lvl1 == "delegate" and prov == "ntlm"
            continue
        t = served.thread
        t.co_impersonate_client()
        d = t.call("back", Binding.of(api="com", provider="kerberos", level=lvl2, cloaking=cloak)).decision
        sees_alice = d.ok and d.identity_seen == "CORP\\alice"
        # asking Delegate of the back end fails: its account is not trusted for delegation (R19, R39)
        expected = cloak != "none" and lvl1 == "delegate" and prov == "kerberos" and lvl2 != "delegate"
        assert sees_alice == expected, (cloak, lvl1, prov, lvl2)
        if cloak == "none" and d.ok:
            assert d.identity_seen == "CORP\\svc_mid"


# --- Kerberos constrained and resource-based delegation ----------------------------------------------------
def kcd_world():
    w = World("CORP")
    for m in ("WS1", "WEB", "SQL", "OTHER"):
        w.machine(m)
    w.machine("SHARE", allowed_to_act_for=["svc_web"])
    w.account("bob")
    w.account("carol", sensitive=True)
    w.account("pat", protected_user=True)
    w.account("svc_web", delegate_to=["SQL"])
    w.account("svc_pt", delegate_to=["SQL"], trusted_to_auth_for_delegation=True)
    w.account("svc_plain")
    w.account("svc_sql")
    w.account("svc_rbcd", allowed_to_act_for=["svc_plain"])
    for u in ("bob", "carol", "pat"):
        w.process(f"browser_{u}", on="WS1", runs_as=u)
    w.process("web", on="WEB", runs_as="svc_web")
    w.process("web_pt", on="WEB", runs_as="svc_pt")
    w.process("web_plain", on="WEB", runs_as="svc_plain")
    w.process("sql", on="SQL", runs_as="svc_sql")
    w.process("other", on="OTHER", runs_as="svc_sql")
    w.process("rbcd_target", on="OTHER", runs_as="svc_rbcd")
    w.resource("share", on="SHARE", kind="share", allow={"bob": "read"})
    return w


@pytest.mark.parametrize(
    "user,front,provider,target,seen,rule",
    [
        ("bob", "web", "kerberos", "sql", "CORP\\bob", "R24"),  # KCD, listed
        ("bob", "web", "kerberos", "other", ANONYMOUS_LOGON, "R24"),  # KCD, not listed
        ("bob", "web", "ntlm", "sql", ANONYMOUS_LOGON, "R24"),  # no protocol transition
        ("bob", "web_pt", "ntlm", "sql", "CORP\\bob", "R24"),  # protocol transition
        ("bob", "web_plain", "ntlm", "rbcd_target", "CORP\\bob", "R24"),  # RBCD (NTLM sign-in is fine)
        ("bob", "web_plain", "kerberos", "sql", ANONYMOUS_LOGON, "R24"),  # nothing configured
        ("carol", "web", "kerberos", "sql", ANONYMOUS_LOGON, "R25"),  # sensitive: never, in any kind
        ("carol", "web_plain", "kerberos", "rbcd_target", ANONYMOUS_LOGON, "R25"),
    ],
)
def test_R24_R25_constrained_and_resource_based(user, front, provider, target, seen, rule):
    e = Engine(kcd_world(), Options(kerberos_delegation=True))
    t = e.thread(f"browser_{user}").call(front, Binding.of(provider=provider, level="impersonate")).thread
    t.rpc_impersonate_client()
    d = t.call(target, Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)).decision
    assert d.identity_seen == seen and rule in [r.rule for r in d.reasons]


def test_R24_rbcd_on_a_computer_account_for_resources():
    e = Engine(kcd_world(), Options(kerberos_delegation=True))
    t = e.thread("browser_bob").call("web", Binding.of(provider="kerberos")).thread
    t.rpc_impersonate_client()
    opened = t.open("share")
    assert opened.ok and opened.identity == "CORP\\bob" and "R24" in opened.rules


@pytest.mark.parametrize(
    "ignore,code,delegated", [(False, E.RPC_S_SEC_PKG_ERROR, False), (True, E.ERROR_SUCCESS, False)]
)
def test_R24_a_service_acting_through_s4u_has_no_tgt_to_forward(ignore, code, delegated):
    """web_pt reaches SQL as bob by protocol transition and S4U2proxy; asking a server on SQL that is trusted for
    unconstrained delegation for Delegate cannot forward anything, because web_pt never held bob's TGT."""
    w = kcd_world()
    w.account("svc_sql_trusted", trusted_for_delegation=True)
    w.process("sql_trusted", on="SQL", runs_as="svc_sql_trusted")
    e = Engine(w, Options(kerberos_delegation=True))
    t = e.thread("browser_bob").call("web_pt", Binding.of(provider="ntlm", level="impersonate")).thread
    t.rpc_impersonate_client()
    d = t.call(
        "sql_trusted",
        Binding.of(provider="kerberos", level="delegate", mutual_auth=True, ignore_delegation_failure=ignore),
    ).decision
    assert d.code is code and d.delegated is delegated
    why = next(r for r in d.reasons if r.rule == "R24" and "TGT" in r.sentence)
    assert why.sentence == (
        "web_pt can act as CORP\\bob towards sql_trusted only through constrained delegation "
        "(S4U2proxy): it holds a service ticket as CORP\\bob, not CORP\\bob's TGT, so there is "
        "nothing to forward."
    )
    if ignore:
        assert d.identity_seen == "CORP\\bob" and d.context.level.label == "Impersonate"


def test_R24_constrained_servers_never_receive_forwarded_tickets():
    e = Engine(kcd_world(), Options(kerberos_delegation=True))
    d = e.thread("browser_bob").call("web", Binding.of(provider="kerberos", level="delegate", mutual_auth=True))
    assert d.decision.code is E.RPC_S_SEC_PKG_ERROR and "R24" in d.decision.rules
    seeds = (
        Engine(kcd_world())
        .thread("browser_bob")
        .call("web", Binding.of(provider="kerberos", level="delegate", mutual_auth=True))
    )
    assert seeds.ok and seeds.decision.delegated  # the seeds' model: trusted to listed computers (M2)


# --- Negotiate and identity tracking in scenarios ---------------------------------------------------------
def test_R22_ip_fallback_breaks_delegation_and_an_ip_spn_restores_it():
    s = load_named("negotiate-ip-fallback")
    by_ip = s.evaluate("by-ip")
    assert by_ip.hops[0].call.provider is Provider.NTLM and by_ip.outcome.code is E.RPC_S_SEC_PKG_ERROR
    assert s.evaluate("by-ip-with-ip-spn").hops[0].call.provider is Provider.KERBEROS


def test_R31_static_binding_made_before_impersonating_carries_the_servers_identity():
    s = load_named("identity-tracking")
    r = s.evaluate("static-bound-early")
    assert r.reached_as("server_b") == "CORP\\svc_a" and r.outcome.rules[0] == "R31"
    assert s.evaluate("dynamic-bound-early").reached_as("server_b") == "CORP\\alice"
