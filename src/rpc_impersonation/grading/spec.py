"""How exercise tests are written and how a failure teaches.

Most tests are *cases*: plain data saying which function to call with which arguments, the
accepted answers, the rule that makes the right answer right, the notebook section that teaches
it, and the misconception each plausible wrong answer shows. A master computes its cases with the
engine on the instructor's side (:func:`ask`); ``assign`` stores the visible ones as data in
``exercises/checks`` (:func:`load_cases`), so the student's side compares with stored answers and
imports nothing that decides.

A failure becomes a :class:`Failed` with structured fields (misconception, rule, section) which
reports, Gradescope and item analysis read; its text depends on the disclosure chosen for the test
(``"value"``: also the expected answer; ``"concept"``: the concept and where it is taught, not the
value, the default for hidden tests; ``"none"``: only that it failed).
"""

from __future__ import annotations

import importlib

import contextvars
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import ImpersonationError, InvalidValueError
from ..rules import RULES
from .misconceptions import describe
from .sections import link

__all__ = ["TestCase", "Failed", "StudentError", "NotImplementedYet", "test", "expect", "collecting", "outcome",
           "outcome_detail", "Runner", "Outcome", "ask", "load_cases", "case_data", "feedback_text", "DISCLOSURES", "JUDGES"]

DISCLOSURES = ("value", "concept", "none")


class Failed(AssertionError):
    """A test failed; the fields say why, the text is built for the test's disclosure."""

    def __init__(self, message: str, *, misconception: str = "", rule: str = "", section: str = "",
                 got: Any = None, expected: Any = None, what: str = "", right: str = "") -> None:
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


Runner = Callable[..., Any]


@dataclass(frozen=True)
class TestCase:
    name: str
    points: float
    hidden: bool
    fn: Callable[[Runner], None] = field(compare=False)
    data: dict | None = field(default=None, compare=False)   # the case as plain data (None: code-only test)
    disclose: str = ""                                       # "" = the default for visible/hidden


@dataclass(frozen=True)
class Outcome:
    """One test's result as data: status, the text for the student, and what it is about."""

    status: str                # passed, failed, error, not implemented
    message: str = ""
    misconception: str = ""    # key of grading.misconceptions (or a sentence)
    rule: str = ""             # the rule that makes the right answer right
    section: str = ""          # link to the notebook section that teaches it


# The list that test() and ask() append to while a master's test code runs. A context variable, not a
# module list: every thread (and every collection) has its own, so tests collected in parallel never mix.
_COLLECTOR: contextvars.ContextVar[list[TestCase] | None] = contextvars.ContextVar("tests_being_collected",
                                                                                   default=None)


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
    else:   # concept: neither the inputs nor the values, only what the answer shows and where it is taught
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
        return Outcome("failed", feedback_text(exc, disclose), exc.misconception, exc.rule,
                       link(exc.section) if exc.section else "")
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # the student's value had the wrong shape for the comparison
        return Outcome("failed", f"your code returned a value of the wrong type or shape ({type(exc).__name__}: "
                                 f"{exc})", "wrong-shape")
    except RecursionError:
        return Outcome("failed", "your code returned a value nested too deeply to compare", "wrong-shape")


def outcome_detail(case: TestCase, run: Runner) -> tuple[str, str, str]:
    """(status, message, concept): the concept names what failed without the value (misconception and
    rule), for reports that show hidden tests by concept only."""
    o = outcome(case, run)
    concept = "; ".join(x for x in (o.misconception, o.rule and f"rule {o.rule}", o.section) if x)
    return o.status, o.message, concept


def expect(got: Any, expected: Any, what: str, because: Any = None, *, rule: str = "", section: str = "",
           misconception: str = "") -> None:
    """Fail unless ``got == expected``, naming the rule that makes ``expected`` right."""
    if got == expected:
        return
    right = ""
    if because is not None and not isinstance(because, str):
        rule = rule or (because.rules[0] if getattr(because, "rules", ()) else "")
        right = getattr(because, "sentence", "")
    elif isinstance(because, str):
        right = because
    raise Failed(f"{what}: expected {expected!r}, your code returned {got!r}.", misconception=misconception,
                 rule=rule, section=section, got=got, expected=expected, what=what, right=right)


# ---------------------------------------------------------------- cases as data

def _norm(value: Any) -> Any:
    """Compare answers as JSON data: tuples are lists, strings lose surrounding blanks."""
    value = json.loads(json.dumps(value, sort_keys=True, default=str))
    return _strip(value)


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()}
    return value


