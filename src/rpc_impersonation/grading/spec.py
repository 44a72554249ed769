"""How exercise tests are written and how a failure teaches.

Most tests are *cases*: plain data saying which function to call with which arguments, the
accepted answers, the rule that makes the right answer right, the notebook section that teaches
it, and the misconception each plausible wrong answer shows. A master computes its cases with the
engine on the instructor's side (:func:`ask`); ``assign`` stores the visible ones as data in
``exercises/checks`` (:func:`load_cases`), so the student's side compares with stored answers and
imports nothing that decides.

A failure becomes a :class:`Failed` (verdicts.py: its fields and the words for each disclosure);
the judges that compare a case's answer are in plain_judges.py (engine-free) and judges.py.
"""

from __future__ import annotations

import contextvars
import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import ImpersonationError, InvalidValueError
from ..rules import RULES
from .plain_judges import JUDGES, normalized
from .sections import link
from .verdicts import (
    DISCLOSURES,
    Failed,
    NotImplementedYet,
    Outcome,
    Runner,
    StudentError,
    expect,
    feedback_text,
)

__all__ = [
    "TestCase",
    "Failed",
    "StudentError",
    "NotImplementedYet",
    "test",
    "expect",
    "collecting",
    "outcome",
    "outcome_detail",
    "Runner",
    "Outcome",
    "ask",
    "load_cases",
    "case_data",
    "feedback_text",
    "DISCLOSURES",
    "JUDGES",
]


@dataclass(frozen=True)
class TestCase:
    name: str
    points: float
    hidden: bool
    fn: Callable[[Runner], None] = field(compare=False)
    data: dict | None = field(default=None, compare=False)  # the case as plain data (None: code-only test)
    disclose: str = ""  # "" = the default for visible/hidden


# The list that test() and ask() append to while a master's test code runs. A context variable, not a
# module list: every thread (and every collection) has its own, so tests collected in parallel never mix.
_COLLECTOR: contextvars.ContextVar[list[TestCase] | None] = contextvars.ContextVar(
    "tests_being_collected", default=None
)


def _add(case: TestCase) -> TestCase:
    found = _COLLECTOR.get()
    if found is None:
        raise ImpersonationError(f"test {case.name!r} registered outside a master's test collection")
    if any(t.name == case.name for t in found):
        raise ImpersonationError(f"two tests are named {case.name!r}; test names must be unique in a master")
    found.append(case)
    return case


def test(name: str, points: float = 1, hidden: bool = False, disclose: str = ""):
    """Register a code test of the master whose test code is running (see :func:`collecting`)."""
    _check_points(name, points)
    if disclose and disclose not in DISCLOSURES:
        raise InvalidValueError("disclose", disclose, list(DISCLOSURES))

    def register(fn):
        _add(TestCase(name, float(points), hidden, fn, None, disclose))
        return fn

    return register


def _check_points(name: str, points: float) -> None:
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
        raise ImpersonationError(f"test {name!r}: points must be a positive number, got {points!r}")


@contextmanager
def collecting() -> Iterator[list[TestCase]]:
    """Collect the tests registered by the code run inside the block (this thread/context only)."""
    found: list[TestCase] = []
    token = _COLLECTOR.set(found)
    try:
        yield found
    finally:
        _COLLECTOR.reset(token)


# ---------------------------------------------------------------- feedback text


def outcome(case: TestCase, run: Runner) -> Outcome:
    """Run one test: never raises, whatever the student's code did."""
    disclose = case.disclose or ("concept" if case.hidden else "value")
    try:
        case.fn(run)
        return Outcome("passed")
    except NotImplementedYet as exc:
        return Outcome("not implemented", f"{exc}: replace the raise NotImplementedError line with your code")
    except StudentError as exc:
        return Outcome("error", str(exc))
    except Failed as exc:
        return Outcome(
            "failed",
            feedback_text(exc, disclose),
            exc.misconception,
            exc.rule,
            link(exc.section) if exc.section else "",
        )
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # the student's value had the wrong shape for the comparison
        return Outcome(
            "failed",
            f"your code returned a value of the wrong type or shape ({type(exc).__name__}: {exc})",
            "wrong-shape",
        )
    except RecursionError:
        return Outcome("failed", "your code returned a value nested too deeply to compare", "wrong-shape")


