"""How exercise tests are written: a test calls the student's code through ``run`` (in the sandbox)
and compares with what the engine says (in the grader), explaining any difference.

A master file in solutions/ registers its tests with :func:`test`; hidden tests say ``hidden=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..decisions import Decision
from ..errors import ImpersonationError

__all__ = ["TestCase", "Failed", "StudentError", "NotImplementedYet", "test", "expect", "collect", "outcome",
           "Runner"]


class Failed(AssertionError):
    """A test failed; the message is written for the student."""


class StudentError(Exception):
    """The student's code raised, crashed, timed out or returned something unusable."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class NotImplementedYet(StudentError):
    def __init__(self, function: str) -> None:
        super().__init__(f"{function} is not implemented yet", kind="not implemented")


Runner = Callable[..., Any]


@dataclass(frozen=True)
class TestCase:
    name: str
    points: float
    hidden: bool
    fn: Callable[[Runner], None] = field(compare=False)


_REGISTRY: list[TestCase] = []


def test(name: str, points: float = 1, hidden: bool = False):
    """Register a test of the current master (collected with :func:`collect`)."""
    if points <= 0:
        raise ImpersonationError(f"test {name!r}: points must be positive, got {points}")

    def register(fn):
        _REGISTRY.append(TestCase(name, float(points), hidden, fn))
        return fn
    return register


def collect() -> list[TestCase]:
    """Take the tests registered since the last call."""
    out = list(_REGISTRY)
    _REGISTRY.clear()
    return out


def outcome(case: TestCase, run: Runner) -> tuple[str, str]:
    """Run one test: ("passed", "") or (status, the message for the student), whatever the student's code did."""
    try:
        case.fn(run)
        return "passed", ""
    except NotImplementedYet as exc:
        return "not implemented", f"{exc}: replace the raise NotImplementedError line with your code"
    except StudentError as exc:
        return "error", str(exc)
    except Failed as exc:
        return "failed", str(exc)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # the student's value had the wrong shape for the comparison
        return "failed", f"your code returned a value of the wrong type or shape ({type(exc).__name__}: {exc})"


def _because(because: Decision | str | None) -> str:
    if because is None:
        return ""
    if isinstance(because, Decision):
        return f" The engine says [{', '.join(because.rules)}]: {because.sentence}"
    return f" {because}"


def expect(got: Any, expected: Any, what: str, because: Decision | str | None = None) -> None:
    """Fail with 'what: expected X, you returned Y' plus the engine's rule and sentence."""
    if got != expected:
        raise Failed(f"{what}: expected {expected!r}, your code returned {got!r}.{_because(because)}")
