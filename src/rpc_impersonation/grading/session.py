"""The student's process as the tests see it: ``run('fn', *args)``, ``run.drive(...)``.

One process serves the exercises of a submission that share a package view (runner.py decides the
order: every visible part before any hidden one). Each exercise keeps its own state (import error,
timeout, output, time left: :class:`Exercise`); the process imports a module when its exercise
first asks. Within a part, the requests known before any test runs (a case's plain call, a drive
that makes no callback) go to the process together, and it answers them one by one, each within
its own time limit: one round trip per part instead of one per call (:meth:`Session.prefetch`). A
part asks the student's code each distinct question once; tests that judge the same answer (fields
of one trace, aspects of one handler run) share it (:class:`Run`).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .drivers import SANDBOX_DRIVERS
from .sandbox import Sandbox, SandboxFault
from .spec import NotImplementedYet, StudentError, TestCase

__all__ = ["Budget", "Exercise", "Session", "Run", "Unreadable", "cap", "MESSAGE_CHARS", "batchable_requests"]

#: At most this many characters of any message or value shown (the rest is cut, and says so).
MESSAGE_CHARS = 2000
_DROPPED = "\n[... more characters of output dropped]"


def cap(text: str, limit: int = MESSAGE_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} more characters cut]"


@dataclass(frozen=True)
class Budget:
    per_call: float = 5.0  # seconds for one call into the student's code
    per_exercise: float = 60.0  # seconds for all tests of one exercise
    import_time: float = 10.0  # seconds to import the student's module


class Unreadable(Exception):
    """The student's process sent what the grader cannot read: the whole exercise scores 0."""


def question_key(kind: str, name: str, args: list[Any]) -> str:
    """What a test asks, as a key: ("call" or "drive", the function or driver, the test's arguments)."""
    return json.dumps([kind, name, args], sort_keys=True, default=repr)


def _call(module: str, function: str, args: list[Any]) -> dict[str, Any]:
    return {"op": "call", "module": module, "name": function, "args": list(args)}


def _drive(module: str, driver: str, args: list[Any]) -> tuple[dict[str, Any], Any]:
    d = SANDBOX_DRIVERS[driver](*args)
    return {"op": "drive", "module": module, "name": driver, "args": d.request()}, d


def batchable_requests(module: str, tests: list[TestCase]) -> dict[str, dict[str, Any]]:
    """The distinct requests the cases among ``tests`` will make, by question key, in the order they ask:
    plain calls, and drives whose driver makes no callback. Other tests ask themselves when they run."""
    out: dict[str, dict[str, Any]] = {}
    for t in tests:
        data = t.data
        if data is None or data.get("judge", "equals") not in ("equals", "order"):
            continue
        name, args = data["call"], list(data.get("args", []))
        if not data.get("drive"):
            out.setdefault(question_key("call", name, args), _call(module, name, args))
        elif getattr(SANDBOX_DRIVERS.get(name), "callbacks", True) is False:
            key = question_key("drive", name, args)
            if key not in out:
                out[key] = _drive(module, name, args)[0]
    return out


@dataclass
class Exercise:
    """What one exercise's tests have met in the student's process (a process may serve several)."""

    module: str
    left: float  # seconds of its time budget not used yet
    import_error: str | None = None
    timed_out: bool = False
    output: str = ""
    deferred: StudentError | None = None  # met while sending a batch, for the first test that asks
    deadline: float = field(default=0.0, repr=False)  # while one of its parts runs

    def keep(self, text: str, limit: int = 4000) -> None:
        if not text or self.output.endswith(_DROPPED):
            return
        room = limit - len(self.output)
        self.output += text if len(text) <= room else text[: max(room, 0)] + _DROPPED


