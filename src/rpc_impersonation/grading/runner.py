"""Grade a submission: the student's code runs in a sandbox (see sandbox.py), comparisons run here.

A submission gets one sandbox; each exercise runs its visible tests in one fresh student process
and its hidden tests in another, started after the first and everything it left behind are gone,
so nothing seen in a hidden test can come back in a visible test's output. A process that times
out, crashes or exits is replaced for the next test; a reply the grader cannot read scores the
exercise 0 with the reason; whatever happens, the other exercises (and students) go on.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .drivers import SANDBOX_DRIVERS
from .masters import Master
from .sandbox import Isolation, Sandbox, SandboxFault, Slot, choose_isolation
from .allow import similarity_problem
from .spec import NotImplementedYet, StudentError, TestCase, outcome

__all__ = ["TestResult", "ExerciseResult", "grade_exercise", "grade_submission", "Budget", "GRADER_VERSION",
           "MESSAGE_CHARS", "cap"]

#: At most this many characters of any message or value shown (the rest is cut, and says so).
MESSAGE_CHARS = 2000
_DROPPED = "\n[... more characters of output dropped]"


def _grader_version() -> str:
    """A hash of the package's code and data: what the grades depend on besides the masters."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and "views" not in path.parts:
            h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


GRADER_VERSION = _grader_version()


def cap(text: str, limit: int = MESSAGE_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} more characters cut]"


@dataclass(frozen=True)
class Budget:
    per_call: float = 5.0          # seconds for one call into the student's code
    per_exercise: float = 60.0     # seconds for all tests of one exercise
    import_time: float = 10.0      # seconds to import the student's module


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


class _Unreadable(Exception):
    """The student's process sent what the grader cannot read: the whole exercise scores 0."""


class _Session:
    """The student's process for one view of one exercise (started on first use, replaced after a crash)."""

    def __init__(self, box: Sandbox, student: str, module: str, budget: Budget, deadline: float) -> None:
        self.box, self.student, self.module, self.budget, self.deadline = box, student, module, budget, deadline
        self.running = False
        self.import_error: str | None = None
        self.timed_out = False
        self.output = ""

    def _keep(self, text: str, limit: int = 4000) -> None:
        if not text or self.output.endswith(_DROPPED):
            return
        room = limit - len(self.output)
        self.output += text if len(text) <= room else text[:max(room, 0)] + _DROPPED

    def _left(self, wanted: float) -> float:
        return max(0.05, min(wanted, self.deadline - time.monotonic()))

    def _start(self) -> None:
        self.running = True
        try:
            first = self.box.start(self.student, self.module, self._left(self.budget.import_time))
        except SandboxFault as exc:
            self._fault(exc, "importing your module")
        self._keep(first.get("output", ""))
        if first["op"] == "fault":
            raise SandboxFault(cap(first["message"], 500), kind="sandbox")
        if first["op"] == "import error":
            self.import_error = cap(first["message"])
        elif first["op"] == "ended":
            self.running = False
            self.import_error = _ended(first, "importing your module")
        elif first["op"] != "ready":
            raise _Unreadable("an unexpected first reply from your module")

    def _fault(self, exc: SandboxFault, what: str):
        if exc.kind == "timeout":
            self.timed_out = True
            self.stop()
            raise StudentError(f"timed out after {self.budget.per_call if what.startswith('running') else self.budget.import_time:.1f} s "
                               f"while {what} (an endless loop?)", kind="timeout")
        if exc.kind == "protocol":
            raise _Unreadable(f"your code's process sent a reply the grader cannot read while {what}: {exc}")
        raise exc

    def request(self, message: dict[str, Any], name: str, callback=None) -> Any:
        if self.timed_out:
            raise StudentError("not run: your code already timed out in this exercise", kind="timeout")
        if time.monotonic() >= self.deadline:
            raise StudentError("the time limit for this exercise is used up", kind="timeout")
        if not self.running:
            self._start()
        if self.import_error is not None:
            raise StudentError(self.import_error, kind="import")
        try:
            reply = self.box.request(message, self._left(self.budget.per_call), callback)
        except SandboxFault as exc:
            self._fault(exc, f"running {name}")
        self._keep(reply.get("output", ""))
        if reply["op"] == "ok":
            if "value" not in reply:
                raise _Unreadable("a reply without a value")
            return reply["value"]
        if reply["op"] == "ended":
            self.running = False  # the next test gets a fresh process
            raise StudentError(_ended(reply, f"running {name}"), kind="crash")
        if reply["op"] == "error":
            if reply["kind"] == "not implemented":
                raise NotImplementedYet(name)
            raise StudentError(cap(reply["message"]), kind=reply["kind"])
        raise _Unreadable(f"an unexpected reply ({reply['op']!r}) while running {name}")

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.box.stop()


def _ended(reply: dict[str, Any], what: str) -> str:
    if reply.get("reason"):
        return f"the sandbox stopped your code while {what}: {cap(str(reply['reason']), 300)}"
    return (f"the sandbox process ended while {what} (exit code {reply.get('status')}: os._exit, a crash of the "
            "interpreter, the memory limit, or killed)")


class _Run:
    """What a test calls: ``run('fn', *args)`` and ``run.drive('driver', *args)``."""

    def __init__(self, session: _Session) -> None:
        self.session = session

    def __call__(self, function: str, *args: Any) -> Any:
        return self.session.request({"op": "call", "name": function, "args": list(args)}, function)

    def drive(self, driver: str, *args: Any) -> Any:
        d = SANDBOX_DRIVERS[driver](*args)
        value = self.session.request({"op": "drive", "name": driver, "args": d.request()}, driver,
                                     callback=d.callback)
        return d.finish(value)


def _one(t: TestCase, run: _Run) -> TestResult:
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


def _grade_one(m: Master, tests: list[TestCase], present: bool, budget: Budget, slot: Slot) -> ExerciseResult:
    result = ExerciseResult(m.id, m.title)
    if not present:
        result.problem = f"{m.module}.py is missing from the submission"
        result.tests = [TestResult(t.name, 0, t.points, "error", result.problem, t.hidden) for t in tests]
        return result
    done: dict[str, TestResult] = {}
    deadline = time.monotonic() + budget.per_exercise
    parts = [("visible", [t for t in tests if not t.hidden]), ("hidden", [t for t in tests if t.hidden])]
    try:
        for kind, part in parts:
            if not part:
                continue
            box = slot.sandbox(tuple(m.allow))
            session = _Session(box, slot.name, m.module, budget, deadline)
            try:
                run = _Run(session)
                for t in part:
                    done[t.name] = _one(t, run)
                if session.import_error and not result.problem:
                    result.problem = f"your module could not be imported: {session.import_error}"
            finally:
                try:
                    session.stop()
                except SandboxFault:
                    box.close()
            if kind == "visible":
                result.output = session.output  # what a hidden test's run printed is never shown
    except _Unreadable as exc:
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
