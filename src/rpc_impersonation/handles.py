"""The handles a thread works with: the server-side handle of a call being served (what
RpcImpersonateClient takes) and a client-side binding handle (what a static binding captured, R31)."""

from __future__ import annotations

from dataclasses import dataclass

from .binding import Binding
from .tokens import Token

__all__ = ["CallHandle", "BindingHandle"]


@dataclass(frozen=True, eq=False)
class CallHandle:
    """The server-side handle of one call being served (what RpcImpersonateClient takes)."""

    number: int
    caller: str
    server: str

    @classmethod
    def of(cls, number: int, caller: str, server: str) -> CallHandle:
        """The same as ``CallHandle(number, caller, server)``, built in one step (the engine's hot path)."""
        handle = object.__new__(cls)
        fields = handle.__dict__
        fields["number"], fields["caller"], fields["server"] = number, caller, server
        return handle

    def __repr__(self) -> str:
        return f"<call handle #{self.number}: {self.caller} -> {self.server}>"


@dataclass(eq=False)
class BindingHandle:
    """A client-side binding handle; with static tracking it remembers the identity captured for it (R31)."""

    number: int
    server: str
    binding: Binding
    captured: Token | None = None

    def __repr__(self) -> str:
        return f"<binding handle #{self.number}: to {self.server}>"
