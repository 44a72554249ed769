"""Tokens and logon sessions: whose identity a thread acts with, at what level, with which credentials."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .constants import TokenLevel
from .reason import Reason
from .world import ANONYMOUS_LOGON

__all__ = ["Credentials", "LogonSession", "Token"]


class Credentials(enum.Enum):
    """What a logon session holds for authenticating to other machines (R18)."""

    OWN = "own credentials"  # a real logon: password, smart card, or the service's own account
    DELEGATED = "forwarded Kerberos ticket"  # delegation succeeded (R19)
    NONE = "no reusable credentials"  # a network logon (NTLM, or Kerberos without delegation)

    @property
    def usable(self) -> bool:
        return self is not Credentials.NONE


@dataclass(frozen=True)
class LogonSession:
    """A logon session on one machine. ``scope`` limits where its delegated credentials work (M2)."""

    user: str
    machine: str
    kind: str  # "interactive", "service", "network", "anonymous"
    credentials: Credentials
    scope: tuple[str, ...] | None = None
    s4u: object | None = None  # rpc_impersonation.kerberos.S4U when a service may use S4U2proxy (beyond the seeds)

    @classmethod
    def of(
        cls,
        user: str,
        machine: str,
        kind: str,
        credentials: Credentials,
        scope: tuple[str, ...] | None = None,
        s4u: object | None = None,
    ) -> LogonSession:
        """The same as ``LogonSession(...)``, built without the frozen dataclass's per-field checks (hot path)."""
        session = object.__new__(cls)
        fields = session.__dict__
        fields["user"], fields["machine"], fields["kind"], fields["credentials"] = user, machine, kind, credentials
        fields["scope"], fields["s4u"] = scope, s4u
        return session

    def can_reach(self, machine: str) -> bool:
        if not self.credentials.usable:
            return False
        return self.scope is None or machine.lower() in {m.lower() for m in self.scope}


@dataclass(frozen=True)
class Token:
    """A primary token (``level`` None) or an impersonation token at a :class:`TokenLevel`.

    ``origin`` keeps the reasons that gave the token its level and credentials, so a failure
    several hops later can still say which earlier hop caused it.
    """

    user: str
    session: LogonSession
    level: TokenLevel | None = None
    origin: tuple[Reason, ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, user: str, session: LogonSession, level: TokenLevel | None, origin: tuple[Reason, ...]) -> Token:
        """The same as ``Token(user, session, level, origin)``, built in one step (the engine's hot path)."""
        token = object.__new__(cls)
        token.__dict__.update(user=user, session=session, level=level, origin=origin)
        return token

    @classmethod
    def deferred(
        cls, user: str, session: LogonSession, level: TokenLevel | None, origin_of: Callable[[], tuple[Reason, ...]]
    ) -> Token:
        """A token whose ``origin`` is ``origin_of()``, worked out the first time it is read (the engine's hot path:
        most tokens a call hands out are never asked why)."""
        token = object.__new__(cls)
        fields = token.__dict__
        fields["user"], fields["session"], fields["level"], fields["_origin_of"] = user, session, level, origin_of
        return token

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__, origin=self.origin)
        state.pop("_origin_of", None)
        state.pop("_hash", None)
        return state

    @cached_property
    def _hash(self) -> int:
        return hash((self.user, self.session, self.level))

    def __hash__(self) -> int:
        return self._hash  # tokens key the engine's remembered decisions and the walk's memo: hash once

    @property
    def is_primary(self) -> bool:
        return self.level is None

    @property
    def can_act(self) -> bool:
        """Primary, or an impersonation token at Impersonate or above (R15)."""
        return self.level is None or self.level >= TokenLevel.IMPERSONATION

    @property
    def network_credentials(self) -> bool:
        """Whether this token can authenticate to another machine at all (R18)."""
        return self.can_act and self.session.credentials.usable

    @property
    def visible_identity(self) -> str:
        """What a server can learn from this token: nothing at Anonymous level (A3)."""
        if self.level is TokenLevel.ANONYMOUS:
            return "(nobody: anonymous-level token)"
        return self.user

    @property
    def is_anonymous_logon(self) -> bool:
        return self.user == ANONYMOUS_LOGON

    def describe(self) -> str:
        """'CORP\\\\alice, Impersonate, network logon without credentials'."""
        level = "primary token" if self.level is None else f"{self.level.label}-level"
        return f"{self.visible_identity}, {level}, {self.session.kind} logon, {self.session.credentials.value}"


class _DeferredOrigin:
    """``Token.origin`` of a token made with :meth:`Token.deferred`: worked out on the first read, then kept
    in the token like any other field (a non-data descriptor: a stored ``origin`` always wins)."""

    def __get__(self, token: Token | None, owner: type | None = None) -> Any:
        if token is None:
            return self
        origin = token.__dict__["origin"] = token.__dict__.pop("_origin_of")()
        return origin


Token.origin = _DeferredOrigin()  # type: ignore[assignment]  # after @dataclass, which set the class default
