"""Decision objects: every outcome with its code, the rules that decided it and a plain sentence.

The boolean is a thin wrapper (:attr:`Decision.ok`); the reason is always there.

>>> d = Decision(action="open", code=ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, rules=("R15",),
...              sentence="The thread holds an Identify-level token, so it cannot open files.")
>>> d.ok, d.code_name
(False, 'ERROR_BAD_IMPERSONATION_LEVEL (1346)')
>>> print(d.explain())
open: ERROR_BAD_IMPERSONATION_LEVEL (1346) [R15]
  The thread holds an Identify-level token, so it cannot open files. (R15)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from .constants import ErrorCode, ImpLevel, Provider, TokenLevel
from .reason import Reason
from .rules import ROLES, RULES

if TYPE_CHECKING:
    from .tokens import Token

__all__ = ["Decision", "Reason", "CallDecision", "ImpersonationResult", "AccessDecision"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """The result of one action, with why."""

    action: str
    code: ErrorCode
    rules: tuple[str, ...]
    sentence: str
    reasons: tuple[Reason, ...] = ()
    rpc_api: bool = False
    com_api: bool = False

    @property
    def ok(self) -> bool:
        """True when the action succeeded (code 0). A thin wrapper: the reason is in ``rules``/``sentence``."""
        return self.code is ErrorCode.ERROR_SUCCESS

    @property
    def code_name(self) -> str:
        if self.com_api and self.code is ErrorCode.ERROR_SUCCESS:
            return "S_OK (0x0)"
        return self.code.display(self.rpc_api)

    @property
    def cause(self) -> Reason:
        """The most specific decisive reason, by the roles the rule catalogue declares (:data:`rules.ROLES`).

        The cause of a generic consequence (R20's refusal) is the last cause reasoned before it (R19: no
        mutual authentication); otherwise the first decisive cause; a remark (A6) is never preferred.
        """
        decisive = [r for r in self.reasons if r.decisive]
        if not decisive:
            return Reason(self.rules[0] if self.rules else "R40", self.sentence)
        roles = [RULES[r.rule].role for r in decisive]
        if "consequence" in roles:
            before = [r for r, role in zip(decisive, roles[: roles.index("consequence")]) if role == "cause"]
            if before:
                return before[-1]
        return min(decisive, key=lambda r: ROLES.index(RULES[r.rule].role))

    @property
    def consequences(self) -> tuple[Reason, ...]:
        """The decisive reasons that state the generic result of the cause (for example R20's refusal)."""
        cause = self.cause
        return tuple(
            r
            for r in self.reasons
            if r.decisive and r is not cause and RULES[r.rule].role == "consequence" and r.sentence != cause.sentence
        )

    @property
    def headline(self) -> str:
        """The cause in one line, with its rule id: what every view shows first."""
        return f"{self.cause.sentence} ({self.cause.rule})"

    def explain(self) -> str:
        """The code and rules, the headline (most specific cause), its consequence, then the other reasons."""
        lines = [f"{self.action}: {self.code_name} [{', '.join(self.rules)}]", f"  {self.headline}"]
        seen = {self.cause.sentence}
        for r in self.consequences:
            lines.append(f"  so: {r.sentence} ({r.rule})")
            seen.add(r.sentence)
        if not any(known in self.sentence for known in seen | {r.sentence for r in self.reasons}):
            lines.append(f"  {self.sentence}")
            seen.add(self.sentence)
        for r in self.reasons:
            if r.sentence not in seen:
                lines.append(f"    - {r.sentence} ({r.rule})")
                seen.add(r.sentence)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "ok": self.ok,
            "code": int(self.code),
            "code_name": self.code_name,
            "rules": list(self.rules),
            "sentence": self.sentence,
            "headline": self.headline,
            "cause": self.cause.rule,
            "reasons": [r.to_dict() for r in self.reasons],
            **self._extra(),
        }

    def _extra(self) -> dict[str, Any]:
        return {}

    def __str__(self) -> str:
        return f"{self.action}: {self.code_name} [{', '.join(self.rules)}] {self.sentence}"


