"""Invariants of the core, checked on every 2- and 3-hop configuration and by hypothesis.

I1 Identify and Anonymous tokens never open a resource.
I2 The client's identity reaches a machine beyond the first remote one only if every earlier
   machine-crossing hop was made at Delegate, over Kerberos, with mutual authentication, to a
   server trusted for delegation.
I3 Nothing delegates through NTLM across machines.
I4 A sensitive account is never delegated, and never seen beyond the first remote machine.
I5 After a failed impersonation the thread acts as the server's own account.
I6 With ignore-delegation-failure set, asking for a higher level never grants less; without it,
   the only exception is a refused delegation (R20).
"""

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rpc_impersonation.binding import Binding
from rpc_impersonation.chain import evaluate
from rpc_impersonation.constants import ErrorCode, ImpLevel, Provider, TokenLevel
from rpc_impersonation.engine import Engine
from rpc_impersonation.scenarios import seed_delegation_world
from rpc_impersonation.space import HOP_OPTIONS, ChainConfig, ChainSpace, walk
from rpc_impersonation.world import ANONYMOUS_LOGON

SPACES = {n: ChainSpace(n) for n in (2, 3)}


def check_path(client: str, sensitive: bool, records) -> None:
    crossings: list = []
    for k, rec in enumerate(records, start=1):
        where = f"hop {k} of {' -> '.join(r.option.describe() for r in records)}"
        crossing = rec.caller_machine != rec.server_machine
        # I5
        if rec.impersonation is not None and not rec.impersonation.ok:
            assert rec.acting_as == rec.server_account, where
        if rec.stopped:
            break
        # I1
        if rec.level is not None and rec.level < TokenLevel.IMPERSONATION:
            assert rec.access.code is ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, where
        if rec.access.ok:
            assert rec.level is None or rec.level >= TokenLevel.IMPERSONATION, where
        # I3
        if crossing and rec.call.provider is Provider.NTLM:
            assert not rec.call.delegated, where
        # I4
        if sensitive:
            assert not rec.call.delegated, where
        if crossing:
            crossings.append(rec)
        # I2 and I4 (reach)
        if rec.acting_as == client and len(crossings) >= 2:
            assert not sensitive, where
            for earlier in crossings[:-1]:
                assert earlier.option.delegate_qualified, where


@pytest.mark.slow
@pytest.mark.parametrize("hops", [2, 3])
def test_invariants_hold_on_every_configuration(hops):
    space = SPACES[hops]
    seen = {"paths": 0}

    def visit(client, sensitive, ignore, records, weight):
        seen["paths"] += 1
        check_path(client.account.qualified, sensitive, records)

    assert walk(space, visit) == space.size
    assert seen["paths"] > 1000


@pytest.mark.slow
@pytest.mark.parametrize("hops", [2, 3])
def test_walk_agrees_with_plain_evaluation(hops):
    """The prefix-sharing walk is an optimisation only: sampled chains give the same answers."""
    space = SPACES[hops]
    records = {}

    def visit(client, sensitive, ignore, recs, weight):
        records[(sensitive, ignore, tuple(r.option for r in recs))] = recs

    walk(space, visit)
    for i, ((sensitive, ignore, prefix), recs) in enumerate(records.items()):
        if i % 97:
            continue
        options = prefix + (HOP_OPTIONS[0],) * (hops - len(prefix))
        result = evaluate(space.world, space.chain(ChainConfig(options, sensitive, ignore)))
        for rec, hop in zip(recs, result.hops):
            assert rec.call.code is hop.call.code
            assert rec.acting_as == (hop.acting_as or rec.acting_as)
            if not rec.stopped:
                assert rec.access.code is hop.accesses[0].code


def _walk_answers(space, engine) -> dict:
    answers = {}

    def visit(client, sensitive, ignore, recs, weight):
        answers[(sensitive, ignore, tuple(r.option for r in recs))] = [
            (r.call.to_dict(), r.impersonation and r.impersonation.to_dict(), r.access and r.access.to_dict())
            for r in recs
        ]

    walk(space, visit, engine)
    return answers


def test_remembered_call_decisions_equal_fresh_ones():
    """The engine's remembered decisions change nothing: the whole 2-hop space, walked twice by a
    remembering engine (the second walk answered from memory), matches an engine that decides afresh."""
    space = SPACES[2]
    fresh = _walk_answers(space, Engine(space.world, remember=False))
    remembering = Engine(space.world)
    first = _walk_answers(space, remembering)
    assert first == fresh
    assert _walk_answers(space, remembering) == fresh


