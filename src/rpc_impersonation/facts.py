"""What a call is decided from and what its steps write: the frozen :class:`CallFacts`, the running
:class:`CallState`, and the reasons written from the state's notes only when someone reads them.

The steps themselves are in :mod:`.call`; the thread's own decisions (:mod:`.thread`) use the helpers here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .binding import Binding
from .constants import ErrorCode, ImpLevel, TokenLevel
from .options import Options
from .plugins import REGISTRY
from .reason import Reason
from .rules import Row
from .tables import CONTEXT_FIELDS, Delegation
from .tokens import Credentials, LogonSession, Token
from .world import Account, Machine, Process, World

if TYPE_CHECKING:
    from .constants import Provider
    from .decisions import CallDecision

__all__ = ["CallFacts", "CallState", "CallContext", "context", "level_of", "reason_of", "rules_of", "usable", "origin"]

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


def usable(
    token: Token, world: World, options: Options, target_machine: str, target_account: str | None
) -> tuple[bool, bool, tuple[Reason, ...]]:
    """(credentials usable, target in scope, reasons) for authenticating to another machine (R18, R26, M2, R24)."""
    creds = token.session.credentials
    if creds is Credentials.DELEGATED and options.delegated_credentials_expired:
        return (
            False,
            True,
            (
                Reason(
                    "R26",
                    f"{token.user}'s delegated Kerberos credentials have outlived their "
                    "off-machine lifetime; they now work only locally.",
                ),
            ),
        )
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
    """What a call decision depends on: the world, the options and the call's inputs (never changed).

    The fields after ``binding`` are worked out from the world once per caller machine, server and
    presented user (:func:`_derived`), and remembered by the world until it changes.
    """

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
    kerberos: bool  # both machines' domains trust each other (M5)
    server_network_account: Account | None  # the account whose AD settings apply to the server
    presenter: Account | None  # the account whose AD settings apply to the client (None: not an account)
    network_session: LogonSession  # the client's network logon on the server, without credentials

    @classmethod
    def of(
        cls, world: World, options: Options, caller: Process, presented: Token, server: Process, binding: Binding
    ) -> CallFacts:
        key = ("call", caller.machine, server.name, presented.user, presented.level is None)
        derived = world._derived.get(key)  # the world's own memo, read inline: this is every decision's first step
        if derived is None:
            derived = world._derive(key, _derived, world, caller.machine, server, presented)
        return _tuple_new(cls, (world, options, caller, presented, server, binding) + derived)


_tuple_new = tuple.__new__


def _derived(world: World, machine: str, server: Process, presented: Token) -> tuple[Any, ...]:
    """The facts of a call from a process on ``machine`` to ``server`` that the world decides (see CallFacts)."""
    local = machine.lower() == server.machine.lower()
    client = (
        presented.user
        if presented.level is not None or local
        else world.network_identity(world.get_account(presented.user), machine)
    )
    presenter = world.network_account(world.get_account(client), machine) if client.lower() in world.accounts else None
    return (
        local,
        client,
        world.get_machine(machine),
        world.get_machine(server.machine),
        world.kerberos_between(machine, server.machine),
        world.network_account(server.account, server.machine),
        presenter,
        LogonSession.of(client, server.machine, "network", Credentials.NONE),
    )


def _level_text(level: ImpLevel | TokenLevel | None) -> str:
    if level is None:
        return "primary"
    return (level.to_token() if isinstance(level, ImpLevel) else level).label


_FROM_FACTS: dict[str, Callable[[CallFacts], str]] = {
    "caller": lambda f: f.caller.name,
    "server": lambda f: f.server.name,
    "client": lambda f: f.client_name,
    "server_account": lambda f: f.server.account.qualified,
    "machine": lambda f: f.server.machine,
    "caller_machine": lambda f: f.caller.machine,
    "protseq": lambda f: f.binding.protseq.value,
    "api": lambda f: f.binding.api.label,
    "requested_provider": lambda f: f.binding.provider.label,
    "target": lambda f: f.server.machine,
    "requested": lambda f: f.binding.qos.level.key,
}
#: How a value the steps learn reads in a sentence (the steps keep the value itself: most are never read).
_TEXT: dict[str, Callable[[Any], str]] = {
    "requested": lambda level: level.key,
    "provider": lambda provider: provider.label,
    "level": _level_text,
    "server_account": lambda account: account.qualified,
    "client": str,
}
_ALIAS = {"default_level": "requested"}  # the level granted is both what was asked and the default applied


class CallContext(Mapping[str, str]):
    """The values a row's sentence may use in a call, worked out only when a sentence is written.

    ``learned`` is what the steps had learned when the reason was noted (newest first); the rest comes
    from the facts. Nothing is copied on the hot path: a step adds a value with one small tuple.
    """

    __slots__ = ("facts", "learned")

    def __init__(self, facts: CallFacts, learned: tuple[str, Any, Any] | None = None) -> None:
        self.facts, self.learned = facts, learned

    def __getitem__(self, key: str) -> str:
        name = _ALIAS.get(key, key)
        layer = self.learned
        while layer is not None:
            if layer[0] == name:
                return _TEXT[name](layer[1])
            layer = layer[2]
        compute = _FROM_FACTS.get(name)
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
    """What the steps decided so far, and the notes the call's reasons are written from.

    ``notes`` holds a :class:`Reason`, or a row with what was learned when it fired (``(row, learned)``):
    the reason is written from it only when someone reads the decision's reasons (:meth:`reasons`).
    Once the call is decided the state never changes; its decision and client context read it lazily.
    """

    __slots__ = (
        "facts",
        "notes",
        "learned",
        "level",
        "provider",
        "security",
        "arrives",
        "mutual",
        "delivered",
        "no_qos",
        "delegation",
        "server_account",
        "context",
        "_reasons",
    )

    def __init__(self, facts: CallFacts) -> None:
        self.facts = facts
        self.notes: list[Reason | tuple[Row, Any]] = []
        self.learned: tuple[str, Any, Any] | None = None
        self.level = self.delivered = facts.binding.qos.level
        self.provider: Provider | None = None
        self.security = "none"  # "ssp", "transport" or "none"
        self.arrives = "none"  # "authenticated", "anonymous_logon" or "none"
        self.mutual = self.no_qos = False
        self.delegation = _NOT_ASKED
        self.server_account: Account | None = None
        self.context: Token | None = None
        self._reasons: tuple[Reason, ...] | None = None

    # --- read after the call, by its decision and its client context --------------------------------------
    def reasons(self) -> tuple[Reason, ...]:
        """The call's reasons, written from the notes once."""
        if self._reasons is None:
            facts, make = self.facts, Reason.from_template
            self._reasons = tuple(
                note
                if isinstance(note, Reason)
                else make(note[0].rule, note[0].sentence, CallContext(facts, note[1]), note[0].decisive)
                for note in self.notes
            )
        return self._reasons

    def origin(self) -> tuple[Reason, ...]:
        """The client context's origin: the call's decisive reasons."""
        return tuple([r for r in self.reasons() if r.decisive])

    def identity(self, d: CallDecision) -> tuple[Any, ...]:
        """The decision's :data:`decisions.IDENTITY_FIELDS`."""
        f, ok = self.facts, d.code is ErrorCode.ERROR_SUCCESS
        caller, server = f.caller, f.server
        return (
            f"call {caller.name} -> {server.name}",
            caller.name,
            server.name,
            caller.machine,
            server.machine,
            f.client_name,
            server.account.qualified,
            self.level,
            ok and self.delegation is Delegation.DELEGATED,
            ok and self.security != "none" and self.arrives == "authenticated",
        )

    def explanation(self, d: CallDecision) -> tuple[Any, ...]:
        """The decision's :data:`decisions.EXPLANATION_FIELDS`."""
        reasons = self.reasons()
        ok = d.code is ErrorCode.ERROR_SUCCESS
        sentence = _summary(self.facts, d.context) if ok else f"The call failed: {reasons[-1].sentence}"
        return rules_of(reasons), sentence, reasons


_NOT_ASKED = Delegation.NONE  # bound once: an enum member read through its class is slow (see call.py)


def _summary(f: CallFacts, ctx: Token | None) -> str:
    if ctx is None:
        return f"{f.server.name} accepted an unauthenticated call from {f.caller.name}; it cannot impersonate it."
    if ctx.level is TokenLevel.ANONYMOUS:
        return f"{f.server.name} was called anonymously: its token for the caller carries no identity."
    reach = (
        "and can use that identity on other machines too"
        if ctx.network_credentials
        else f"and cannot use that identity beyond {f.server.machine}"
    )
    return f"{f.server.name} sees {ctx.user} at {ctx.level.label} level {reach}."  # type: ignore[union-attr]
