"""The package's exceptions: one root class, and errors that name the field, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ImpersonationError", "InvalidValueError", "ScenarioError", "RuleTableError"]


class ImpersonationError(Exception):
    """Root of every error this package raises on bad input or a broken rule table."""


class InvalidValueError(ImpersonationError, ValueError):
    """A field was given a value outside what is allowed.

    >>> raise InvalidValueError("level", "impersonation", ["anonymous", "identify"])
    Traceback (most recent call last):
    ...
    rpc_impersonation.errors.InvalidValueError: unknown level 'impersonation'; expected one of anonymous, identify
    """

    def __init__(self, field: str, value: object, allowed: Iterable[object] | str, *, what: str = "unknown") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed if isinstance(allowed, str) else tuple(str(a) for a in allowed)
        expected = self.allowed if isinstance(self.allowed, str) else "one of " + ", ".join(self.allowed)
        super().__init__(f"{what} {field} {value!r}; expected {expected}")


class ScenarioError(ImpersonationError):
    """A scenario file is malformed; the message gives the file, the place in it and what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "<scenario>",
        path: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source, self.path, self.line, self.column = source, path, line, column
        where = source
        if line is not None:
            where += f":{line}:{column}"
        if path:
            where += f" at {path}"
        super().__init__(f"{where}: {message}")


class RuleTableError(ImpersonationError):
    """A decision table is incomplete, has a dead row or two rows that conflict without saying so."""