class Session:
    """The student's process for one view of one submission (started on first use, replaced after a crash,
    a timeout or a failed import); requests go to it on behalf of the exercise whose part runs."""

    def __init__(self, box: Sandbox, student: str, budget: Budget) -> None:
        self.box, self.student, self.budget = box, student, budget
        self.running = False
        self.imported: set[str] = set()
        self.pending: deque[tuple[str, str]] = deque()  # (question key, its name): sent together, not read yet
        self.answered: dict[str, dict[str, Any]] = {}  # replies read before their test asked
        self.exercise = Exercise("", 0.0)

    def begin(self, exercise: Exercise) -> None:
        """The requests from now on are this exercise's (its part starts; its clock runs)."""
        self.exercise = exercise
        exercise.deadline = time.monotonic() + exercise.left

    def end(self) -> None:
        """Its part is over; its clock stops. Replies nobody asked for (a test stopped early: the time
        budget ran out) go with the process, which the next exercise gets fresh."""
        if self.pending:
            self.stop()
        self.answered.clear()
        self.exercise.left = max(0.0, self.exercise.deadline - time.monotonic())

    def _left(self, wanted: float) -> float:
        return max(0.05, min(wanted, self.exercise.deadline - time.monotonic()))

    def _start(self) -> None:
        try:
            first = self.box.start(self.student, self._left(self.budget.import_time))
        except SandboxFault as exc:
            self._fault(exc, "starting your code")
        if first["op"] == "fault":
            raise SandboxFault(cap(first["message"], 500), kind="sandbox")
        if first["op"] == "ended":
            raise StudentError(_ended(first, "starting your code"), kind="crash")
        if first["op"] != "ready":
            raise Unreadable("an unexpected first reply from the sandbox")
        self.running, self.imported = True, set()

    def _import(self) -> None:
        ex = self.exercise
        try:
            reply = self.box.request({"op": "import", "module": ex.module}, self._left(self.budget.import_time))
        except SandboxFault as exc:
            self._fault(exc, "importing your module")
        ex.keep(reply.get("output", ""))
        if reply["op"] == "ok":
            self.imported.add(ex.module)
            return
        if reply["op"] == "import error":
            ex.import_error = cap(reply["message"])
        elif reply["op"] == "ended":
            self.running = False
            ex.import_error = _ended(reply, "importing your module")
        else:
            raise Unreadable(f"an unexpected reply ({reply['op']!r}) while importing your module")
        self.stop()  # what a failed import did to the process stays out of the other exercises
        raise StudentError(ex.import_error, kind="import")

    def _fault(self, exc: SandboxFault, what: str) -> NoReturn:
        if exc.kind == "timeout":
            self.exercise.timed_out = True
            self.stop()
            if time.monotonic() >= self.exercise.deadline:  # the exercise's budget ran out, not the call's
                raise StudentError(
                    f"the time limit for this exercise ({self.budget.per_exercise:g} s) was used up while {what}",
                    kind="timeout",
                )
            limit = self.budget.per_call if what.startswith("running") else self.budget.import_time
            raise StudentError(f"timed out after {limit:.1f} s while {what} (an endless loop?)", kind="timeout")
        if exc.kind == "protocol":
            raise Unreadable(f"your code's process sent a reply the grader cannot read while {what}: {exc}")
        raise exc

    def _ready(self) -> None:
        """The process runs and has imported the exercise's module, or the reason it cannot."""
        ex = self.exercise
        if ex.deferred is not None:
            exc, ex.deferred = ex.deferred, None
            raise exc
        if ex.timed_out:
            raise StudentError("not run: your code already timed out in this exercise", kind="timeout")
        if time.monotonic() >= ex.deadline:
            raise StudentError("the time limit for this exercise is used up", kind="timeout")
        if ex.import_error is not None:
            raise StudentError(ex.import_error, kind="import")
        if not self.running:
            self._start()
        if ex.module not in self.imported:
            self._import()

    def prefetch(self, requests: dict[str, dict[str, Any]]) -> None:
        """Send these requests (by question key) at once; :meth:`request` takes each reply when its test
        asks for it."""
        if not requests:
            return
        try:
            self._ready()
        except StudentError as exc:
            self.exercise.deferred = exc  # the first test to ask meets it, as it would have without the batch
            return
        try:
            self.box.send_batch(list(requests.values()), self._left(self.budget.per_call))
        except SandboxFault as exc:
            self._fault(exc, "running your functions (they stopped reading their requests)")
        self.pending.extend((key, m["name"]) for key, m in requests.items())

    def _read_pending(self) -> tuple[str, dict[str, Any]] | None:
        """The next reply to a request sent by :meth:`prefetch`, with its key; None when none is pending.
        A process that ends takes every pending request with it (each is asked again when its test runs)."""
        if not self.pending or not self.running:
            self.pending.clear()
            return None
        key, name = self.pending.popleft()
        try:
            reply = self.box.reply(self._left(self.budget.per_call))
        except SandboxFault as exc:
            self.pending.clear()
            self._fault(exc, f"running {name}")
        if reply["op"] in ("ended", "fault"):
            self.pending.clear()
        return key, reply

    def _prefetched(self, key: str) -> dict[str, Any] | None:
        while key not in self.answered:
            read = self._read_pending()
            if read is None:
                return None
            if read[1]["op"] in ("ended", "fault") and read[0] != key:
                self._lost(read[1])
                return None
            self.answered[read[0]] = read[1]
        return self.answered.pop(key)

    def _lost(self, reply: dict[str, Any]) -> None:
        """The process ended while answering an earlier request than the one asked for: that one's test
        asks again (in a fresh process) and meets the reason itself."""
        if reply["op"] == "fault":
            raise SandboxFault(cap(str(reply.get("message", "")), 500), kind="sandbox")
        self.running = False

    def request(
        self, key: str, message: dict[str, Any], name: str, callback: Callable[[str, list[Any]], Any] | None = None
    ) -> Any:
        """The answer to ``message`` (a question with this key): sent with others earlier, or now."""
        self._ready()
        reply = self._prefetched(key)
        if reply is None:
            while self._read_pending() is not None:  # what was sent before is answered first: read it
                pass
            self._ready()
            try:
                reply = self.box.request(message, self._left(self.budget.per_call), callback)
            except SandboxFault as exc:
                self._fault(exc, f"running {name}")
        self.exercise.keep(reply.get("output", ""))
        if reply["op"] == "ok":
            if "value" not in reply:
                raise Unreadable("a reply without a value")
            return reply["value"]
        if reply["op"] == "ended":
            self.running = False  # the next test gets a fresh process
            raise StudentError(_ended(reply, f"running {name}"), kind="crash")
        if reply["op"] == "error":
            if reply["kind"] == "not implemented":
                raise NotImplementedYet(name)
            raise StudentError(cap(reply["message"]), kind=reply["kind"])
        raise Unreadable(f"an unexpected reply ({reply['op']!r}) while running {name}")

    def stop(self) -> None:
        self.pending.clear()
        self.answered.clear()
        if self.running:
            self.running = False
            try:
                self.box.stop()
            except SandboxFault:
                # its late "stopped" would be read as the next process's first frame: this sandbox is done
                self.box.close()
                raise


