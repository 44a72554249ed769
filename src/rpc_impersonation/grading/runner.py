"""Grade one exercise of one submission: student code in a sandbox child, comparisons here.

The child is forked from a fork server that has imported the engine but never any student code.
Each (submission, exercise) gets its own child; a child that times out, crashes or exits is
killed and replaced, and the grading of the other tests (and submissions) goes on.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil

import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .masters import Master
from .spec import NotImplementedYet, StudentError, outcome

__all__ = ["Session", "TestResult", "ExerciseResult", "grade_exercise", "Budget"]


@dataclass(frozen=True)
class Budget:
    per_call: float = 5.0          # seconds for one call into the student's code
    per_exercise: float = 60.0     # seconds for all tests of one exercise
    import_time: float = 10.0      # seconds to import the student's module


_DROPPED = "\n[... more characters of output dropped]"
_CONTEXT = None
_LAUNCH = threading.Lock()


def _lean_preparation(original):
    """Preparation data without the parent's __main__: the sandbox needs nothing from it, and
    re-importing it in every child (pytest, ipykernel, a script read from stdin) is slow or fails."""
    def prepare(name):
        data = original(name)
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
        return data
    return prepare


def _start(process) -> None:
    from multiprocessing import spawn

    with _LAUNCH:
        original = spawn.get_preparation_data
        spawn.get_preparation_data = _lean_preparation(original)
        try:
            process.start()
        finally:
            spawn.get_preparation_data = original


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        _CONTEXT = multiprocessing.get_context(method)
        if method == "forkserver":
            _CONTEXT.set_forkserver_preload(["rpc_impersonation.grading.sandbox", "rpc_impersonation",
                                             "rpc_impersonation.grading.drivers"])
    return _CONTEXT


class Session:
    """One sandbox child for one student module."""

    def __init__(self, scratch: str, module: str, forbid: tuple[str, ...] = (), budget: Budget = Budget(),
                 allow: tuple[str, ...] | None = None) -> None:
        self.scratch, self.module, self.forbid, self.budget = scratch, module, tuple(forbid), budget
        self.allow = None if allow is None else tuple(allow)
        self.output = ""
        self.import_error: str | None = None
        self.process = None
        self.conn = None
        self.deadline = time.monotonic() + budget.per_exercise
        self.timeouts = 0
        self._start()

    def _start(self) -> None:
        from .sandbox import child_main

        ctx = _context()
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=child_main, args=(child, self.scratch, self.module, self.forbid, self.allow),
                                   daemon=True)
        _start(self.process)
        child.close()
        self.conn = parent
        try:
            status, *rest = self._receive(self.budget.import_time, what="importing your module")
        except StudentError as exc:
            self.import_error = str(exc)
            return
        if status != "ready":
            self.import_error = rest[0]
        self._keep(rest[-1] if rest else "")

    def _keep(self, text: str, cap: int = 20_000) -> None:
        if not text or self.output.endswith(_DROPPED):
            return
        room = cap - len(self.output)
        self.output += text[:room]
        if len(text) > room or "more characters of output dropped" in text:
            self.output += _DROPPED

    def _receive(self, timeout: float, what: str):
        timeout = max(0.05, min(timeout, self.deadline - time.monotonic()))
        try:
            ready = self.conn.poll(timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.kill()
            self.timeouts += 1
            raise StudentError(f"timed out after {timeout:.1f} s while {what} (an endless loop?)", kind="timeout")
        try:
            raw = self.conn.recv_bytes()
        except (EOFError, OSError):
            self.process.join(1)
            code = self.process.exitcode
            self.kill()
            raise StudentError(f"the sandbox process ended while {what} (exit code {code}: os._exit, a crash of "
                               f"the interpreter, or the memory limit)", kind="crash") from None
        return json.loads(raw)

    def request(self, kind: str, name: str, args: list[Any]) -> Any:
        if self.import_error is not None:
            raise StudentError(self.import_error, kind="import")
        if time.monotonic() >= self.deadline:
            raise StudentError("the time limit for this exercise is used up", kind="timeout")
        if self.timeouts:
            raise StudentError("not run: your code already timed out in this exercise", kind="timeout")
        if self.process is None or not self.process.is_alive():
            self._start()
            if self.import_error is not None:
                raise StudentError(self.import_error, kind="import")
        try:
            self.conn.send_bytes(json.dumps([kind, name, args]).encode())
        except (BrokenPipeError, OSError):
            self.kill()
            raise StudentError("the sandbox process is gone", kind="crash") from None
        reply = self._receive(self.budget.per_call, what=f"running {name}")
        self._keep(reply[-1])
        if reply[0] == "ok":
            return reply[1]
        _, err_kind, message, _out = reply
        if err_kind == "not implemented":
            raise NotImplementedYet(name)
        raise StudentError(message, kind=err_kind)

    def kill(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.process = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.kill()


@dataclass
class TestResult:
    name: str
    points: float
    max_points: float
    status: str  # passed, failed, error, not implemented
    message: str = ""
    hidden: bool = False
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
        return cls(d["exercise"], d["title"], [TestResult(**t) for t in d["tests"]], d.get("output", ""),
                   d.get("problem", ""), list(d.get("flags", [])))


class _Run:
    """What a test calls: ``run('fn', *args)`` and ``run.drive('driver', *args)``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, function: str, *args: Any) -> Any:
        return self.session.request("call", function, list(args))

    def drive(self, driver: str, *args: Any) -> Any:
        return self.session.request("drive", driver, list(args))


def grade_exercise(master: Master, source: str | None, hidden: bool = True, budget: Budget = Budget()
                   ) -> ExerciseResult:
    """Grade ``source`` (the text of the student's module, None if missing) against the master's tests."""
    result = ExerciseResult(master.id, master.title)
    tests = [t for t in master.tests() if hidden or not t.hidden]
    if source is None:
        result.problem = f"{master.module}.py is missing from the submission"
        result.tests = [TestResult(t.name, 0, t.points, "error", result.problem, t.hidden) for t in tests]
        return result
    scratch = tempfile.mkdtemp(prefix="grade-")
    try:
        os.chmod(scratch, 0o755)
        target = Path(scratch, f"{master.module}.py")
        target.write_text(source, encoding="utf-8")
        os.chmod(target, 0o644)
        session = Session(scratch, master.module, master.forbid, budget, getattr(master, "allow", None))
        try:
            if session.import_error:
                result.problem = f"your module could not be imported: {session.import_error}"
            run = _Run(session)
            for t in tests:
                result.tests.append(_one(t, run))
        finally:
            session.close()
        result.output = session.output
        from .allow import similarity_problem

        flag = similarity_problem(source, master.module)
        if flag:
            result.flags.append(flag)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _one(t, run: _Run) -> TestResult:
    o = outcome(t, run)
    return TestResult(t.name, t.points if o.status == "passed" else 0, t.points, o.status, o.message, t.hidden,
                      o.misconception, o.rule, o.section)
