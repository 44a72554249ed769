"""One test per seed statement (see rpc_impersonation.seeds and docs/modeling-decisions.md)."""

import pytest

from helpers import call, hop2, kerb, served_thread, standard_world
from rpc_impersonation import Binding, Engine, load_named
from rpc_impersonation.constants import ErrorCode, ImpLevel, TokenLevel, parse
from rpc_impersonation.errors import InvalidValueError
from rpc_impersonation.rules import RULES
from rpc_impersonation.seeds import SEED_STATEMENTS
from rpc_impersonation.world import ANONYMOUS_LOGON

TESTED: dict[str, str] = {}


def seed(sid):
    def mark(fn):
        TESTED[sid] = fn.__name__
        return fn

    return mark


def run(scenario, chain):
    return load_named(scenario).evaluate(chain)


@seed("SA-1")
def test_sa1_impersonating_server_acts_as_the_client():
    w = standard_world()
    t = served_thread(w, "client", "a", kerb("impersonate"))
    assert t.rpc_impersonate_client().ok
    assert t.open("file@SRVA").identity == "CORP\\alice"


@seed("SA-2")
def test_sa2_server_b_decides_on_the_clients_identity():
    r = run("seed-delegation", "delegate")
    assert r.ok and r.reached_as("server_b") == "CORP\\alice"
    b = r.hops[1]
    assert b.accesses[0].identity == "CORP\\alice" and b.accesses[0].ok


@seed("SA-3")
def test_sa3_rpcimpersonateclient_overwrites_the_thread_context():
    w = standard_world()
    t = served_thread(w, "client", "a", kerb("impersonate"))
    assert t.acting_as == "CORP\\svc_a"
    t.rpc_impersonate_client()
    assert t.acting_as == "CORP\\alice" and t.thread_token.level is TokenLevel.IMPERSONATION


@seed("SA-4")
def test_sa4_revert_restores_the_server_context():
    w = standard_world()
    for revert in ("rpc_revert_to_self", "rpc_revert_to_self_ex"):
        t = served_thread(w, "client", "a", kerb("impersonate"))
        t.rpc_impersonate_client()
        assert getattr(t, revert)().ok and t.acting_as == "CORP\\svc_a"


@seed("SA-5")
def test_sa5_client_qos_says_how_it_may_be_impersonated():
    w = standard_world()
    for level, can_act in (("identify", False), ("impersonate", True)):
        t = served_thread(w, "client", "a", kerb(level))
        t.rpc_impersonate_client()
        assert t.open("file@SRVA").ok is can_act


@seed("SA-6")
def test_sa6_delegated_requests_are_indistinguishable_from_the_clients():
    w = standard_world()
    decision, access = hop2(w, kerb(), kerb("impersonate"))
    direct = served_thread(w, "client", "b", kerb("impersonate"))
    direct.rpc_impersonate_client()
    assert decision.identity_seen == direct.acting_as == "CORP\\alice"
    assert access.identity == direct.open("file@SRVB").identity


@seed("SA-7")
def test_sa7_only_kerberos_delegates():
    assert run("seed-delegation", "ntlm").outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR
    w = standard_world()
    _, served = call(
        w, "client", "a", Binding.of(provider="negotiate", target_name="ip", level="delegate", mutual_auth=True)
    )
    assert served.decision.code is ErrorCode.RPC_S_SEC_PKG_ERROR and "R19" in served.decision.rules


@seed("SA-8")
def test_sa8_kerberos_delegates_only_with_mutual_authentication():
    r = run("seed-delegation", "no-mutual-auth")
    assert r.outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR and "R19" in r.outcome.rules
    assert run("seed-delegation", "delegate").ok


@seed("SA-9")
def test_sa9_administrators_limit_where_delegation_goes():
    assert run("delegation-limited", "listed-computer").reached_as("db1") == "CORP\\alice"
    r = run("delegation-limited", "unlisted-computer")
    assert r.reached_as("db2") == ANONYMOUS_LOGON and "M2" in r.outcome.rules
    assert run("seed-delegation", "server-not-trusted").outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR


@seed("SA-10")
def test_sa10_ncalrpc_gives_delegation_rights_at_impersonate():
    r = run("seed-ncalrpc", "lb-impersonate")
    lb = r.hops[0]
    assert lb.hop.binding.qos.level is ImpLevel.IMPERSONATE and lb.network_credentials
    assert "R27" in lb.call.rules


@seed("SA-11")
def test_sa11_one_remote_call_and_rb_acts_only_on_its_own_machine():
    r = run("seed-ncalrpc", "lb-impersonate")
    assert r.reached_as("RB") == "CORP\\userA"
    assert r.hops[1].accesses[0].ok and not r.hops[1].network_credentials
    assert r.reached_as("C") == ANONYMOUS_LOGON


@seed("SA-12")
def test_sa12_c_sees_a_only_if_lb_asked_for_delegate():
    assert run("seed-ncalrpc", "lb-delegate").reached_as("C") == "CORP\\userA"
    assert run("seed-ncalrpc", "lb-impersonate").reached_as("C") == ANONYMOUS_LOGON