def outcome_detail(case: TestCase, run: Runner) -> tuple[str, str, str]:
    """(status, message, concept): the concept names what failed without the value (misconception and
    rule), for reports that show hidden tests by concept only."""
    o = outcome(case, run)
    concept = "; ".join(x for x in (o.misconception, o.rule and f"rule {o.rule}", o.section) if x)
    return o.status, o.message, concept


# ---------------------------------------------------------------- cases as data


def _judge(name: str) -> Callable[[Runner, dict], None]:
    if name in JUDGES:
        return JUDGES[name]
    module, _, attr = name.rpartition(":")
    if module == "rpc_impersonation.grading.judges":  # engine-backed judges of design exercises
        # loaded by the name the case gives, so spec (which judges builds on) never imports it: no cycle
        judge: Callable[[Runner, dict], None] = getattr(importlib.import_module(module), attr)
        return judge
    raise InvalidValueError("judge", name, sorted(JUDGES))


_CASE_KEYS = {
    "name",
    "points",
    "hidden",
    "call",
    "drive",
    "args",
    "field",
    "accepted",
    "rule",
    "section",
    "right",
    "wrong",
    "misconception",
    "judge",
    "aspect",
    "impersonation_ok",
    "disclose",
    "steps",
    "before",
}


def _register(data: dict) -> TestCase:
    unknown = set(data) - _CASE_KEYS
    if unknown:
        raise ImpersonationError(f"case {data.get('name')!r}: unknown fields {sorted(unknown)}")
    _check_points(data["name"], data["points"])
    if data.get("section"):
        link(data["section"])
    judge = _judge(data.get("judge", "equals"))
    name = data["name"]
    if data.get("hidden"):
        # a hidden test's name must not carry its inputs (the student reads it): "hidden test 3 of can_do";
        # the master's label stays in the case's data for the instructor
        found = _COLLECTOR.get() or []
        n = 1 + sum(1 for t in found if t.hidden and t.data and t.data.get("call") == data["call"])
        name = f"hidden test {n} of {data['call']}"
    tc = TestCase(
        name,
        float(data["points"]),
        bool(data.get("hidden", False)),
        lambda run: judge(run, data),
        data,
        data.get("disclose", ""),
    )
    return _add(tc)


def ask(
    name: str,
    call: str,
    *args: Any,
    accepted: list,
    rule: str = "",
    section: str = "",
    points: float = 1,
    hidden: bool = False,
    field: str | int | None = None,
    wrong: dict[Any, str] | Sequence[Sequence[Any]] = (),
    misconception: str = "",
    right: str = "",
    drive: bool = False,
    judge: str = "equals",
    **extra: Any,
) -> TestCase:
    """Register a case: ``call(*args)`` (or ``[field]`` of it) must be one of ``accepted``.

    ``rule``: the rule making the right answer right; ``section``: a key of grading.sections;
    ``wrong``: {plausible wrong answer: misconception key}; ``misconception``: for any other wrong answer.
    """
    if rule and rule not in RULES:
        raise InvalidValueError("rule", rule, sorted(RULES))
    pairs = list(wrong.items()) if isinstance(wrong, dict) else [list(p) for p in wrong]
    data = {
        "name": name,
        "points": points,
        "hidden": hidden,
        "call": call,
        "args": normalized(list(args)),
        "accepted": normalized(list(accepted)),
        "rule": rule,
        "section": section,
        "right": right,
        "wrong": normalized(pairs),
        "misconception": misconception,
        "judge": judge,
    }
    if field is not None:
        data["field"] = field
    if drive:
        data["drive"] = True
    data.update(normalized(extra))
    return _register(data)


def case_data(cases: list[TestCase]) -> list[dict]:
    """The data of cases, for storing in a visible check (code-only tests cannot be stored)."""
    out = []
    for c in cases:
        if c.data is None:
            raise ImpersonationError(
                f"test {c.name!r} is code, not a case: visible tests must be cases so their answers can be stored"
            )
        out.append(c.data)
    return out


def load_cases(stored: list[dict]) -> list[TestCase]:
    """Register stored cases (what a visible check file does)."""
    return [_register(dict(d)) for d in stored]
