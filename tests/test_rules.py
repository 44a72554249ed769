"""Table-driven tests: one or more cases per rule, asserting the outcome and the rule that decided it."""

import pytest

from helpers import call, hop2, kerb, served_thread, standard_world
from rpc_impersonation import Binding, Engine, Options
from rpc_impersonation.constants import AccountFlag, ErrorCode, ImpLevel, Provider, QosCapability, TokenLevel, parse
from rpc_impersonation.errors import ImpersonationError, InvalidValueError
from rpc_impersonation.world import ANONYMOUS_LOGON

E = ErrorCode


@pytest.fixture
def w():
    return standard_world()


# --- R1-R3: levels and constants ------------------------------------------------------------------
def test_R1_two_enums_shifted_by_one():
    assert [lvl.to_token().value for lvl in list(ImpLevel)[1:]] == [0, 1, 2, 3]
    with pytest.raises(ImpersonationError, match="resolve it first"):
        ImpLevel.DEFAULT.to_token()
    assert TokenLevel.IMPERSONATION.to_request() is ImpLevel.IMPERSONATE


def test_R2_order():
    assert ImpLevel.ANONYMOUS < ImpLevel.IDENTIFY < ImpLevel.IMPERSONATE < ImpLevel.DELEGATE
    assert TokenLevel.ANONYMOUS < TokenLevel.IDENTIFICATION < TokenLevel.IMPERSONATION < TokenLevel.DELEGATION


@pytest.mark.parametrize(
    "member,value",
    [
        (E.ERROR_BAD_IMPERSONATION_LEVEL, 1346),
        (E.RPC_S_NO_CALL_ACTIVE, 1725),
        (E.RPC_S_SEC_PKG_ERROR, 1825),
        (E.RPC_S_NO_CONTEXT_AVAILABLE, 1765),
        (E.RPC_S_WRONG_KIND_OF_BINDING, 1701),
        (E.RPC_S_INVALID_BINDING, 1702),
        (E.ERROR_CANT_OPEN_ANONYMOUS, 1347),
        (E.ERROR_NO_IMPERSONATION_TOKEN, 1309),
        (E.HRESULT_RPC_S_SEC_PKG_ERROR, 0x80070721),
        (Provider.KERBEROS, 16),
        (Provider.NTLM, 10),
        (Provider.NEGOTIATE, 9),
        (Provider.DEFAULT, 0xFFFFFFFF),
        (QosCapability.MUTUAL_AUTH, 1),
        (QosCapability.IGNORE_DELEGATE_FAILURE, 8),
        (AccountFlag.TRUSTED_FOR_DELEGATION, 0x80000),
        (AccountFlag.NOT_DELEGATED, 0x100000),
    ],
)
def test_R3_constants(member, value):
    assert member.value == value


# --- R4-R6: defaults --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "api,machine_default,expected,rule",
    [
        ("rpc", "identify", TokenLevel.IMPERSONATION, "R4"),
        ("com", "identify", TokenLevel.IDENTIFICATION, "R6"),
        ("com", "impersonate", TokenLevel.IMPERSONATION, "R6"),
        ("complus", "identify", TokenLevel.IMPERSONATION, "R6"),
    ],
)
def test_R4_R6_default_level_per_api_family(api, machine_default, expected, rule):
    w = standard_world()
    w.machine("WS9", com_default_level=machine_default)
    w.process("cl9", on="WS9", runs_as="alice")
    _, served = call(w, "cl9", "a", Binding.of(api=api, provider="ntlm"))
    assert served.ok and served.decision.context.level is expected
    assert any(r.rule == rule for r in served.decision.reasons)


def test_R4_default_provider_is_ntlm_and_no_auth_means_unauthenticated(w):
    _, served = call(w, "client", "a", Binding.of())
    assert served.decision.provider is Provider.NTLM
    _, served = call(w, "client", "a", Binding.of(provider="none"))
    assert served.ok and served.decision.context is None and "R4" in served.decision.rules


@pytest.mark.parametrize("protseq", ["ncalrpc", "ncacn_np"])
def test_R5_transport_level_identity_without_authentication(w, protseq):
    _, served = call(w, "client", "local", Binding.of(protseq=protseq, provider="none"))
    assert served.decision.context.user == "CORP\\alice" and "R5" in served.decision.rules
    assert served.decision.context.level is TokenLevel.IMPERSONATION


