"""Grade a submission: the student's code runs in a sandbox (see sandbox.py), comparisons run here.

A submission gets one sandbox; each exercise runs in a fresh student process: its visible tests
first, then (once every visible result is final and the output to show is taken) its hidden tests,
so nothing a hidden test gives the student's code can come back in what the student sees. The next
exercise starts only after that process and everything it left behind are gone. A process that
crashes or exits is replaced for the next test; after a timeout the exercise's remaining tests are
not run; a reply the grader cannot read scores the exercise 0 with the reason; whatever happens,
the other exercises (and students) go on.

How the tests talk to that process (requests sent together, answers shared by the tests that judge
the same answer) is in session.py.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .allow import similarity_problem
from .masters import Master
from .sandbox import Isolation, SandboxFault, Slot, choose_isolation
from .session import MESSAGE_CHARS, Budget, Run, Session, Unreadable, batchable_requests, cap
from .spec import TestCase, outcome

__all__ = ["TestResult", "ExerciseResult", "grade_exercise", "grade_submission", "Budget", "GRADER_VERSION",
           "MESSAGE_CHARS", "cap"]


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
    concept: str = ""   # what a hidden test checks, in words safe to show the student
    misconception: str = ""   # key of grading.misconceptions: the wrong idea the answer shows
    rule: str = ""            # the rule that makes the right answer right
    section: str = ""         # link to the notebook section that teaches it


@dataclass
class ExerciseResult:
    exercise: str
    title: str
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    problem: str = ""
    flags: list[str] = field(default_factory=list)   # for the instructor only (e.g. a copy of the engine)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests), 2)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests), 2)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "score": self.score, "max_score": self.max_score}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ExerciseResult":
        known = set(TestResult.__dataclass_fields__)
        return cls(d["exercise"], d["title"], [TestResult(**{k: v for k, v in t.items() if k in known})
                                               for t in d["tests"]], d.get("output", ""), d.get("problem", ""),
                   list(d.get("flags", [])))


def _one(t: TestCase, run: Run) -> TestResult:
    o = outcome(t, run)
    concept = "; ".join(x for x in (o.misconception, o.rule and f"rule {o.rule}", o.section) if x)
    return TestResult(t.name, t.points if o.status == "passed" else 0, t.points, o.status, cap(o.message), t.hidden,
                      cap(concept, 300), o.misconception, o.rule, o.section)


def grade_submission(masters: list[Master], files: dict[str, str | None], *, hidden: bool = True,
                     budget: Budget = Budget(), isolation: Isolation | None = None,
                     untrusted: bool = False) -> list[ExerciseResult]:
    """Grade one submission (module name -> source) against ``masters``; one result per master."""
    chosen = isolation is None
    isolation = isolation or choose_isolation(untrusted=untrusted)
    slot = isolation.slot()
    try:
        for m in masters:
            if files.get(m.module) is not None:
                slot.write(m.module, files[m.module])
        results = [_grade_one(m, m.tests(hidden), files.get(m.module) is not None, budget, slot) for m in masters]
        for m, r in zip(masters, results):
            flag = similarity_problem(files[m.module], m.module) if files.get(m.module) else ""
            if flag:
                r.flags.append(flag)
        return results
    finally:
        slot.close()
        if chosen:
            isolation.close()  # nothing of this call keeps running


def _run_part(part: list[TestCase], session: Session, done: dict[str, TestResult]) -> None:
    session.prefetch(batchable_requests(part))
    run = Run(session)
    for t in part:
        done[t.name] = _one(t, run)


def _grade_one(m: Master, tests: list[TestCase], present: bool, budget: Budget, slot: Slot) -> ExerciseResult:
    result = ExerciseResult(m.id, m.title)
    if not present:
        result.problem = f"{m.module}.py is missing from the submission"
        result.tests = [TestResult(t.name, 0, t.points, "error", result.problem, t.hidden) for t in tests]
        return result
    done: dict[str, TestResult] = {}
    deadline = time.monotonic() + budget.per_exercise
    box = slot.sandbox(tuple(m.allow))
    session = Session(box, slot.name, m.module, budget, deadline)
    try:
        try:
            _run_part([t for t in tests if not t.hidden], session, done)
            result.output = session.output  # taken before any hidden input reaches the student's code
            _run_part([t for t in tests if t.hidden], session, done)
            if session.import_error:
                result.problem = f"your module could not be imported: {session.import_error}"
        finally:
            try:
                session.stop()
            except SandboxFault:
                box.close()
    except Unreadable as exc:
        reason = cap(str(exc))
        result.problem = f"scored 0: {reason}"
        result.tests = [TestResult(t.name, 0, t.points, "error", reason, t.hidden) for t in tests]
        return result
    except SandboxFault as exc:
        reason = cap(f"the sandbox stopped while grading this exercise ({exc}); it was restarted for the next one")
        result.problem = reason
        for t in tests:
            done.setdefault(t.name, TestResult(t.name, 0, t.points, "error", reason, t.hidden))
    result.tests = [done.get(t.name) or TestResult(t.name, 0, t.points, "error", "not run", t.hidden) for t in tests]
    return result


def grade_exercise(master: Master, source: str | None, hidden: bool = True, budget: Budget = Budget(),
                   isolation: Isolation | None = None) -> ExerciseResult:
    """Grade ``source`` (the text of the student's module, None if missing) against the master's tests."""
    return grade_submission([master], {master.module: source}, hidden=hidden, budget=budget,
                            isolation=isolation)[0]
