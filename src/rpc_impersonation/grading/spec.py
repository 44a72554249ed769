"""How exercise tests are written: a test calls the student's code through ``run`` (in the sandbox)
and compares with what the engine says (in the grader), explaining any difference.

A master file in solutions/ registers its tests with :func:`test`; hidden tests say ``hidden=True``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..decisions import Decision
from ..errors import ImpersonationError

__all__ = ["TestCase", "Failed", "StudentError", "NotImplementedYet", "test", "expect", "collecting", "outcome", "outcome_detail",
           "Runner"]


class Failed(AssertionError):
    """A test failed; the message is written for the student. ``concept`` names what was checked
    without its inputs or expected value (shown instead of the message for a hidden test)."""

    def __init__(self, message: str = "", concept: str = "") -> None:
        super().__init__(message)
        self.concept = concept


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


# The list that test() appends to while a master's test code runs. A context variable, not a module
# list: every thread (and every collection) has its own, so tests collected in parallel never mix.
_COLLECTOR: contextvars.ContextVar[list[TestCase] | None] = contextvars.ContextVar("tests_being_collected",
                                                                                   default=None)


def test(name: str, points: float = 1, hidden: bool = False):
    """Register a test of the master whose test code is running (see :func:`collecting`)."""
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
        raise ImpersonationError(f"test {name!r}: points must be a positive number, got {points!r}")

    def register(fn):
        found = _COLLECTOR.get()
        if found is None:
            raise ImpersonationError(f"test {name!r} registered outside a master's test collection")
        if any(t.name == name for t in found):
            raise ImpersonationError(f"two tests are named {name!r}; test names must be unique in a master")
        found.append(TestCase(name, float(points), hidden, fn))
        return fn
    return register


@contextmanager
def collecting() -> Iterator[list[TestCase]]:
    """Collect the tests registered by the code run inside the block (this thread/context only)."""
    found: list[TestCase] = []
    token = _COLLECTOR.set(found)
    try:
        yield found
    finally:
        _COLLECTOR.reset(token)


def outcome_detail(case: TestCase, run: Runner) -> tuple[str, str, str]:
    """Run one test: (status, message for the student, concept). The concept is what the test checks,
    in words that give nothing of a hidden test away (``Failed(..., concept=...)``), else ""."""
    try:
        case.fn(run)
        return "passed", "", ""
    except NotImplementedYet as exc:
        return "not implemented", f"{exc}: replace the raise NotImplementedError line with your code", ""
    except StudentError as exc:
        return "error", str(exc), ""
    except Failed as exc:
        return "failed", str(exc), str(getattr(exc, "concept", "") or "")
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # the student's value had the wrong shape for the comparison
        return "failed", f"your code returned a value of the wrong type or shape ({type(exc).__name__}: {exc})", ""
    except RecursionError:
        return "failed", "your code returned a value nested too deeply to compare", ""


def outcome(case: TestCase, run: Runner) -> tuple[str, str]:
    """Run one test: ("passed", "") or (status, the message for the student), whatever the student's code did."""
    status, message, _ = outcome_detail(case, run)
    return status, message


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
