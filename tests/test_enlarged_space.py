"""The core's invariants over the configuration spaces enlarged by the beyond-the-seeds options (issue 7).

Every 2- and 3-hop configuration of two enlarged spaces is checked (see ``space.check_all``):

* ``delegation``: server accounts untrusted, trusted for delegation (unconstrained), constrained
  to M2 (KCD), constrained with protocol transition, or listed by M2's accounts (resource-based);
  TCP hops over NTLM, Kerberos, or Negotiate with the server named by name or by IP (R22, R24);
* ``com``: every hop a COM call with cloaking none, static or dynamic, at every level including
  the machine default (R6, R32), servers using CoImpersonateClient.

The invariants of tests/test_invariants.py (I1-I5) hold as stated there, except I2, which the new
options legitimately change and which is restated precisely:

I2-delegation  The client's identity arrives over a second (or later) machine crossing only if every
               earlier crossing was unconstrained delegation (Delegate, Kerberos, mutual
               authentication, trusted server), or the target is M2 and, on the caller's machine, a
               constrained (KCD, protocol transition) or resource-based server acted as the client
               (the caller is that server, or shares its logon session over ncalrpc, R27): constrained
               delegation carries the identity to the listed computer and nowhere else.
I2-com         A COM server calling on while impersonating presents its own identity unless its proxy
               cloaks (static or dynamic); so the client's identity reaches hop k >= 2 only if every
               onward hop cloaked, and beyond the first remote machine only as I2 says.
I7 (R22)       Negotiate runs Kerberos to a server on another machine named by name; NTLM when the
               server is named by IP address, and NTLM on the same machine.
I8 (R6)        A COM call at the default level asks for the machine-wide default (Identify here).
I9 (R25)       A sensitive client is never delegated, by any kind of delegation.
"""

from collections import Counter

import pytest

from rpc_impersonation.constants import Cloaking, ErrorCode, ImpLevel, Provider, TokenLevel
from rpc_impersonation.space import CONSTRAINED_TO, KINDS, ChainSpace, HopRecord, check_all

USED = Counter()  # how often each widened case occurred: the restated invariants must not be vacuous


def common(rec: HopRecord, client: str, sensitive: bool) -> None:
    """I1, I3, I4/I9, I5, I7 and I8 on one hop."""
    where = rec.option.describe()
    if rec.impersonation is not None and not rec.impersonation.ok:  # I5
        assert rec.acting_as == rec.server_account, where
    call = rec.call
    if call.provider is not None and rec.option.provider is Provider.NEGOTIATE:  # I7
        kerberos = rec.option.remote and not rec.option.by_ip
        assert call.provider is (Provider.KERBEROS if kerberos else Provider.NTLM), where
        USED["negotiate ran Kerberos" if kerberos else "negotiate fell back to NTLM"] += 1
    if call.requested is not None and rec.option.level is ImpLevel.DEFAULT:  # I8
        assert call.requested is ImpLevel.IDENTIFY, where
    if rec.caller_machine != rec.server_machine and call.provider is Provider.NTLM:  # I3
        assert not call.delegated, where
    if sensitive:  # I4, I9 (a COM server without cloaking may delegate its own identity: that is not the client)
        assert not (call.delegated and call.presented == client), where
    if rec.stopped:
        return
    if rec.level is not None and rec.level < TokenLevel.IMPERSONATION:  # I1
        assert rec.access.code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, where
    if rec.access.ok:
        assert rec.level is None or rec.level >= TokenLevel.IMPERSONATION, where