def _key(value: Any) -> str:
    return json.dumps(_norm(value), sort_keys=True)


def _show_call(data: dict) -> str:
    args = ", ".join(repr(a) for a in data.get("args", []))
    text = f"{data['call']}({args})"
    if data.get("field") is not None:
        text += f"[{data['field']!r}]"
    return text


_MISSING = object()
#: id(case data) -> (the data, its accepted answers' keys, {a wrong answer's key: its misconception}); the
#: data is kept so an id is never reused while its entry lives (cleared when it grows past _KEYS_KEPT)
_ANSWER_KEYS: dict[int, tuple[dict, frozenset[str], dict[str, str]]] = {}
_KEYS_KEPT = 20000


def _answer_keys(data: dict) -> tuple[frozenset[str], dict[str, str]]:
    """The keys of a case's accepted and known wrong answers, computed once per case."""
    hit = _ANSWER_KEYS.get(id(data))
    if hit is None or hit[0] is not data:
        if len(_ANSWER_KEYS) > _KEYS_KEPT:
            _ANSWER_KEYS.clear()
        hit = (data, frozenset(_key(a) for a in data["accepted"]), {_key(v): m for v, m in data.get("wrong", [])})
        _ANSWER_KEYS[id(data)] = hit
    return hit[1], hit[2]


def _equals(run: Runner, data: dict) -> None:
    """The default judge: the student's answer (or one field of it) must be one of the accepted answers."""
    caller = run.drive if data.get("drive") else run
    got = caller(data["call"], *data.get("args", []))
    fld = data.get("field")
    if fld is not None:
        if isinstance(fld, int):
            if not isinstance(got, (list, tuple)) or not -len(got) <= fld < len(got):
                raise Failed("wrong shape", misconception="wrong-shape", what=f"{data['call']} must return a list "
                             f"with one entry per item; it returned {got!r}", got=got)
            got = got[fld]
        else:
            if not isinstance(got, dict):
                raise Failed("wrong shape", misconception="wrong-shape", got=got,
                             what=f"{data['call']} must return a dict; it returned {type(got).__name__}")
            got = got.get(fld, _MISSING)
            if got is _MISSING:
                raise Failed("missing key", misconception="wrong-shape", got=None,
                             what=f"{_show_call(data)}: the key {fld!r} is missing")
    try:
        key = _key(got)
    except (TypeError, ValueError):
        raise Failed("unusable", misconception="wrong-shape", what=f"{_show_call(data)}: not plain data",
                     got=repr(got)) from None
    accepted, wrong = _answer_keys(data)
    if key in accepted:
        return
    what = _show_call(data)
    expected = data["accepted"][0] if len(data["accepted"]) == 1 else data["accepted"]
    raise Failed(f"{what}: your code returned {got!r}.", misconception=wrong.get(key, data.get("misconception", "")),
                 rule=data.get("rule", ""), section=data.get("section", ""), got=got, expected=expected, what=what,
                 right=data.get("right", ""))


def _handler(run: Runner, data: dict) -> None:
    """A handler's run for one client: its return code, and what its action trace shows (no engine needed:
    whether the client's impersonation succeeds is stored with the case)."""
    client = data["args"][0]
    done = run.drive("handler", client)
    if not isinstance(done, dict):
        raise Failed("wrong shape", misconception="wrong-shape", what="handle_request", got=done)
    aspect, what = data["aspect"], f"handle_request for the {client} client"
    fields = dict(rule=data.get("rule", ""), section=data.get("section", ""), what=what, right=data.get("right", ""))
    if aspect == "code":
        returned = done.get("returned")
        if returned not in data["accepted"]:
            wrong = {str(v): m for v, m in data.get("wrong", [])}
            raise Failed(what, misconception=wrong.get(str(returned), data.get("misconception", "")), got=returned,
                         expected=data["accepted"][0], **fields)
        return
    impersonating, as_server = False, []
    for action in done.get("trace", []):
        name = action[0] if isinstance(action, list) and action else str(action)
        if name == "impersonate":
            impersonating = bool(data["impersonation_ok"]) and action[1:2] in (["call"], ["0"])
        elif name in ("revert", "revert_ex"):
            impersonating = False
        elif name in ("open", "access_check") and not impersonating:
            as_server.append(str(action[1]) if len(action) > 1 else "?")
    attempted = any(isinstance(a, list) and a[:1] == ["impersonate"] for a in done.get("trace", []))
    if aspect in ("as-server", "reverts") and not attempted:
        fields["what"] = f"{what} never impersonated the caller"
        raise Failed(fields["what"], misconception="order-work-before-impersonate",
                     **{**fields, "rule": "R17", "section": "01.cycle"})
    if aspect == "as-server" and as_server:
        fields["what"] = f"{what} opened {as_server[0]} while not impersonating"
        raise Failed(fields["what"], misconception="failure-is-harmless", **fields)
    if aspect == "reverts" and impersonating:
        fields["what"] = f"{what} returned while still impersonating"
        raise Failed(fields["what"], misconception="auto-revert", **fields)


