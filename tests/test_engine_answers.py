"""Two engine answers looked at again (issue 15; docs/modeling-decisions.md, "Unauthenticated Delegate" and
"Delegated credentials limited to listed computers are not forwarded again")."""

import pytest

from rpc_impersonation import Access, Binding, Chain, Hop, Options, World, evaluate
from rpc_impersonation.constants import ErrorCode
from rpc_impersonation.engine import Engine
from rpc_impersonation.world import ANONYMOUS_LOGON

KERBEROS_DELEGATE = Binding.of(provider="kerberos", level="delegate", mutual_auth=True)
KERBEROS_IMPERSONATE = Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)


def _world():
    w = World("CORP")
    for m in ("WS1", "SRV1", "SRV2", "SRV3"):
        w.machine(m)
    w.account("alice")
    w.account("svc1", delegate_to=["SRV2"])  # trusted for delegation to SRV2 only (M2, SA-9)
    w.account("svc2", trusted_for_delegation=True)  # trusted for delegation to any computer
    w.account("svc3")
    w.process("client", on="WS1", runs_as="alice")
    w.process("s1", on="SRV1", runs_as="svc1")
    w.process("s2", on="SRV2", runs_as="svc2")
    w.process("s3", on="SRV3", runs_as="svc3")
    w.resource("report", on="SRV3", allow={"alice": "read"})
    return w


# --- (a) provider none asking for Delegate --------------------------------------------------------------


def test_unauthenticated_delegate_is_an_ordinary_unauthenticated_call():
    result = evaluate(_world(), Chain("client", (Hop("s1", Binding.of(provider="none", level="delegate")),)))
    call, imp = result.hops[0].call, result.hops[0].impersonation
    assert call.ok and not call.authenticated and not call.delegated and call.context is None
    assert "R4" in call.rules and "R20" not in call.rules
    assert any("request for Delegate is never sent" in r.sentence for r in call.reasons)
    assert imp.code is ErrorCode.RPC_S_NO_CONTEXT_AVAILABLE  # R10: no security context to impersonate
    assert result.outcome.code is ErrorCode.RPC_S_NO_CONTEXT_AVAILABLE and result.deciding_hop == 1


def test_unauthenticated_delegate_answers_like_unauthenticated_impersonate():
    """No QOS travels without authentication, so the level asked for changes nothing (R4)."""
    outcomes = set()
    for level in ("identify", "impersonate", "delegate", "default"):
        r = evaluate(_world(), Chain("client", (Hop("s1", Binding.of(provider="none", level=level)),)))
        outcomes.add((r.outcome.code, r.hops[0].call.authenticated, r.hops[0].acting_as))
    assert outcomes == {(ErrorCode.RPC_S_NO_CONTEXT_AVAILABLE, False, "")}  # refused: the request is not served


def test_transport_identity_still_carries_its_level():
    """ncacn_np without an SSP carries the caller's identity at a level (R5): Delegate across machines is
    refused there as R19/R20 say, unchanged."""
    r = evaluate(
        _world(), Chain("client", (Hop("s2", Binding.of(protseq="ncacn_np", provider="none", level="delegate")),))
    )
    assert r.outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR and "R20" in r.outcome.rules


# --- (b) delegated credentials limited to listed computers ----------------------------------------------


def _three_hops(first, second, ignore=False):
    second = second.with_(ignore_delegation_failure=ignore)
    return Chain(
        "client", (Hop("s1", first), Hop("s2", second), Hop("s3", KERBEROS_IMPERSONATE, access=(Access.of("report"),)))
    )


def test_limited_delegation_is_not_forwarded_again_by_a_server_trusted_for_any_computer():
    """s1 may delegate only to SRV2; s2 on SRV2 is trusted for unconstrained delegation, yet receives nothing
    to pass on: alice's credentials never reach SRV3 (M2)."""
    result = evaluate(_world(), _three_hops(KERBEROS_DELEGATE, KERBEROS_DELEGATE))
    call = result.hops[1].call
    assert result.outcome.code is ErrorCode.RPC_S_SEC_PKG_ERROR and result.deciding_hop == 2
    assert "M2" in call.rules and "R20" in call.rules
    assert any("cannot forward CORP\\alice's credentials again" in r.sentence for r in call.reasons)


def test_with_ignore_delegation_failure_the_identity_stops_at_the_listed_computer():
    result = evaluate(_world(), _three_hops(KERBEROS_DELEGATE, KERBEROS_DELEGATE, ignore=True))
    assert [h.acting_as for h in result.hops] == ["CORP\\alice", "CORP\\alice", ANONYMOUS_LOGON]
    assert result.outcome.code is ErrorCode.ERROR_ACCESS_DENIED


@pytest.mark.parametrize("ignore", [False, True])
def test_the_core_agrees_with_the_kerberos_module(ignore):
    """Options(kerberos_delegation=True) refuses the same onward delegation (R24: a service ticket, no TGT)."""
    core = evaluate(_world(), _three_hops(KERBEROS_DELEGATE, KERBEROS_DELEGATE, ignore))
    kcd = evaluate(
        _world(), _three_hops(KERBEROS_IMPERSONATE, KERBEROS_DELEGATE, ignore), Options(kerberos_delegation=True)
    )
    assert core.outcome.code is kcd.outcome.code
    assert [h.acting_as for h in core.hops] == [h.acting_as for h in kcd.hops]
    assert core.reached_as("s3") == kcd.reached_as("s3") == (ANONYMOUS_LOGON if ignore else None)


def test_limited_delegation_still_reaches_the_listed_computer():
    result = evaluate(_world(), Chain("client", (Hop("s1", KERBEROS_DELEGATE), Hop("s2", KERBEROS_IMPERSONATE))))
    assert result.reached_as("s2") == "CORP\\alice" and result.outcome.ok


def test_a_local_handover_of_limited_credentials_keeps_the_limit():
    """A same-machine Delegate (A4) shares the session, limit included: the listed computer is still reached."""
    w = _world()
    w.process("s1_helper", on="SRV1", runs_as="svc3")
    engine = Engine(w)
    s1 = engine.thread("client").call("s1", KERBEROS_DELEGATE).thread
    assert s1.rpc_impersonate_client().ok
    helper = s1.call("s1_helper", KERBEROS_DELEGATE).thread
    assert helper.rpc_impersonate_client().ok
    assert helper.call("s2", KERBEROS_IMPERSONATE).decision.identity_seen == "CORP\\alice"
    assert helper.call("s3", KERBEROS_IMPERSONATE).decision.identity_seen == ANONYMOUS_LOGON