# --- R7-R9: level capping -----------------------------------------------------------------------------
def test_R7_anonymous_becomes_identify_off_ncalrpc(w):
    _, served = call(w, "client", "a", Binding.of(provider="ntlm", level="anonymous"))
    assert served.decision.context.level is TokenLevel.IDENTIFICATION and "R7" in served.decision.rules
    _, served = call(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level="anonymous"))
    assert served.decision.context.level is TokenLevel.ANONYMOUS


def test_A2_provider_bump_switch(w):
    _, served = call(
        w, "client", "a", Binding.of(provider="ntlm", level="identify"), Options(legacy_provider_bump=True)
    )
    assert served.decision.context.level is TokenLevel.IMPERSONATION and "A2" in served.decision.rules


def test_R8_identify_arrives_as_identify(w):
    _, served = call(w, "client", "a", kerb("identify"))
    assert served.decision.context.level is TokenLevel.IDENTIFICATION


def test_R9_missing_privilege_gives_identify_with_success(w):
    t = served_thread(w, "client", "a_unpriv", Binding.of(provider="ntlm", level="impersonate"))
    r = t.rpc_impersonate_client()
    assert r.ok and r.level is TokenLevel.IDENTIFICATION and "R9" in r.rules
    assert t.open("file@SRVA").code is E.ERROR_BAD_IMPERSONATION_LEVEL


# --- R10-R14: the thread API --------------------------------------------------------------------------
def test_R10_return_codes(w):
    engine = Engine(w)
    idle = engine.thread("a")
    assert idle.rpc_impersonate_client().code is E.RPC_S_NO_CALL_ACTIVE
    served = engine.thread("client").call("a", Binding.of(provider="ntlm"))
    t = served.thread
    assert t.rpc_impersonate_client(12345).code is E.RPC_S_INVALID_BINDING
    handle = engine.thread("a").bind("b", Binding.of())
    assert t.rpc_impersonate_client(handle).code is E.RPC_S_WRONG_KIND_OF_BINDING
    r = t.rpc_impersonate_client(t.call_handle)
    assert r.ok and r.code_name == "RPC_S_OK (0)"
    unauth = engine.thread("client").call("a", Binding.of(provider="none")).thread
    r = unauth.rpc_impersonate_client()
    assert r.code is E.RPC_S_NO_CONTEXT_AVAILABLE and "A15" in r.rules


def test_R10_worker_thread_impersonates_with_another_threads_call_handle(w):
    engine = Engine(w)
    t = engine.thread("client").call("a", Binding.of(provider="ntlm")).thread
    worker = engine.thread("a")
    assert worker.rpc_impersonate_client(t.call_handle).ok and worker.acting_as == "CORP\\alice"
    assert worker.rpc_revert_to_self().code is E.RPC_S_NO_CALL_ACTIVE
    assert worker.acting_as == "CORP\\alice"
    assert worker.rpc_revert_to_self_ex(t.call_handle).ok and worker.acting_as == "CORP\\svc_a"


def test_R11_failed_impersonation_keeps_the_process_identity(w):
    t = served_thread(w, "client", "a_system", Binding.of(provider="none"))
    r = t.rpc_impersonate_client()
    assert not r.ok and r.acting_as == "NT AUTHORITY\\SYSTEM" and "R11" in r.rules
    opened = t.open("secret@SRVA")
    assert opened.ok and opened.identity == "NT AUTHORITY\\SYSTEM" and "R11" in opened.rules


def test_R12_new_impersonation_replaces_and_revert_goes_to_process(w):
    engine = Engine(w)
    t1 = engine.thread("client").call("a", Binding.of(provider="ntlm")).thread
    t2 = engine.thread("client_carol").call("a", Binding.of(provider="ntlm")).thread
    assert t1.rpc_impersonate_client().ok
    r = t1.rpc_impersonate_client(t2.call_handle)
    assert r.ok and t1.acting_as == "CORP\\carol" and "R12" in r.rules
    t1.rpc_revert_to_self()
    assert t1.acting_as == "CORP\\svc_a"


def test_R13_revert_codes(w):
    engine = Engine(w)
    idle = engine.thread("a")
    r = idle.rpc_revert_to_self()
    assert r.code is E.RPC_S_NO_CALL_ACTIVE and r.rules == ("R13", "R11")
    t = engine.thread("client").call("a", Binding.of(provider="ntlm")).thread
    assert t.rpc_revert_to_self().ok  # not impersonating, inside a call (A12)
    assert t.rpc_revert_to_self_ex(object()).code is E.RPC_S_INVALID_BINDING
    assert t.rpc_revert_to_self_ex(t.bind("b", Binding.of())).code is E.RPC_S_WRONG_KIND_OF_BINDING