def _order(run: Runner, data: dict) -> None:
    """An order of steps: a permutation of ``data["steps"]`` keeping every ``before`` constraint
    (``[earlier, later, misconception, rule, section]``); the first broken constraint is the feedback."""
    got = run(data["call"], *data.get("args", []))
    what = _show_call(data)
    steps = data["steps"]
    if not isinstance(got, (list, tuple)) or sorted(map(str, got)) != sorted(steps):
        raise Failed(what, what=f"{what} must return each of {steps} exactly once", misconception="wrong-shape",
                     got=got)
    got = [str(g) for g in got]
    for earlier, later, misconception, rule, section in data["before"]:
        if got.index(earlier) > got.index(later):
            raise Failed(what, what=f"{what}: {later!r} comes before {earlier!r}", misconception=misconception,
                         rule=rule, section=section)


#: Judges a case can name (``"judge": name``); engine-free, so visible checks can use them.
JUDGES: dict[str, Callable[[Runner, dict], None]] = {"equals": _equals, "handler": _handler, "order": _order}


def _judge(name: str) -> Callable[[Runner, dict], None]:
    if name in JUDGES:
        return JUDGES[name]
    module, _, attr = name.rpartition(":")
    if module == "rpc_impersonation.grading.judges":   # engine-backed judges of design exercises
        # loaded by the name the case gives, so spec (which judges builds on) never imports it: no cycle
        judge: Callable[[Runner, dict], None] = getattr(importlib.import_module(module), attr)
        return judge
    raise InvalidValueError("judge", name, sorted(JUDGES))


_CASE_KEYS = {"name", "points", "hidden", "call", "drive", "args", "field", "accepted", "rule", "section", "right",
              "wrong", "misconception", "judge", "aspect", "impersonation_ok", "disclose", "steps", "before"}


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
    tc = TestCase(name, float(data["points"]), bool(data.get("hidden", False)),
                  lambda run, _d=data: judge(run, _d), data, data.get("disclose", ""))
    return _add(tc)


def ask(name: str, call: str, *args: Any, accepted: list, rule: str = "", section: str = "", points: float = 1,
        hidden: bool = False, field: str | int | None = None, wrong: dict | list = (), misconception: str = "",
        right: str = "", drive: bool = False, judge: str = "equals", **extra: Any) -> TestCase:
    """Register a case: ``call(*args)`` (or ``[field]`` of it) must be one of ``accepted``.

    ``rule``: the rule making the right answer right; ``section``: a key of grading.sections;
    ``wrong``: {plausible wrong answer: misconception key}; ``misconception``: for any other wrong answer.
    """
    if rule and rule not in RULES:
        raise InvalidValueError("rule", rule, sorted(RULES))
    pairs = list(wrong.items()) if isinstance(wrong, dict) else [list(p) for p in wrong]
    data = {"name": name, "points": points, "hidden": hidden, "call": call, "args": _norm(list(args)),
            "accepted": _norm(list(accepted)), "rule": rule, "section": section, "right": right,
            "wrong": _norm(pairs), "misconception": misconception, "judge": judge}
    if field is not None:
        data["field"] = field
    if drive:
        data["drive"] = True
    data.update(_norm(extra))
    return _register(data)


def case_data(cases: list[TestCase]) -> list[dict]:
    """The data of cases, for storing in a visible check (code-only tests cannot be stored)."""
    out = []
    for c in cases:
        if c.data is None:
            raise ImpersonationError(f"test {c.name!r} is code, not a case: visible tests must be cases so their "
                                     "answers can be stored")
        out.append(c.data)
    return out


def load_cases(stored: list[dict]) -> list[TestCase]:
    """Register stored cases (what a visible check file does)."""
    return [_register(dict(d)) for d in stored]