def _token_dict(token: Token | None) -> dict[str, Any] | None:
    if token is None:
        return None
    return {
        "user": token.user,
        "visible_identity": token.visible_identity,
        "level": None if token.level is None else token.level.label,
        "logon": token.session.kind,
        "logon_machine": token.session.machine,
        "credentials": token.session.credentials.value,
        "network_credentials": token.network_credentials,
        "credential_scope": None if token.session.scope is None else list(token.session.scope),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class CallDecision(Decision):
    """An RPC/COM call from a caller to a server: what the server receives (its client context).

    The engine makes one with :meth:`deferred`: the code, provider and client context at once, every
    other field worked out from the call the first time someone reads it (most decisions are made in
    bulk and never read in full). Every reader gets the same values as from a decision built whole.
    """

    caller: str
    server: str
    caller_machine: str
    server_machine: str
    presented: str
    server_account: str = ""
    requested: ImpLevel | None = None
    provider: Provider | None = None
    delegated: bool = False
    context: Token | None = None
    authenticated: bool = False
    _made: Any = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def deferred(
        cls,
        code: ErrorCode,
        provider: Provider | None,
        context: Token | None,
        made: DeferredCall,
        *,
        rpc_api: bool = False,
        com_api: bool = False,
    ) -> CallDecision:
        """The decision with its code, provider, context and API; ``made`` works out the other fields when read.

        >>> class Call:
        ...     def identity(self, d): return "call a -> b", "a", "b", "M0", "M0", "x", "y", None, False, False
        ...     def explanation(self, d): return ("R2",), "s", ()
        >>> d = CallDecision.deferred(ErrorCode.ERROR_SUCCESS, None, None, Call(), rpc_api=True)
        >>> d == CallDecision(action="call a -> b", code=ErrorCode.ERROR_SUCCESS, rules=("R2",), sentence="s",
        ...                   rpc_api=True, caller="a", server="b", caller_machine="M0", server_machine="M0",
        ...                   presented="x", server_account="y")
        True
        """
        decision = _new(cls)
        _set_code(decision, code)
        _set_provider(decision, provider)
        _set_context(decision, context)
        _set_made(decision, made)
        _set_rpc_api(decision, rpc_api)
        _set_com_api(decision, com_api)
        return decision

    def __getstate__(self) -> list[Any]:
        return [None if f.name == "_made" else getattr(self, f.name) for f in fields(self)]

    @property
    def remote(self) -> bool:
        return self.caller_machine.lower() != self.server_machine.lower()

    @property
    def identity_seen(self) -> str:
        """Who the server sees as its caller ('nobody' for an unauthenticated call)."""
        if self.context is None:
            return "(unauthenticated)" if self.ok else "(call refused)"
        return self.context.visible_identity

    def _extra(self) -> dict[str, Any]:
        return {
            "caller": self.caller,
            "server": self.server,
            "caller_machine": self.caller_machine,
            "server_machine": self.server_machine,
            "presented": self.presented,
            "server_account": self.server_account,
            "requested_level": None if self.requested is None else self.requested.key,
            "provider": None if self.provider is None else self.provider.label,
            "delegated": self.delegated,
            "identity_seen": self.identity_seen,
            "client_context": _token_dict(self.context),
        }


class DeferredCall(Protocol):
    """What :meth:`CallDecision.deferred` asks of the call that made a decision (:class:`call.CallState`)."""

    def identity(self, decision: CallDecision) -> tuple[Any, ...]:
        """The values of :data:`IDENTITY_FIELDS`, in that order."""
        ...

    def explanation(self, decision: CallDecision) -> tuple[Any, ...]:
        """The values of :data:`EXPLANATION_FIELDS`, in that order."""
        ...


#: The fields of a deferred call decision, in two groups worked out together on the first read of one of them.
IDENTITY_FIELDS = (
    "action",
    "caller",
    "server",
    "caller_machine",
    "server_machine",
    "presented",
    "server_account",
    "requested",
    "delegated",
    "authenticated",
)
EXPLANATION_FIELDS = ("rules", "sentence", "reasons")


def _slot(name: str) -> Any:
    return next(k.__dict__[name] for k in CallDecision.__mro__ if name in k.__dict__)


class _Deferred:
    """A field of :class:`CallDecision` read from its slot, worked out (with its group) if not there yet."""

    __slots__ = ("slot", "group", "slots")

    def __init__(self, name: str, group: tuple[str, ...]) -> None:
        self.slot = _SLOTS[name]
        self.group = "identity" if group is IDENTITY_FIELDS else "explanation"
        self.slots = tuple(_SLOTS[n] for n in group)

    def __get__(self, decision: CallDecision | None, owner: type | None = None) -> Any:
        if decision is None:
            return self
        try:
            return self.slot.__get__(decision, owner)
        except AttributeError:
            for slot, value in zip(self.slots, getattr(_get_made(decision), self.group)(decision)):
                slot.__set__(decision, value)
            return self.slot.__get__(decision, owner)

    def __set__(self, decision: CallDecision, value: Any) -> None:
        self.slot.__set__(decision, value)


_new = object.__new__
_SLOTS = {name: _slot(name) for name in (*IDENTITY_FIELDS, *EXPLANATION_FIELDS)}  # before _Deferred replaces them
_set_code, _set_provider, _set_context, _set_made, _set_rpc_api, _set_com_api = (
    _slot(n).__set__ for n in ("code", "provider", "context", "_made", "rpc_api", "com_api")
)
_get_made = _slot("_made").__get__
for _group in (IDENTITY_FIELDS, EXPLANATION_FIELDS):
    for _name in _group:
        setattr(CallDecision, _name, _Deferred(_name, _group))


@dataclass(frozen=True, kw_only=True, slots=True)
class ImpersonationResult(Decision):
    """What an impersonation or revert did to the thread (R40)."""

    token: Token | None  # the thread token afterwards; None means the thread uses the process token
    acting_as: str

    @property
    def level(self) -> TokenLevel | None:
        return None if self.token is None else self.token.level

    def _extra(self) -> dict[str, Any]:
        return {"acting_as": self.acting_as, "thread_token": _token_dict(self.token)}


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessDecision(Decision):
    """Opening a resource, or an AccessCheck: as whom, from where, and the result."""

    resource: str
    machine: str
    right: str
    identity: str  # the identity the resource's ACL was evaluated against ("" when no ACL was reached)

    def _extra(self) -> dict[str, Any]:
        return {"resource": self.resource, "machine": self.machine, "right": self.right, "identity": self.identity}
