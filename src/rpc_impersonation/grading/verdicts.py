"""How a test's verdict teaches: the failure types and the words a learner reads for each disclosure.

A failure is a :class:`Failed` with structured fields (misconception, rule, section) which reports,
Gradescope and item analysis read; its text depends on the disclosure chosen for the test
(``"value"``: also the expected answer; ``"concept"``: the concept and where it is taught, not the
value, the default for hidden tests; ``"none"``: only that it failed). See spec.py for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..rules import RULES
from .misconceptions import describe
from .sections import link

__all__ = ["DISCLOSURES", "Failed", "StudentError", "NotImplementedYet", "Runner", "Outcome", "feedback_text", "expect"]


DISCLOSURES = ("value", "concept", "none")


class Failed(AssertionError):
    """A test failed; the fields say why, the text is built for the test's disclosure."""

    def __init__(
        self,
        message: str,
        *,
        misconception: str = "",
        rule: str = "",
        section: str = "",
        got: Any = None,
        expected: Any = None,
        what: str = "",
        right: str = "",
    ) -> None:
        super().__init__(message)
        self.misconception, self.rule, self.section = misconception, rule, section
        self.got, self.expected, self.what, self.right = got, expected, what, right


class StudentError(Exception):
    """The student's code raised, crashed, timed out or returned something unusable."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class NotImplementedYet(StudentError):
    def __init__(self, function: str) -> None:
        super().__init__(f"{function} is not implemented yet", kind="not implemented")


class Runner(Protocol):
    """A test's ``run``: ``run(function, *args)`` calls the student's function, ``run.drive(driver, *args)``
    runs one of the drivers over the student's module; both return plain data or raise StudentError."""

    def __call__(self, function: str, *args: Any) -> Any: ...

    def drive(self, driver: str, *args: Any) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """One test's result as data: status, the text for the student, and what it is about."""

    status: str  # passed, failed, error, not implemented
    message: str = ""
    misconception: str = ""  # key of grading.misconceptions (or a sentence)
    rule: str = ""  # the rule that makes the right answer right
    section: str = ""  # link to the notebook section that teaches it


def feedback_text(exc: Failed, disclose: str) -> str:
    """The sentence(s) a learner reads for a failure, at the given disclosure."""
    what = exc.what or "this test"
    if disclose == "none":
        return "Not right yet."
    parts = []
    if disclose == "value" and exc.what and exc.got is None and exc.expected is None:
        parts.append(f"{what}.")
    elif disclose == "value" and exc.what:
        parts.append(f"{what}: your code returned {exc.got!r}.")
        if exc.expected is not None:
            parts.append(f"Expected {exc.expected!r}.")
    elif disclose == "value":
        parts.append(str(exc))
    else:  # concept: neither the inputs nor the values, only what the answer shows and where it is taught
        parts.append("Not right yet.")
    if exc.misconception:
        parts.append(describe(exc.misconception))
    if exc.rule:
        title = RULES[exc.rule].title if exc.rule in RULES else ""
        parts.append(f"Rule {exc.rule}" + (f" ({title})" if title else "") + f": {exc.right or _summary(exc.rule)}")
    if exc.section:
        parts.append(f"Read: {link(exc.section)}")
    return " ".join(parts)


def _summary(rule: str) -> str:
    return RULES[rule].summary if rule in RULES else ""


def expect(
    got: Any,
    expected: Any,
    what: str,
    because: Any = None,
    *,
    rule: str = "",
    section: str = "",
    misconception: str = "",
) -> None:
    """Fail unless ``got == expected``, naming the rule that makes ``expected`` right."""
    if got == expected:
        return
    right = ""
    if because is not None and not isinstance(because, str):
        rule = rule or (because.rules[0] if getattr(because, "rules", ()) else "")
        right = getattr(because, "sentence", "")
    elif isinstance(because, str):
        right = because
    raise Failed(
        f"{what}: expected {expected!r}, your code returned {got!r}.",
        misconception=misconception,
        rule=rule,
        section=section,
        got=got,
        expected=expected,
        what=what,
        right=right,
    )
