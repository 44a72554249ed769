"""Grade a submission: the student's code runs in a sandbox (see sandbox.py), comparisons run here.

A submission's exercises that share a package view run in one fresh student process: every
visible part first, then (once every visible result is final and the outputs to show are taken)
every hidden part, so nothing a hidden test gives the student's code can come back in what the
student sees. The next view's process starts only after that one and everything it left behind
are gone. A process that crashes or exits is replaced for the next test; after a timeout the
exercise's remaining tests are not run (the process is replaced for the other exercises); a reply
the grader cannot read scores that exercise 0 with the reason; whatever happens, the other
exercises (and students) go on.

How the tests talk to that process (requests sent together, answers shared by the tests that judge
the same answer) is in session.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .allow import similarity_problem
from .sandbox import Isolation, SandboxFault, Slot, choose_isolation
from .session import MESSAGE_CHARS, Budget, Exercise, Run, Session, Unreadable, batchable_requests, cap
from .spec import TestCase, outcome

__all__ = [
    "TestResult",
    "ExerciseResult",
    "grade_exercise",
    "grade_submission",
    "Budget",
    "GRADER_VERSION",
    "MESSAGE_CHARS",
    "cap",
]


class Gradable(Protocol):
    """What grading needs of an exercise: a master, or the student's VisibleSpec (its visible tests)."""

    @property
    def id(self) -> str: ...

    @property
    def module(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def allow(self) -> tuple[str, ...]: ...

    def tests(self, hidden: bool = ...) -> list[TestCase]: ...


def _grader_version() -> str:
    """A hash of the package's code and data: what the grades depend on besides the masters."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and "views" not in path.parts:
            h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


GRADER_VERSION = _grader_version()


@dataclass
class TestResult:
    name: str
    points: float
    max_points: float
    status: str  # passed, failed, error, not implemented
    message: str = ""
    hidden: bool = False
    concept: str = ""  # what a hidden test checks, in words safe to show the student
    misconception: str = ""  # key of grading.misconceptions: the wrong idea the answer shows
    rule: str = ""  # the rule that makes the right answer right
    section: str = ""  # link to the notebook section that teaches it


@dataclass
class ExerciseResult:
    exercise: str
    title: str
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    problem: str = ""
    flags: list[str] = field(default_factory=list)  # for the instructor only (e.g. a copy of the engine)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests), 2)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests), 2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score, "max_score": self.max_score}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExerciseResult:
        known = set(TestResult.__dataclass_fields__)
        return cls(
            d["exercise"],
            d["title"],
            [TestResult(**{k: v for k, v in t.items() if k in known}) for t in d["tests"]],
            d.get("output", ""),
            d.get("problem", ""),
            list(d.get("flags", [])),
        )


def _one(t: TestCase, run: Run) -> TestResult:
    o = outcome(t, run)
    concept = "; ".join(x for x in (o.misconception, o.rule and f"rule {o.rule}", o.section) if x)
    return TestResult(
        t.name,
        t.points if o.status == "passed" else 0,
        t.points,
        o.status,
        cap(o.message),
        t.hidden,
        cap(concept, 300),
        o.misconception,
        o.rule,
        o.section,
    )


def grade_submission(
    masters: Sequence[Gradable],
    files: Mapping[str, str | None],
    *,
    hidden: bool = True,
    budget: Budget = Budget(),
    isolation: Isolation | None = None,
    untrusted: bool = False,
) -> list[ExerciseResult]:
    """Grade one submission (module name -> source) against ``masters``; one result per master."""
    chosen = isolation is None
    isolation = isolation or choose_isolation(untrusted=untrusted)
    slot = isolation.slot()
    try:
        for m in masters:
            source = files.get(m.module)
            if source is not None:
                slot.write(m.module, source)
        results: dict[str, ExerciseResult] = {}
        views: dict[tuple[str, ...], list[Gradable]] = {}
        for m in masters:
            if files.get(m.module) is None:
                results[m.id] = _missing(m, m.tests(hidden))
            else:
                views.setdefault(tuple(m.allow), []).append(m)
        for allow, group in views.items():
            results.update(_grade_view(allow, [(m, m.tests(hidden)) for m in group], budget, slot))
        for m in masters:
            source = files.get(m.module)
            flag = similarity_problem(source, m.module) if source else ""
            if flag:
                results[m.id].flags.append(flag)
        return [results[m.id] for m in masters]
    finally:
        slot.close()
        if chosen:
            isolation.close()  # nothing of this call keeps running


def _missing(m: Gradable, tests: list[TestCase]) -> ExerciseResult:
    problem = f"{m.module}.py is missing from the submission"
    return ExerciseResult(
        m.id, m.title, [TestResult(t.name, 0, t.points, "error", problem, t.hidden) for t in tests], problem=problem
    )


class _Graded:
    """One exercise while its view's process serves it: its state in the process, its tests, what they got."""

    def __init__(self, m: Gradable, tests: list[TestCase], budget: Budget) -> None:
        self.master, self.tests = m, tests
        self.exercise = Exercise(m.module, budget.per_exercise)
        self.result = ExerciseResult(m.id, m.title)
        self.done: dict[str, TestResult] = {}
        self.failed = False  # scored as a whole (an unreadable reply, a sandbox fault): no more tests run
        self.shown_import_error: str | None = None  # as it stood when the output to show was taken
        self.hiding = False  # its hidden part may have run: what the process sends now may carry hidden inputs

    def show(self) -> None:
        """What the student sees is final: the output, and an import error met so far. From now on what
        goes wrong is shown by its kind only; the detail goes to the hidden tests (the instructor's)."""
        self.result.output, self.shown_import_error = self.exercise.output, self.exercise.import_error
        self.hiding = True

    def fail(self, problem: str, all_tests: bool, headline: str) -> None:
        """Score the exercise as a whole; ``headline`` is what is shown instead of ``problem`` (whose
        detail the student's code may have chosen) once the hidden part may have run."""
        shown = headline if self.hiding else problem
        self.failed, self.result.problem = True, shown
        for t in self.tests:
            if all_tests or t.name not in self.done:
                message = (problem if t.hidden else shown).removeprefix("scored 0: ")
                self.done[t.name] = TestResult(t.name, 0, t.points, "error", message, t.hidden)

    def finish(self) -> ExerciseResult:
        error = self.exercise.import_error
        if error and not self.result.problem:
            # one met in a process that ran hidden tests may quote their inputs: its reason stays with them
            shown = error == self.shown_import_error
            self.result.problem = f"your module could not be imported: {error}" if shown else _HIDDEN_IMPORT
        self.result.tests = [
            self.done.get(t.name) or TestResult(t.name, 0, t.points, "error", "not run", t.hidden) for t in self.tests
        ]
        return self.result


_HIDDEN_IMPORT = "your module could not be imported for the hidden tests (the reason is kept for your instructor)"
_HIDDEN_UNREADABLE = (
    "scored 0: your code's process sent a reply the grader cannot read during the hidden tests "
    "(what it sent is kept for your instructor)"
)
_HIDDEN_FAULT = "the sandbox stopped while grading this exercise's hidden tests; it was restarted for the next one"


def _grade_view(
    allow: tuple[str, ...], group: list[tuple[Gradable, list[TestCase]]], budget: Budget, slot: Slot
) -> dict[str, ExerciseResult]:
    """The exercises of one submission that share a package view, in one student process: every visible
    part first, then (each exercise's output to show taken) every hidden part, so nothing a hidden test
    gives the student's code can come back in what the student sees."""
    session = Session(slot.sandbox(allow), slot.name, budget)
    graded = [_Graded(m, tests, budget) for m, tests in group]
    try:
        for g in graded:
            _run_part(g, [t for t in g.tests if not t.hidden], session, slot, allow)
        for g in graded:
            g.show()
        for g in graded:
            _run_part(g, [t for t in g.tests if t.hidden], session, slot, allow)
    finally:
        try:
            session.stop()
        except SandboxFault:
            session.box.close()
    return {g.master.id: g.finish() for g in graded}


def _run_part(g: _Graded, part: list[TestCase], session: Session, slot: Slot, allow: tuple[str, ...]) -> None:
    if g.failed or not part:
        return
    session.begin(g.exercise)
    try:
        try:
            session.prefetch(batchable_requests(g.exercise.module, part))
            run = Run(session)
            for t in part:
                g.done[t.name] = _one(t, run)
        finally:
            session.end()
    except Unreadable as exc:
        g.fail(f"scored 0: {cap(str(exc))}", all_tests=True, headline=_HIDDEN_UNREADABLE)
        _restart(session, slot, allow)  # what the process sends next cannot be trusted to be in step
    except SandboxFault as exc:
        g.fail(
            cap(f"the sandbox stopped while grading this exercise ({exc}); it was restarted for the next one"),
            all_tests=False,
            headline=_HIDDEN_FAULT,
        )
        _restart(session, slot, allow)


def _restart(session: Session, slot: Slot, allow: tuple[str, ...]) -> None:
    try:
        session.stop()
    except SandboxFault:
        session.box.close()
    session.running = False
    if not session.box.alive:
        session.box = slot.sandbox(allow)


def grade_exercise(
    master: Gradable,
    source: str | None,
    hidden: bool = True,
    budget: Budget = Budget(),
    isolation: Isolation | None = None,
) -> ExerciseResult:
    """Grade ``source`` (the text of the student's module, None if missing) against the master's tests."""
    return grade_submission([master], {master.module: source}, hidden=hidden, budget=budget, isolation=isolation)[0]