def test_R14_forgetting_to_revert_is_a_finding(w):
    t = served_thread(w, "client", "a", Binding.of(provider="ntlm"))
    t.rpc_impersonate_client()
    end = t.end_call()
    assert "R14" in end.rules and t.still_impersonating_after_call and t.acting_as == "CORP\\alice"


# --- R15-R18: what tokens can do -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "level,code",
    [
        ("anonymous", E.ERROR_BAD_IMPERSONATION_LEVEL),
        ("identify", E.ERROR_BAD_IMPERSONATION_LEVEL),
        ("impersonate", E.ERROR_SUCCESS),
        ("delegate", E.ERROR_SUCCESS),
    ],
)
def test_R15_R17_opening_a_local_file_by_level(w, level, code):
    t = served_thread(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level=level))
    t.rpc_impersonate_client()
    opened = t.open("file@WS1")
    assert opened.code is code
    assert ("R15" if code else "M4") in opened.rules
    if code is E.ERROR_SUCCESS:
        assert opened.identity == "CORP\\alice"


@pytest.mark.parametrize(
    "level,code",
    [("anonymous", E.ERROR_BAD_IMPERSONATION_LEVEL), ("identify", E.ERROR_SUCCESS), ("impersonate", E.ERROR_SUCCESS)],
)
def test_R16_access_check(w, level, code):
    t = served_thread(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level=level))
    assert t.access_check("file@WS1").code is E.ERROR_NO_IMPERSONATION_TOKEN
    t.rpc_impersonate_client()
    r = t.access_check("file@WS1")
    assert r.code is code and "R16" in r.rules


def test_R18_network_logon_has_no_credentials(w):
    decision, access = hop2(w, kerb("impersonate"), kerb("impersonate"))
    assert decision.ok and decision.identity_seen == ANONYMOUS_LOGON
    assert "A16" in decision.rules and "R18" in decision.rules
    assert access.code is E.ERROR_ACCESS_DENIED


def test_A16_client_error_switch(w):
    decision, _ = hop2(w, kerb("impersonate"), kerb("impersonate"), options=Options(second_hop="client_error"))
    assert decision.code is E.RPC_S_SEC_PKG_ERROR and "A16" in decision.rules


# --- R19-R23, R25: delegation ----------------------------------------------------------------------------
def test_R19_all_prerequisites_met_delegates(w):
    decision, access = hop2(w, kerb(), kerb("impersonate"))
    assert decision.identity_seen == "CORP\\alice" and access.ok


@pytest.mark.parametrize(
    "binding,server,rule,sentence",
    [
        (Binding.of(provider="ntlm", level="delegate", mutual_auth=True), "a", "R19", "Only Kerberos"),
        (Binding.of(provider="kerberos", level="delegate"), "a", "R19", "mutual authentication"),
        (Binding.of(provider="kerberos", level="delegate", mutual_auth=True), "a_plain", "R19", "not trusted"),
    ],
)
def test_R19_R20_each_missing_prerequisite_fails_with_sec_pkg_error(w, binding, server, rule, sentence):
    _, served = call(w, "client", server, binding)
    assert served.decision.code is E.RPC_S_SEC_PKG_ERROR and served.thread is None
    assert rule in served.decision.rules and "R20" in served.decision.rules
    assert sentence in served.decision.explain()


def test_R20_ignore_delegation_failure_flag_and_machine_policy(w):
    _, served = call(w, "client", "a_plain", kerb(ignore_delegation_failure=True))
    assert served.ok and served.decision.context.level is TokenLevel.IMPERSONATION
    assert not served.decision.context.network_credentials and "R20" in served.decision.rules
    w.machine("WS5", ignore_delegation_failure=True)
    w.process("cl5", on="WS5", runs_as="alice")
    _, served = call(w, "cl5", "a_plain", kerb())
    assert served.ok and "R20" in served.decision.rules


def test_R21_mutual_auth_needs_the_right_spn_and_A6_ntlm_accepts_it(w):
    _, served = call(w, "client", "a", kerb("impersonate", spn="wrong"))
    assert served.decision.code is E.RPC_S_SEC_PKG_ERROR and "R21" in served.decision.rules
    _, served = call(w, "client", "a", Binding.of(provider="ntlm", mutual_auth=True, spn="none"))
    assert served.ok and any(r.rule == "A6" for r in served.decision.reasons)


def test_A5_com_over_kerberos_is_mutual_without_asking(w):
    _, served = call(w, "client", "a", Binding.of(api="com", provider="kerberos", level="delegate"))
    assert served.ok and served.decision.delegated
    _, served = call(w, "client", "a", Binding.of(provider="kerberos", level="delegate"))
    assert not served.ok