def test_a_repeated_call_reuses_its_decision_until_the_world_changes():
    world = seed_delegation_world()
    engine = Engine(world)
    client = engine.thread("client")
    binding = Binding.of(provider="kerberos", level="delegate", mutual_auth=True)
    first, second = client.call("server_a", binding), client.call("server_a", binding)
    assert second.decision is first.decision  # remembered ...
    assert second.thread is not first.thread  # ... but a new call, with its own thread
    assert second.thread.call_handle.number != first.thread.call_handle.number
    world.machine("NEW1")
    third = client.call("server_a", binding)
    assert third.decision is not first.decision and third.decision == first.decision
    assert Engine(world, remember=False).thread("client").call("server_a", binding).decision == first.decision


def grant(result, index: int) -> tuple:
    """How much the server at hop ``index`` got: reached, its token level, network credentials, reach."""
    if index >= len(result.hops) or not result.hops[index].reached or result.hops[index].refused_request:
        return (0, -1, 0, 0)
    h = result.hops[index]
    reach = sum(1 for x in result.hops[index:] if x.reached and x.acting_as == result.client_identity)
    return (1, -1 if h.thread_level is None else int(h.thread_level), int(h.network_credentials), reach)


option = st.sampled_from(HOP_OPTIONS)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(option, min_size=1, max_size=3),
    st.integers(0, 2),
    st.booleans(),
    st.booleans(),
    st.sampled_from(
        [
            (ImpLevel.ANONYMOUS, ImpLevel.IDENTIFY),
            (ImpLevel.IDENTIFY, ImpLevel.IMPERSONATE),
            (ImpLevel.IMPERSONATE, ImpLevel.DELEGATE),
            (ImpLevel.IDENTIFY, ImpLevel.DELEGATE),
        ]
    ),
)
def test_I6_higher_level_never_grants_less(hops, at, sensitive, ignore, pair):
    at = min(at, len(hops) - 1)
    space = SPACES[3]
    low, high = (list(hops), list(hops))
    base = hops[at]
    low[at], high[at] = replace(base, level=pair[0]), replace(base, level=pair[1])
    r_low = evaluate(space.world, space.chain(ChainConfig(tuple(low), sensitive, ignore)))
    r_high = evaluate(space.world, space.chain(ChainConfig(tuple(high), sensitive, ignore)))
    g_low, g_high = grant(r_low, at), grant(r_high, at)
    if ignore:
        assert g_high >= g_low, (g_low, g_high)
    elif g_high < g_low:
        # the documented exception: Delegate was required and refused (R20)
        refused = r_high.hops[at].call
        assert pair[1] is ImpLevel.DELEGATE and refused.code is ErrorCode.RPC_S_SEC_PKG_ERROR
        assert "R20" in refused.rules


@settings(max_examples=200, deadline=None)
@given(st.lists(option, min_size=1, max_size=3), st.booleans(), st.booleans())
def test_identity_is_client_server_or_anonymous_logon(hops, sensitive, ignore):
    space = SPACES[3]
    result = evaluate(space.world, space.chain(ChainConfig(tuple(hops), sensitive, ignore)))
    for h in result.hops:
        if h.reached and h.impersonation is not None:
            assert h.acting_as in {
                result.client_identity,
                ANONYMOUS_LOGON,
                "(nobody: anonymous-level token)",
                space.world.get_process(h.hop.server).account.qualified,
            }
    # every decision explains itself
    for h in result.hops:
        for d in h.decisions():
            assert d.rules and d.sentence


def test_space_covers_every_option_value():
    assert {o.route for o in HOP_OPTIONS} == {"ncalrpc", "tcp-local", "tcp-remote"}
    assert {o.level for o in HOP_OPTIONS} == {
        ImpLevel.ANONYMOUS,
        ImpLevel.IDENTIFY,
        ImpLevel.IMPERSONATE,
        ImpLevel.DELEGATE,
    }
    assert set(itertools.product((False, True), repeat=2)) == {
        (o.mutual, o.trusted) for o in HOP_OPTIONS if o.provider is Provider.KERBEROS
    }
