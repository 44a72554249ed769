"""The call, as an ordered pipeline of named steps (:data:`CALL_STEPS`).

Each step reads the frozen :class:`CallFacts` (the world, the options and the call's inputs) and the
running :class:`CallState`, looks its decision table up, records the reason(s) and either returns
nothing (go on) or the error code that refuses the call. A new step is one function plus its table.

>>> [step.__name__ for step in CALL_STEPS]  # doctest: +NORMALIZE_WHITESPACE
['grant_level', 'pick_package', 'outbound_identity', 'ntlm_for_protected_users', 'mutual_authentication',
 'arriving_level', 'delegation', 'server_gate', 'client_context']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from .binding import Binding
from .constants import ErrorCode, ImpLevel, Protseq, Provider, TargetName, TokenLevel
from .decisions import CallDecision
from .errors import InvalidValueError
from .options import Options
from .plugins import REGISTRY
from .reason import Reason
from .rules import Row
from .tables import (
    ARRIVAL_LEVEL,
    CONTEXT_FIELDS,
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
from .world import ANONYMOUS_LOGON, Account, Machine, Process, World

__all__ = ["CallFacts", "CallState", "CallContext", "CALL_STEPS", "decide_call", "context", "level_of", "reason_of",
           "rules_of", "usable", "origin"]

_BLANK = dict.fromkeys(CONTEXT_FIELDS, "")


def context(**values: str) -> dict[str, str]:
    """The values a row's sentence may use (:data:`tables.CONTEXT_FIELDS`), blank unless given."""
    return {**_BLANK, **values}


def level_of(token: Token) -> TokenLevel:
    """The token's level (a primary token acts like an Impersonation-level one or better)."""
    return TokenLevel.IMPERSONATION if token.level is None else token.level


def reason_of(row: Row, ctx: Mapping[str, Any]) -> Reason:
    """The row's reason in this context (written lazily: ``ctx`` must not be changed afterwards)."""
    return Reason.from_template(row.rule, row.sentence, ctx, row.decisive)


def rules_of(reasons: list[Reason] | tuple[Reason, ...]) -> tuple[str, ...]:
    """The rules that decided something (pass-through notes are left out unless nothing else is there)."""
    decisive = [r.rule for r in reasons if r.decisive] or [r.rule for r in reasons]
    return tuple(dict.fromkeys(decisive)) if len(decisive) > 1 else tuple(decisive)


def usable(token: Token, world: World, options: Options, target_machine: str,
           target_account: str | None) -> tuple[bool, bool, tuple[Reason, ...]]:
    """(credentials usable, target in scope, reasons) for authenticating to another machine (R18, R26, M2, R24)."""
    creds = token.session.credentials
    if creds is Credentials.DELEGATED and options.delegated_credentials_expired:
        return False, True, (Reason("R26", f"{token.user}'s delegated Kerberos credentials have outlived their "
                                           "off-machine lifetime; they now work only locally."),)
    if not creds.usable and token.can_act:
        for source in REGISTRY.credential_sources:  # Kerberos S4U2proxy, when switched on
            found = source(token, world, options, target_machine, target_account)
            if found is not None:
                return found[0], True, (found[1],)
    ok = creds.usable
    return ok, token.session.can_reach(target_machine) or not ok, ()


_LEVEL_RULES = frozenset({"R4", "R6", "R7", "R9", "A2"})


def origin(token: Token, row: Row) -> tuple[Reason, ...]:
    """Earlier reasons that explain why ``row`` fired for this token: its level (R15) or its credentials."""
    if row.rule == "R15":
        return tuple(r for r in token.origin if r.rule in _LEVEL_RULES)
    if row.rule in ("A16", "M2"):
        return tuple(r for r in token.origin if r.rule not in _LEVEL_RULES)
    return ()


class CallFacts(NamedTuple):
    """What a call decision depends on: the world, the options and the call's inputs (never changed)."""

    world: World
    options: Options
    caller: Process
    presented: Token
    server: Process
    binding: Binding
    local: bool
    client_name: str
    caller_machine: Machine
    server_machine: Machine
    kerberos: bool = False  # both machines' domains trust each other (M5)
    server_network_account: Account | None = None  # the account whose AD settings apply to the server

    @classmethod
    def of(cls, world: World, options: Options, caller: Process, presented: Token, server: Process,
           binding: Binding) -> CallFacts:
        local, caller_machine, server_machine, kerberos, target = world._derive(
            ("call between", caller.machine, server.name), _between, world, caller.machine, server)
        client = (presented.user if presented.level is not None or local
                  else world._derive(("network identity", presented.user, caller.machine), _network_identity, world,
                                     presented.user, caller.machine))
        return cls(world, options, caller, presented, server, binding, local, client, caller_machine, server_machine,
                   kerberos, target)