@pytest.mark.parametrize(
    "target_name,caller_machine,expected",
    [
        ("name", "WS1", Provider.KERBEROS),
        ("ip", "WS1", Provider.NTLM),
        ("name", "WG1", Provider.NTLM),
    ],
)
def test_R22_negotiate(w, target_name, caller_machine, expected):
    w.process("cl_x", on=caller_machine, runs_as="SYSTEM")
    _, served = call(w, "cl_x", "a", Binding.of(provider="negotiate", target_name=target_name))
    assert served.decision.provider is expected and any(r.rule == "R22" for r in served.decision.reasons)


def test_R22_negotiate_uses_an_ip_spn_when_both_switches_are_on(w):
    w.machine("WS6", try_ip_spn=True)
    w.machine("SRV6", ip_spn=True)
    w.process("cl6", on="WS6", runs_as="alice")
    w.process("s6", on="SRV6", runs_as="svc_c")
    _, served = call(w, "cl6", "s6", Binding.of(provider="negotiate", target_name="ip"))
    assert served.decision.provider is Provider.KERBEROS


def test_R23_every_hop_is_rechecked(w):
    # b is trusted; a -> b at Delegate carries alice's identity one more machine, to c.
    engine = Engine(w)
    t1 = engine.thread("client").call("a", kerb()).thread
    t1.rpc_impersonate_client()
    t2 = t1.call("b", kerb()).thread
    t2.rpc_impersonate_client()
    assert t2.call("c", kerb("impersonate")).decision.identity_seen == "CORP\\alice"
    # the same hop at Impersonate: c sees ANONYMOUS LOGON
    t2b = t1.call("b", kerb("impersonate")).thread
    t2b.rpc_impersonate_client()
    assert t2b.call("c", kerb("impersonate")).decision.identity_seen == ANONYMOUS_LOGON


@pytest.mark.parametrize("client", ["client_carol", "client_pat"])
def test_R25_sensitive_and_protected_users_are_never_delegated(w, client):
    _, served = call(w, client, "a", kerb())
    assert served.decision.code is E.RPC_S_SEC_PKG_ERROR and "R25" in served.decision.rules


def test_R25_protected_users_cannot_use_ntlm_across_machines(w):
    _, served = call(w, "client_pat", "a", Binding.of(provider="ntlm"))
    assert served.decision.code is E.ERROR_ACCESS_DENIED and "R25" in served.decision.rules
    _, served = call(w, "client_pat", "local", Binding.of(protseq="ncalrpc", provider="ntlm"))
    assert served.ok


def test_R26_expired_delegated_credentials_work_only_locally(w):
    decision, _ = hop2(w, kerb(), kerb("impersonate"), options=Options(delegated_credentials_expired=True))
    assert decision.identity_seen == ANONYMOUS_LOGON and "R26" in decision.rules


# --- R27-R31: the ncalrpc exception, tracking ------------------------------------------------------------
def test_R27_ncalrpc_impersonate_reaches_one_remote_machine(w):
    decision, access = hop2(
        w,
        Binding.of(protseq="ncalrpc", provider="ntlm", level="impersonate"),
        kerb("impersonate"),
        via="local",
        to="a",
        resource="file@SRVA",
    )
    assert decision.identity_seen == "CORP\\alice" and access.ok


def test_R28_one_machine_hop_only(w):
    engine = Engine(w)
    lb = engine.thread("client").call("local", Binding.of(protseq="ncalrpc", provider="ntlm")).thread
    lb.rpc_impersonate_client()
    rb = lb.call("a", kerb("impersonate")).thread
    rb.rpc_impersonate_client()
    assert rb.open("file@SRVA").ok
    c = rb.call("c", kerb("impersonate"))
    assert c.decision.identity_seen == ANONYMOUS_LOGON and "R18" in c.decision.rules
    # LB may make several outbound calls as alice: each is one hop.
    assert lb.call("b", kerb("impersonate")).decision.identity_seen == "CORP\\alice"


@pytest.mark.parametrize("protseq", ["ncacn_ip_tcp", "ncacn_np"])
def test_R29_same_machine_tcp_and_pipes_get_no_exception_unless_switched(w, protseq):
    first = Binding.of(protseq=protseq, provider="ntlm", level="impersonate")
    decision, _ = hop2(w, first, kerb("impersonate"), via="local", to="a", resource="file@SRVA")
    assert decision.identity_seen == ANONYMOUS_LOGON and "R29" in decision.rules
    decision, _ = hop2(
        w,
        first,
        kerb("impersonate"),
        via="local",
        to="a",
        resource="file@SRVA",
        options=Options(local_non_lrpc_like_ncalrpc=True),
    )
    assert decision.identity_seen == "CORP\\alice"