def _ended(reply: dict[str, Any], what: str) -> str:
    if reply.get("reason"):
        return f"the sandbox stopped your code while {what}: {cap(str(reply['reason']), 300)}"
    return (
        f"the sandbox process ended while {what} (exit code {reply.get('status')}: os._exit, a crash of the "
        "interpreter, the memory limit, or killed)"
    )


class Run:
    """What a test calls: ``run('fn', *args)`` and ``run.drive('driver', *args)``, for one part.

    The same question gets the same answer: a request asked again in the part returns the first
    answer (or raises the first error) without asking the student's code again."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.answers: dict[str, tuple[bool, Any]] = {}

    def _ask(self, key: str, ask: Callable[[], Any]) -> Any:
        if key not in self.answers:
            try:
                self.answers[key] = (True, ask())
            except StudentError as exc:
                self.answers[key] = (False, exc)
        ok, value = self.answers[key]
        if not ok:
            raise value
        return value

    def __call__(self, function: str, *args: Any) -> Any:
        key = question_key("call", function, list(args))
        module = self.session.exercise.module
        return self._ask(key, lambda: self.session.request(key, _call(module, function, list(args)), function))

    def drive(self, driver: str, *args: Any) -> Any:
        key = question_key("drive", driver, list(args))

        def ask() -> Any:
            message, d = _drive(self.session.exercise.module, driver, list(args))
            return d.finish(self.session.request(key, message, driver, d.callback))

        return self._ask(key, ask)