def _between(world: World, caller: str, server: Process) -> tuple[bool, Machine, Machine, bool, Account | None]:
    """What a call from a process on ``caller`` to ``server`` depends on besides the inputs (same until the world changes)."""
    return (caller.lower() == server.machine.lower(), world.get_machine(caller), world.get_machine(server.machine),
            world.kerberos_between(caller, server.machine), world.network_account(server.account, server.machine))


def _network_identity(world: World, user: str, machine: str) -> str:
    return world.network_identity(world.get_account(user), machine)


_FROM_FACTS: dict[str, Callable[[CallFacts], str]] = {
    "caller": lambda f: f.caller.name, "server": lambda f: f.server.name, "client": lambda f: f.client_name,
    "server_account": lambda f: f.server.account.qualified, "machine": lambda f: f.server.machine,
    "caller_machine": lambda f: f.caller.machine, "protseq": lambda f: f.binding.protseq.value,
    "api": lambda f: f.binding.api.label, "requested_provider": lambda f: f.binding.provider.label,
    "target": lambda f: f.server.machine, "requested": lambda f: f.binding.qos.level.key,
}


class CallContext(Mapping[str, str]):
    """The values a row's sentence may use in a call, worked out only when a sentence is written.

    Each step that learns something adds a small layer (:meth:`with_`); the layers below never change,
    so a reason made earlier still reads the values of its own moment. Nothing is copied on the hot path.
    """

    __slots__ = ("facts", "key", "value", "below")

    def __init__(self, facts: CallFacts, key: str = "", value: str = "", below: CallContext | None = None) -> None:
        self.facts, self.key, self.value, self.below = facts, key, value, below  # one value a layer: small

    def with_(self, **values: str) -> CallContext:
        ctx = self
        for key, value in values.items():
            ctx = CallContext(self.facts, key, value, ctx)
        return ctx

    def __getitem__(self, key: str) -> str:
        layer: CallContext | None = self
        while layer is not None:
            if layer.key == key:
                return layer.value
            layer = layer.below
        compute = _FROM_FACTS.get(key)
        if compute is not None:
            return compute(self.facts)
        if key in _BLANK:
            return ""
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(CONTEXT_FIELDS)

    def __len__(self) -> int:
        return len(CONTEXT_FIELDS)


class CallState:
    """What the steps decided so far; ``ctx`` is replaced, never changed (reasons read it lazily)."""

    __slots__ = ("reasons", "ctx", "level", "provider", "security", "arrives", "identity", "presenter", "mutual",
                 "delivered", "no_qos", "delegation", "server_account", "context")

    def __init__(self, facts: CallFacts) -> None:
        f, binding = facts, facts.binding
        self.reasons: list[Reason] = []
        self.ctx = CallContext(f)
        self.level = binding.qos.level
        self.provider: Provider | None = None
        self.security = "none"  # "ssp", "transport" or "none"
        self.arrives = "none"  # "authenticated", "anonymous_logon" or "none"
        self.identity = f.client_name
        self.presenter: Account | None = None
        self.mutual = False
        self.delivered = binding.qos.level
        self.no_qos = False
        self.delegation = Delegation.NONE
        self.server_account: Account | None = None
        self.context: Token | None = None

    def note(self, row: Row, ctx: CallContext | None = None) -> None:
        self.reasons.append(_lazy(row.rule, row.sentence, self.ctx if ctx is None else ctx, row.decisive))

    def update(self, key: str, value: str) -> None:
        self.ctx = CallContext(self.ctx.facts, key, value, self.ctx)


Step = Callable[[CallFacts, CallState], "ErrorCode | None"]
_lazy = Reason.from_template