def test_A4_same_machine_delegate_shares_the_session(w):
    first = Binding.of(protseq="ncacn_ip_tcp", provider="ntlm", level="delegate")
    decision, _ = hop2(w, first, kerb("impersonate"), via="local", to="a", resource="file@SRVA")
    assert decision.identity_seen == "CORP\\alice"


def test_R30_ncalrpc_only_ntlm_and_local_only(w):
    _, served = call(w, "client", "local", Binding.of(protseq="ncalrpc", provider="kerberos"))
    assert served.decision.code is E.RPC_S_UNKNOWN_AUTHN_SERVICE and "R30" in served.decision.rules
    with pytest.raises(InvalidValueError, match="ncalrpc is local only"):
        call(w, "client", "a", Binding.of(protseq="ncalrpc"))


def test_R31_static_tracking_captures_at_bind_time_dynamic_at_each_call(w):
    t = served_thread(w, "client", "a", kerb())
    static = t.bind("b", kerb("impersonate"))
    dynamic = t.bind("b", kerb("impersonate", tracking="dynamic"))
    t.rpc_impersonate_client()
    assert t.call(static).decision.identity_seen == "CORP\\svc_a"
    assert t.call(dynamic).decision.identity_seen == "CORP\\alice"


def test_R31_transport_level_static_captures_at_first_call(w):
    engine = Engine(w)
    t = engine.thread("client").call("local", Binding.of(protseq="ncalrpc", provider="ntlm")).thread
    h = t.bind("local", Binding.of(protseq="ncalrpc", provider="none"))
    assert h.captured is None
    t.rpc_impersonate_client()
    assert t.call(h).decision.identity_seen == "CORP\\alice"
    t.rpc_revert_to_self()
    assert t.call(h).decision.identity_seen == "CORP\\alice"


# --- R40 and M rules ------------------------------------------------------------------------------------
def test_R40_impersonation_exposes_code_token_and_effective_identity(w):
    t = served_thread(w, "client", "a", kerb())
    r = t.rpc_impersonate_client()
    d = r.to_dict()
    assert d["code_name"] == "RPC_S_OK (0)" and d["acting_as"] == "CORP\\alice"
    assert d["thread_token"]["level"] == "Delegate" and d["thread_token"]["network_credentials"] is True


def test_M1_server_requiring_authentication_rejects_unauthenticated(w):
    _, served = call(w, "client", "a_strict", Binding.of(provider="none"))
    assert served.decision.code is E.ERROR_ACCESS_DENIED and "M1" in served.decision.rules


def test_M2_limited_delegation(w):
    decision, access = hop2(w, kerb(), kerb("impersonate"), via="a_limited", to="c", resource="file@SRVC")
    assert decision.identity_seen == "CORP\\alice" and access.ok
    decision, _ = hop2(w, kerb(), kerb("impersonate"), via="a_limited", to="b")
    assert decision.identity_seen == ANONYMOUS_LOGON and "M2" in decision.rules


def test_M3_identify_token_cannot_call_out(w):
    t = served_thread(w, "client", "a", kerb("identify"))
    t.rpc_impersonate_client()
    served = t.call("b", kerb("impersonate"))
    assert served.decision.code is E.ERROR_BAD_IMPERSONATION_LEVEL


def test_M4_acl_deny_wins_and_anonymous_is_not_everyone(w):
    w.resource("public", on="SRVA", allow={"Everyone": "read"})
    t = served_thread(w, "client_carol", "a", kerb("impersonate"))
    t.rpc_impersonate_client()
    denied = t.open("share@FILES")
    assert denied.code is E.ERROR_ACCESS_DENIED
    assert t.open("public").ok
    decision, access = hop2(w, kerb("impersonate"), kerb("impersonate"), to="c", resource="file@SRVC")
    assert decision.identity_seen == ANONYMOUS_LOGON


def test_M5_explicit_kerberos_needs_domains(w):
    _, served = call(w, "wg", "a", Binding.of(provider="kerberos"))
    assert served.decision.code is E.RPC_S_SEC_PKG_ERROR and "M5" in served.decision.rules


def test_level_names_teach_the_two_meanings_of_impersonation():
    with pytest.raises(
        InvalidValueError,
        match="unknown level 'impersonation'; expected one of default, anonymous, identify, impersonate, delegate",
    ):
        parse(ImpLevel, "impersonation", "level")
