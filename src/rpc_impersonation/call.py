"""The call, as an ordered pipeline of named steps (:data:`CALL_STEPS`).

Each step reads the frozen :class:`CallFacts` (the world, the options and the call's inputs) and the
running :class:`CallState`, looks its decision table up, notes the row (its reason is written only when
someone reads it, :mod:`.facts`) and either returns nothing (go on) or the error code that refuses the
call. A new step is one function plus its table.

>>> [step.__name__ for step in CALL_STEPS]  # doctest: +NORMALIZE_WHITESPACE
['grant_level', 'pick_package', 'outbound_identity', 'ntlm_for_protected_users', 'mutual_authentication',
 'arriving_level', 'delegation', 'server_gate', 'client_context']
"""

from __future__ import annotations

from collections.abc import Callable

from .constants import ErrorCode, ImpLevel, Protseq, Provider, TargetName, TokenLevel
from .decisions import CallDecision
from .errors import InvalidValueError
from .facts import CallContext, CallFacts, CallState, context, level_of, origin, reason_of, rules_of, usable
from .plugins import REGISTRY
from .reason import Reason
from .tables import (
    ARRIVAL_LEVEL,
    CREDENTIALS,
    DELEGATION,
    DELEGATION_REFUSED,
    LEVEL_DEFAULT,
    MUTUAL_AUTH,
    NTLM_ALLOWED,
    OUTBOUND,
    PROVIDER,
    SERVER_GATE,
    Arrival,
    Arrives,
    Delegation,
    Grant,
    Mutual,
    Package,
    Session,
)
from .tokens import Credentials, LogonSession, Token
from .world import ANONYMOUS_LOGON

__all__ = [
    "CallFacts",
    "CallState",
    "CallContext",
    "CALL_STEPS",
    "decide_call",
    "context",
    "level_of",
    "reason_of",
    "rules_of",
    "usable",
    "origin",
]


Step = Callable[[CallFacts, CallState], "ErrorCode | None"]
# The compiled tables, indexed directly by the steps: TABLE.lookup[fact, fact, ...] in the table's fact order.
_LEVEL_DEFAULT = LEVEL_DEFAULT.lookup
_PROVIDER = PROVIDER.lookup
_OUTBOUND = OUTBOUND.lookup
_NTLM_ALLOWED = NTLM_ALLOWED.lookup
_MUTUAL_AUTH = MUTUAL_AUTH.lookup
_ARRIVAL_LEVEL = ARRIVAL_LEVEL.lookup
_DELEGATION = DELEGATION.lookup
_DELEGATION_REFUSED = DELEGATION_REFUSED.lookup
_SERVER_GATE = SERVER_GATE.lookup
_CREDENTIALS = CREDENTIALS.lookup
# The enum members the steps compare against, bound once: reading a member through its class runs
# enum.EnumType's Python-level attribute hook every time, several times a step.
_ARRIVAL_AS_ASKED = Arrival.AS_ASKED
_ARRIVAL_NO_QOS = Arrival.NO_QOS
_ARRIVES_ANONYMOUS = Arrives.ANONYMOUS
_CREDENTIALS_DELEGATED = Credentials.DELEGATED
_REFUSED = Delegation.REFUSED
_GRANT_AS_ASKED = Grant.AS_ASKED
_GRANT_COMPLUS = Grant.COMPLUS
_GRANT_MACHINE = Grant.MACHINE
_IMPLEVEL_DELEGATE = ImpLevel.DELEGATE
_IMPLEVEL_IMPERSONATE = ImpLevel.IMPERSONATE
_PROVIDER_NONE = Provider.NONE
_SESSION_DELEGATED = Session.DELEGATED
_SESSION_SHARED = Session.SHARED
_TARGETNAME_NAME = TargetName.NAME
_TOKENLEVEL_IMPERSONATION = TokenLevel.IMPERSONATION
_CREDENTIALS_NONE, _CREDENTIALS_OWN = Credentials.NONE, Credentials.OWN
_TOKEN_LEVEL: dict[ImpLevel, TokenLevel] = {
    level: level.to_token() for level in ImpLevel if level is not ImpLevel.DEFAULT
}
_LOCAL_ONLY = frozenset(p for p in Protseq if p.local_only)