def grant_level(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which level does the client grant? DEFAULT means different things per API family (R4, R6)."""
    row = LEVEL_DEFAULT.row(f.binding.api, f.binding.qos.level)
    if row.effect is Grant.MACHINE:
        s.level = f.caller_machine.com_default_level
    elif row.effect is Grant.COMPLUS:
        s.level = f.caller.complus_default_level
    elif isinstance(row.effect, ImpLevel):
        s.level = row.effect
    key = s.level.key
    s.ctx = CallContext(f, "requested", key, CallContext(f, "default_level", key, s.ctx))
    s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    return None


def pick_package(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which security package runs, and whether the transport carries the identity (R4, R5, R22, R30, M5)."""
    b = f.binding
    named = b.target_name is TargetName.NAME or (f.caller_machine.try_ip_spn and f.server_machine.ip_spn)
    row = PROVIDER.row(b.provider, b.api, b.protseq, f.local, f.kerberos, named)
    s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    package: Package = row.effect
    if package.error is not None:
        return package.error
    s.provider = package.provider
    s.security = "ssp" if package.provider is not Provider.NONE else ("transport" if package.transport else "none")
    s.ctx = CallContext(f, "provider", package.provider.label, s.ctx)
    return None


def outbound_identity(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Can the presented token authenticate at all, here or there? (R15, M3, R18, M2, A16)"""
    if s.security == "none":
        return None
    target = f.server_network_account
    ok, in_scope, extra = usable(f.presented, f.world, f.options, f.server.machine,
                                 target.qualified if target else None)
    row = OUTBOUND.row(f.presented.is_primary, level_of(f.presented), not f.local, ok, in_scope,
                       f.options.second_hop)
    s.ctx = CallContext(f, "level", "primary" if f.presented.level is None else f.presented.level.label, s.ctx)
    if row.decisive:
        s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
        s.reasons.extend(extra)
        s.reasons.extend(origin(f.presented, row))
    elif extra and not f.local:
        s.reasons.extend(extra)  # constrained or resource-based delegation let the identity through
    if isinstance(row.effect, ErrorCode):
        return row.effect
    s.arrives = "anonymous_logon" if row.effect is Arrives.ANONYMOUS else "authenticated"
    if s.arrives == "anonymous_logon":
        s.identity = ANONYMOUS_LOGON
    elif f.client_name.lower() in f.world.accounts:
        s.presenter = f.world.network_account(f.world.get_account(f.client_name), f.caller.machine)
    return None


def ntlm_for_protected_users(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Protected Users cannot use NTLM to reach another machine (R25)."""
    if s.arrives != "authenticated" or s.provider is Provider.NONE:
        return None
    row = NTLM_ALLOWED.row(bool(s.presenter and s.presenter.protected_user), s.provider, not f.local)
    if isinstance(row.effect, ErrorCode):
        s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
        return row.effect
    return None


def mutual_authentication(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Is the server's identity proved to the client? (R21, A5, A6)"""
    if s.arrives != "authenticated" or s.provider is Provider.NONE:
        return None
    qos = f.binding.qos
    row = MUTUAL_AUTH.row(s.provider, qos.mutual_auth, f.binding.api, f.binding.spn)
    mutual: Mutual = row.effect
    s.mutual = mutual.in_force
    if qos.mutual_auth or row.rule != "R21" or mutual.error:
        s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    return mutual.error


def arriving_level(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Which level arrives, before delegation? (R7, R30, A2, R4)"""
    row = ARRIVAL_LEVEL.row(f.binding.protseq, s.provider, s.level, f.options.legacy_provider_bump)
    s.no_qos = row.effect is Arrival.NO_QOS  # unauthenticated: the level asked for is never sent (R4)
    s.delivered = row.effect if isinstance(row.effect, ImpLevel) else s.level
    if row.effect is not Arrival.AS_ASKED:
        s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    return None


def delegation(f: CallFacts, s: CallState) -> ErrorCode | None:
    """May the server receive a delegation-capable context? If not, downgrade or fail (R19, R20, R25, A4, M2)."""
    if s.delivered is ImpLevel.DELEGATE and not s.no_qos:
        if s.arrives == "anonymous_logon":
            s.delivered, s.delegation = ImpLevel.IMPERSONATE, Delegation.REFUSED
        else:
            error = _delegate(f, s)
            if error is not None:
                return error
    s.ctx = CallContext(f, "level", s.delivered.to_token().label, s.ctx)
    return None


def _delegate(f: CallFacts, s: CallState) -> ErrorCode | None:
    acct = s.server_account = f.server_network_account
    trust = acct.delegation if acct else "none"
    for adjust in REGISTRY.delegation_trust:
        changed = adjust(acct, f.options)
        if changed is not None:
            trust = changed[0]
            s.reasons.extend(changed[1])
    session = f.presented.session
    tgt = session.s4u is None or session.credentials.usable  # S4U2proxy alone holds no TGT to forward (R24)
    row = DELEGATION.row(not f.local, s.provider, s.mutual, trust, s.presenter.delegable if s.presenter else False,
                         tgt, session.scope is not None)
    s.ctx = CallContext(f, "server_account", acct.qualified if acct else f.server.account.qualified, s.ctx)
    s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    s.delegation = row.effect
    if s.delegation is Delegation.REFUSED:
        qos = f.binding.qos
        row = DELEGATION_REFUSED.row(qos.ignore_delegation_failure or f.caller_machine.ignore_delegation_failure)
        s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
        if isinstance(row.effect, ErrorCode):
            return row.effect
        s.delivered = ImpLevel.IMPERSONATE
    return None


def server_gate(f: CallFacts, s: CallState) -> ErrorCode | None:
    """Does the server let the caller in? (M1)"""
    arrives = "none" if s.security == "none" else s.arrives
    row = SERVER_GATE.row(f.server.requires_authentication, arrives)
    if isinstance(row.effect, ErrorCode):
        s.note(row, s.ctx.with_(client=s.identity if s.security != "none" else "an unauthenticated caller"))
        return row.effect
    return None


def client_context(f: CallFacts, s: CallState) -> ErrorCode | None:
    """The client context the server receives: whose token, at which level, which credentials
    (R18, R19, R27, R29, A4, A9)."""
    if s.security == "none":
        return None
    if s.arrives == "anonymous_logon":
        session = LogonSession(ANONYMOUS_LOGON, f.server.machine, "anonymous", Credentials.NONE)
        s.context = Token.of(ANONYMOUS_LOGON, session, min(s.delivered, ImpLevel.IMPERSONATE).to_token(),
                             tuple([r for r in s.reasons if r.decisive]))
        return None
    row = CREDENTIALS.row(f.binding.protseq, f.local, s.delivered, s.delegation.value,
                          f.options.local_non_lrpc_like_ncalrpc)
    s.reasons.append(_lazy(row.rule, row.sentence, s.ctx, row.decisive))
    if row.effect is Session.SHARED:
        session = f.presented.session
    elif row.effect is Session.DELEGATED:
        acct = s.server_account
        scope = tuple(acct.delegate_to) if acct and acct.delegation == "listed" else None
        session = LogonSession(f.client_name, f.server.machine, "network", Credentials.DELEGATED, scope)
    else:
        acct = f.server_network_account
        extra = None
        for make in REGISTRY.network_session:  # Kerberos: what S4U2proxy may later do with this session
            extra = extra or make(f.world, f.options, acct, s.provider)
        session = (f.world._derive(("network session", f.client_name, f.server.machine), LogonSession.of,
                                   f.client_name, f.server.machine, "network", Credentials.NONE) if extra is None
                   else LogonSession(f.client_name, f.server.machine, "network", Credentials.NONE, s4u=extra))
    s.context = Token.of(f.client_name, session, s.delivered.to_token(), tuple([r for r in s.reasons if r.decisive]))
    return None


#: The call, step by step, in order. The first step that returns an error code refuses the call.
CALL_STEPS: tuple[Step, ...] = (grant_level, pick_package, outbound_identity, ntlm_for_protected_users,
                                mutual_authentication, arriving_level, delegation, server_gate, client_context)


def decide_call(f: CallFacts) -> CallDecision:
    """The call decision: a pure function of the facts."""
    if f.binding.protseq.local_only and not f.local:
        protseq = f.binding.protseq.value
        raise InvalidValueError("protseq", protseq, f"{Protseq.remote_names()} to reach {f.server.machine} from "
                                f"{f.caller.machine} ({protseq} is local only)", what="unusable")
    s = CallState(f)
    error = None
    for step in CALL_STEPS:
        error = step(f, s)
        if error is not None:
            break
    reasons = tuple(s.reasons)
    caller, server = f.caller, f.server
    ok = error is None
    return CallDecision.of(f"call {caller.name} -> {server.name}", ErrorCode.ERROR_SUCCESS if ok else error,
                           rules_of(reasons),
                           _summary(f, s.context) if ok else f"The call failed: {reasons[-1].sentence}", reasons,
                           True, False, caller.name, server.name, caller.machine, server.machine, f.client_name,
                           server.account.qualified, s.level, s.provider, ok and s.delegation is Delegation.DELEGATED,
                           s.context if ok else None, ok and s.security != "none" and s.arrives == "authenticated")


def _summary(f: CallFacts, ctx: Token | None) -> str:
    if ctx is None:
        return f"{f.server.name} accepted an unauthenticated call from {f.caller.name}; it cannot impersonate it."
    if ctx.level is TokenLevel.ANONYMOUS:
        return f"{f.server.name} was called anonymously: its token for the caller carries no identity."
    reach = ("and can use that identity on other machines too" if ctx.network_credentials
             else f"and cannot use that identity beyond {f.server.machine}")
    return f"{f.server.name} sees {ctx.user} at {ctx.level.label} level {reach}."  # type: ignore[union-attr]