@seed("SA-13")
def test_sa13_the_process_and_the_level_have_different_names():
    with pytest.raises(InvalidValueError, match="impersonate"):
        parse(ImpLevel, "impersonation", "level")
    assert ImpLevel.IMPERSONATE.constant == "RPC_C_IMP_LEVEL_IMPERSONATE"
    assert TokenLevel.IMPERSONATION.constant == "SecurityImpersonation"


@seed("SB-1")
def test_sb1_impersonation_needs_the_clients_grant():
    r = run("com-machine-default", "default-identify")
    assert r.outcome.code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL
    assert run("com-machine-default", "programmatic-impersonate").ok


@seed("SB-2")
def test_sb2_the_level_grants_authority():
    w = standard_world()
    grants = []
    for level in ("anonymous", "identify", "impersonate", "delegate"):
        t = served_thread(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level=level))
        grants.append(t.call_decision.context.level)
    assert grants == sorted(grants) and len(set(grants)) == 4


@seed("SB-3")
def test_sb3_network_impersonation_needs_delegate_or_the_local_exception():
    w = standard_world()
    assert hop2(w, kerb("impersonate"), kerb("impersonate"))[0].identity_seen == ANONYMOUS_LOGON
    assert hop2(w, kerb("delegate"), kerb("impersonate"))[0].identity_seen == "CORP\\alice"


@seed("SB-4")
def test_sb4_server_must_be_trusted_for_delegation():
    r = run("seed-delegation", "server-not-trusted")
    assert "not trusted for delegation" in r.story()


@seed("SB-5")
def test_sb5_sensitive_accounts_cannot_be_delegated():
    r = run("seed-delegation", "sensitive-account")
    assert r.outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR and "R25" in r.outcome.rules


@seed("SB-6")
def test_sb6_administrator_changes_the_machine_wide_level():
    assert run("com-machine-default", "admin-raised-default").ok


@seed("SB-7")
def test_sb7_machine_wide_level_applies_only_without_a_programmatic_level():
    assert run("com-machine-default", "programmatic-impersonate").hops[0].thread_level is TokenLevel.IMPERSONATION
    assert run("com-machine-default", "default-identify").hops[0].thread_level is TokenLevel.IDENTIFICATION


@seed("SB-8")
def test_sb8_machine_wide_default_is_identify():
    w = standard_world()
    assert w.get_machine("WS1").com_default_level is ImpLevel.IDENTIFY
    _, served = call(w, "client", "a", Binding.of(api="com"))
    assert served.decision.context.level is TokenLevel.IDENTIFICATION and "R6" in served.decision.rules


@seed("SB-9")
def test_sb9_level_order():
    assert sorted(["delegate", "anonymous", "impersonate", "identify"], key=lambda n: parse(ImpLevel, n, "level")) == [
        "anonymous",
        "identify",
        "impersonate",
        "delegate",
    ]


@seed("SB-10")
def test_sb10_anonymous_token_carries_no_client_information():
    w = standard_world()
    t = served_thread(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level="anonymous"))
    assert t.rpc_impersonate_client().ok
    assert "nobody" in t.acting_as
    assert t.access_check("file@WS1").code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL
    assert t.open("file@WS1").code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL


@seed("SB-11")
def test_sb11_identify_learns_identity_and_checks_acls():
    w = standard_world()
    t = served_thread(w, "client", "a", kerb("identify"))
    t.rpc_impersonate_client()
    assert t.acting_as == "CORP\\alice"
    assert t.access_check("file@SRVA").ok
    assert t.open("file@SRVA").code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL


@seed("SB-12")
def test_sb12_impersonate_local_and_remote_reach():
    w = standard_world()
    remote = served_thread(w, "client", "a", kerb("impersonate"))
    remote.rpc_impersonate_client()
    assert remote.open("file@SRVA").ok
    assert remote.open("share@FILES").identity == ANONYMOUS_LOGON
    local = served_thread(w, "client", "local", Binding.of(protseq="ncalrpc", provider="ntlm", level="impersonate"))
    local.rpc_impersonate_client()
    assert local.open("share@FILES").ok and local.open("share@FILES").identity == "CORP\\alice"


@seed("SB-13")
def test_sb13_delegate_travels_any_number_of_machines():
    w = standard_world()
    engine = Engine(w)
    t = (
        engine.thread("client")
        .call("local", Binding.of(protseq="ncacn_ip_tcp", provider="ntlm", level="delegate"))
        .thread
    )
    t.rpc_impersonate_client()
    for server in ("a", "b"):
        t = t.call(server, kerb()).thread
        t.rpc_impersonate_client()
        assert t.acting_as == "CORP\\alice"
    assert t.call("c", kerb("impersonate")).decision.identity_seen == "CORP\\alice"


def test_every_seed_statement_has_a_test_and_known_rules():
    ids = [s.id for s in SEED_STATEMENTS]
    assert len(ids) == len(set(ids))
    assert sorted(TESTED) == sorted(ids)
    for s in SEED_STATEMENTS:
        assert s.rules and all(r in RULES for r in s.rules), s.id


def test_docs_seed_table_is_current():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, str(root / "scripts" / "seed_table.py")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out in (root / "docs" / "modeling-decisions.md").read_text(), "run scripts/seed_table.py --write"