def delegation_check(state, rec: HopRecord):
    client, sensitive, *rest = state
    crossings, unconstrained, constrained_at = rest if len(rest) == 3 else (0, True, frozenset())
    common(rec, client, sensitive)
    crossing = rec.caller_machine != rec.server_machine
    crossings += crossing
    if not rec.stopped and rec.acting_as == client and crossing and crossings >= 2:  # I2-delegation
        assert not sensitive, rec.option.describe()
        widened = rec.server_machine == CONSTRAINED_TO and rec.caller_machine in constrained_at
        assert unconstrained or widened, rec.option.describe()
        if not unconstrained:
            USED[f"constrained delegation reached {CONSTRAINED_TO}"] += 1
    if crossing:
        unconstrained = unconstrained and rec.option.delegate_qualified
    if not rec.stopped and rec.acting_as == client and rec.option.constrained:
        USED[f"a {KINDS[rec.option.kind]} server acted as the client"] += 1
        constrained_at = constrained_at | {rec.server_machine}
    return client, sensitive, min(crossings, 2), unconstrained, constrained_at


def com_check(state, rec: HopRecord):
    client, sensitive, *rest = state
    crossings, unconstrained, cloaked, caller_account = rest if len(rest) == 4 else (0, True, True, None)
    common(rec, client, sensitive)
    onward = caller_account is not None  # called by an impersonating server, not by the client itself
    if onward and rec.option.cloaking is Cloaking.NONE and rec.call.ok and rec.call.authenticated:
        assert rec.call.presented != client, rec.option.describe()  # I2-com: its own identity goes out
        USED["no cloaking: the server's own identity went out"] += 1
    cloaked = cloaked and (not onward or rec.option.cloaking is not Cloaking.NONE)
    crossing = rec.caller_machine != rec.server_machine
    crossings += crossing
    if not rec.stopped and rec.acting_as == client:
        assert cloaked, rec.option.describe()
        if onward:
            USED[f"{rec.option.cloaking.value} cloaking carried the client on"] += 1
        if crossing and crossings >= 2:
            assert unconstrained and not sensitive, rec.option.describe()
    if crossing:
        unconstrained = unconstrained and rec.option.delegate_qualified
    return client, sensitive, min(crossings, 2), unconstrained, cloaked, rec.server_account


@pytest.mark.slow
@pytest.mark.parametrize("flavour,check", [("delegation", delegation_check), ("com", com_check)])
@pytest.mark.parametrize("hops", [2, 3])
def test_invariants_over_the_enlarged_space(flavour, check, hops):
    USED.clear()
    space = ChainSpace(hops, flavour)
    assert check_all(space, check) == space.size
    expected = {
        "delegation": [
            "negotiate fell back to NTLM",
            "negotiate ran Kerberos",
            f"constrained delegation reached {CONSTRAINED_TO}",
            *(f"a {KINDS[k]} server acted as the client" for k in "kpr"),
        ],
        "com": [
            "no cloaking: the server's own identity went out",
            "static cloaking carried the client on",
            "dynamic cloaking carried the client on",
        ],
    }[flavour]
    assert all(USED[case] for case in expected), USED


def test_check_all_reports_a_broken_invariant():
    """check_all is not vacuous: an invariant that is false somewhere fails with that hop."""
    space = ChainSpace(2, "delegation")

    def wrong(state, rec):
        assert rec.call.provider is not Provider.NTLM or not rec.option.by_ip, rec.option.describe()
        return state

    with pytest.raises(AssertionError, match="by IP"):
        check_all(space, wrong)


def test_the_enlarged_spaces_hold_every_new_option():
    d, c = ChainSpace(1, "delegation"), ChainSpace(1, "com")
    assert {o.kind for o in d.options} == set("utkpr")
    assert {(o.provider, o.by_ip) for o in d.options} == {
        (Provider.NTLM, False),
        (Provider.KERBEROS, False),
        (Provider.NEGOTIATE, False),
        (Provider.NEGOTIATE, True),
    }
    assert {o.cloaking for o in c.options} == {Cloaking.NONE, Cloaking.STATIC, Cloaking.DYNAMIC}
    assert ImpLevel.DEFAULT in {o.level for o in c.options}
    assert d.engine_options.kerberos_delegation and not c.engine_options.kerberos_delegation
