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

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

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
            before = [r for r, role in zip(decisive, roles[:roles.index("consequence")]) if role == "cause"]
            if before:
                return before[-1]
        return min(decisive, key=lambda r: ROLES.index(RULES[r.rule].role))

    @property
    def consequences(self) -> tuple[Reason, ...]:
        """The decisive reasons that state the generic result of the cause (for example R20's refusal)."""
        cause = self.cause
        return tuple(r for r in self.reasons if r.decisive and r is not cause and RULES[r.rule].role == "consequence"
                     and r.sentence != cause.sentence)

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
            "action": self.action, "ok": self.ok, "code": int(self.code), "code_name": self.code_name,
            "rules": list(self.rules), "sentence": self.sentence, "headline": self.headline,
            "cause": self.cause.rule, "reasons": [r.to_dict() for r in self.reasons],
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
        "user": token.user, "visible_identity": token.visible_identity,
        "level": None if token.level is None else token.level.label,
        "logon": token.session.kind, "logon_machine": token.session.machine,
        "credentials": token.session.credentials.value, "network_credentials": token.network_credentials,
        "credential_scope": None if token.session.scope is None else list(token.session.scope),
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class CallDecision(Decision):
    """An RPC/COM call from a caller to a server: what the server receives (its client context)."""

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

    @classmethod
    def of(cls, *values: Any) -> CallDecision:
        """The decision from its field values in declaration order: the engine's hot path (no keyword parsing).

        >>> d = CallDecision.of("call a -> b", ErrorCode.ERROR_SUCCESS, ("R2",), "s", (), True, False, "a", "b",
        ...                     "M0", "M0", "x", "y", None, None, False, None, False)
        >>> d == CallDecision(action="call a -> b", code=ErrorCode.ERROR_SUCCESS, rules=("R2",), sentence="s",
        ...                   rpc_api=True, caller="a", server="b", caller_machine="M0", server_machine="M0",
        ...                   presented="x", server_account="y")
        True
        """
        if len(values) != len(_CALL_FIELDS):
            raise TypeError(f"CallDecision.of takes {len(_CALL_FIELDS)} values ({', '.join(_CALL_FIELDS)})")
        decision = _new(cls)
        for put, value in zip(_CALL_SETTERS, values):
            put(decision, value)
        return decision

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
            "caller": self.caller, "server": self.server, "caller_machine": self.caller_machine,
            "server_machine": self.server_machine, "presented": self.presented,
            "server_account": self.server_account,
            "requested_level": None if self.requested is None else self.requested.key,
            "provider": None if self.provider is None else self.provider.label, "delegated": self.delegated,
            "identity_seen": self.identity_seen, "client_context": _token_dict(self.context),
        }


_CALL_FIELDS = tuple(f.name for f in fields(CallDecision))
_new = object.__new__
# each field's slot, written directly (what a frozen dataclass's __init__ does through object.__setattr__)
_CALL_SETTERS = tuple(next(k.__dict__[name] for k in CallDecision.__mro__ if name in k.__dict__).__set__
                      for name in _CALL_FIELDS)


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