def grant_level(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which level does the client grant? DEFAULT means different things per API family (R4, R6)."""
    row = _LEVEL_DEFAULT[f.binding.api, s.level]
    effect = row.effect
    if effect is _GRANT_MACHINE:
        s.level = f.caller_machine.com_default_level
    elif effect is _GRANT_COMPLUS:
        s.level = f.caller.complus_default_level
    elif effect is not _GRANT_AS_ASKED:
        s.level = effect
    s.learned = ("requested", s.level, s.learned)
    s.notes.append((row, s.learned))
    return None


def pick_package(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which security package runs, and whether the transport carries the identity (R4, R5, R22, R30, M5)."""
    b = f.binding
    named = b.target_name is _TARGETNAME_NAME or (f.caller_machine.try_ip_spn and f.server_machine.ip_spn)
    row = _PROVIDER[b.provider, b.api, b.protseq, f.local, f.kerberos, named]
    s.notes.append((row, s.learned))
    package: Package = row.effect
    if package.error is not None:
        return package.error
    provider = s.provider = package.provider
    s.security = "ssp" if provider is not _PROVIDER_NONE else ("transport" if package.transport else "none")
    s.learned = ("provider", provider, s.learned)
    return None


def outbound_identity(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Can the presented token authenticate at all, here or there? (R15, M3, R18, M2, A16)"""
    if s.security == "none":
        return None
    presented = f.presented
    session, level = presented.session, presented.level
    extra: tuple[Reason, ...] = ()
    if session.credentials is _CREDENTIALS_OWN and session.scope is None:  # usable()'s common case, inline
        ok = in_scope = True
    else:
        target = f.server_network_account
        ok, in_scope, extra = usable(
            presented, f.world, f.options, f.server.machine, target.qualified if target else None
        )
    row = _OUTBOUND[
        level is None,
        _TOKENLEVEL_IMPERSONATION if level is None else level,
        not f.local,
        ok,
        in_scope,
        f.options.second_hop,
    ]
    s.learned = ("level", level, s.learned)
    if row.decisive:
        s.notes.append((row, s.learned))
        if extra:
            s.notes.extend(extra)
        s.notes.extend(origin(presented, row))
    elif extra and not f.local:
        s.notes.extend(extra)  # constrained or resource-based delegation let the identity through
    effect = row.effect
    if effect.__class__ is ErrorCode:
        return effect
    if effect is _ARRIVES_ANONYMOUS:
        s.arrives = "anonymous_logon"
    else:
        s.arrives = "authenticated"
    return None


def ntlm_for_protected_users(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Protected Users cannot use NTLM to reach another machine (R25)."""
    if s.arrives != "authenticated" or s.provider is _PROVIDER_NONE:
        return None
    presenter = f.presenter
    row = _NTLM_ALLOWED[presenter is not None and presenter.protected_user, s.provider, not f.local]
    if row.effect.__class__ is ErrorCode:
        s.notes.append((row, s.learned))
        return row.effect
    return None


def mutual_authentication(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Is the server's identity proved to the client? (R21, A5, A6)"""
    if s.arrives != "authenticated" or s.provider is _PROVIDER_NONE:
        return None
    b = f.binding
    asked = b.qos.mutual_auth
    row = _MUTUAL_AUTH[s.provider, asked, b.api, b.spn]
    mutual: Mutual = row.effect
    s.mutual = mutual.in_force
    if asked or row.rule != "R21" or mutual.error:
        s.notes.append((row, s.learned))
    return mutual.error


def arriving_level(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which level arrives, before delegation? (R7, R30, A2, R4)"""
    row = _ARRIVAL_LEVEL[f.binding.protseq, s.provider, s.level, f.options.legacy_provider_bump]
    effect = row.effect
    if effect is _ARRIVAL_AS_ASKED:
        s.delivered = s.level
        return None
    if effect is _ARRIVAL_NO_QOS:
        s.no_qos = True  # unauthenticated: the level asked for is never sent (R4)
        s.delivered = s.level
    else:
        s.delivered = effect
    s.notes.append((row, s.learned))
    return None


def delegation(f: CallFacts, s: CallState) -> ErrorCode | None:
    """May the server receive a delegation-capable context? If not, downgrade or fail (R19, R20, R25, A4, M2)."""
    if s.delivered is _IMPLEVEL_DELEGATE and not s.no_qos:
        if s.arrives == "anonymous_logon":
            s.delivered, s.delegation = _IMPLEVEL_IMPERSONATE, _REFUSED
        else:
            error = _delegate(f, s)
            if error is not None:
                return error
    s.learned = ("level", s.delivered, s.learned)
    return None


def _delegate(f: CallFacts, s: CallState) -> ErrorCode | None:
    acct = s.server_account = f.server_network_account
    trust = acct.delegation if acct else "none"
    for adjust in REGISTRY.delegation_trust:
        changed = adjust(acct, f.options)
        if changed is not None:
            trust = changed[0]
            s.notes.extend(changed[1])
    session = f.presented.session
    tgt = session.s4u is None or session.credentials.usable  # S4U2proxy alone holds no TGT to forward (R24)
    presenter = f.presenter if s.arrives == "authenticated" else None
    row = _DELEGATION[
        not f.local,
        s.provider,
        s.mutual,
        trust,
        presenter.delegable if presenter else False,
        tgt,
        session.scope is not None,
    ]
    s.learned = ("server_account", acct or f.server.account, s.learned)
    s.notes.append((row, s.learned))
    s.delegation = row.effect
    if s.delegation is _REFUSED:
        qos = f.binding.qos
        row = _DELEGATION_REFUSED[qos.ignore_delegation_failure or f.caller_machine.ignore_delegation_failure,]
        s.notes.append((row, s.learned))
        if isinstance(row.effect, ErrorCode):
            return row.effect
        s.delivered = _IMPLEVEL_IMPERSONATE
    return None


def server_gate(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Does the server let the caller in? (M1)"""
    arrives = "none" if s.security == "none" else s.arrives
    row = _SERVER_GATE[f.server.requires_authentication, arrives]
    if row.effect.__class__ is ErrorCode:
        client = (
            "an unauthenticated caller"
            if s.security == "none"
            else ANONYMOUS_LOGON
            if s.arrives == "anonymous_logon"
            else f.client_name
        )
        s.notes.append((row, ("client", client, s.learned)))
        return row.effect
    return None


def client_context(f: CallFacts, s: CallState) -> ErrorCode | None:
    """The client context the server receives: whose token, at which level, which credentials
    (R18, R19, R27, R29, A4, A9)."""
    if s.security == "none":
        return None
    if s.arrives == "anonymous_logon":
        session = LogonSession.of(ANONYMOUS_LOGON, f.server.machine, "anonymous", _CREDENTIALS_NONE)
        s.context = Token.deferred(
            ANONYMOUS_LOGON, session, min(s.delivered, _IMPLEVEL_IMPERSONATE).to_token(), s.origin
        )
        return None
    row = _CREDENTIALS[
        f.binding.protseq, f.local, s.delivered, s.delegation._value_, f.options.local_non_lrpc_like_ncalrpc
    ]
    s.notes.append((row, s.learned))
    effect = row.effect
    if effect is _SESSION_SHARED:
        session = f.presented.session
    elif effect is _SESSION_DELEGATED:
        acct = s.server_account
        scope = tuple(acct.delegate_to) if acct and acct.delegation == "listed" else None
        session = LogonSession.of(f.client_name, f.server.machine, "network", _CREDENTIALS_DELEGATED, scope)
    else:
        extra = None
        for make in REGISTRY.network_session:  # Kerberos: what S4U2proxy may later do with this session
            extra = extra or make(f.world, f.options, f.server_network_account, s.provider)
        session = (
            f.network_session
            if extra is None
            else LogonSession.of(f.client_name, f.server.machine, "network", _CREDENTIALS_NONE, None, extra)
        )
    s.context = Token.deferred(f.client_name, session, _TOKEN_LEVEL[s.delivered], s.origin)
    return None


#: The call, step by step, in order. The first step that returns an error code refuses the call.
CALL_STEPS: tuple[Step, ...] = (
    grant_level,
    pick_package,
    outbound_identity,
    ntlm_for_protected_users,
    mutual_authentication,
    arriving_level,
    delegation,
    server_gate,
    client_context,
)
_SUCCESS = ErrorCode.ERROR_SUCCESS


def decide_call(f: CallFacts) -> CallDecision:
    """The call decision: a pure function of the facts."""
    if f.binding.protseq in _LOCAL_ONLY and not f.local:
        protseq = f.binding.protseq.value
        raise InvalidValueError(
            "protseq",
            protseq,
            f"{Protseq.remote_names()} to reach {f.server.machine} from {f.caller.machine} ({protseq} is local only)",
            what="unusable",
        )
    s = CallState(f)
    for step in CALL_STEPS:
        error = step(f, s)
        if error is not None:
            return CallDecision.deferred(error, s.provider, None, s, rpc_api=True)
    context, s.context = s.context, None  # the state must not hold the token that holds it (a reference cycle)
    return CallDecision.deferred(_SUCCESS, s.provider, context, s, rpc_api=True)
