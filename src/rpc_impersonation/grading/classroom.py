"""Grade a whole class: a folder of submissions -> a results folder.

The run is a pipeline of small steps: discover the submissions (see :mod:`.submissions` for the
accepted layouts) -> match them to the roster -> resolve one file per (student, exercise) ->
grade -> apply the assignment's points and late policy -> write the reports.

Results: ``manifest.json`` (which file was graded for whom, and why), ``students/<name>.json``
(written as soon as a student is graded, atomically), ``feedback/<name>.md``,
``gradescope/<name>/results.json``, ``gradebook.csv`` (with a problems column), ``summary.md``,
``summary.png``, ``item_analysis.html`` and ``export/{canvas,moodle,grades}.csv``. A re-run skips
students whose files have not changed (unless ``force``); results of students no longer in the
class are moved to ``removed/``. An interrupted run keeps every student graded so far and writes a
gradebook marked partial.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..errors import ImpersonationError
from .assignment import Assignment
from .class_reports import write_reports
from .class_run import ClassRun, StudentGrade, atomic_write, exercise_maxima
from .masters import Master, load_masters
from .roster import Roster, match
from .runner import GRADER_VERSION, Budget, ExerciseResult, TestResult, grade_submission
from .sandbox import Isolation, choose_isolation
from .submissions import Resolutions, Submission, discover, discover_entries, notebook_modules, resolve

__all__ = [
    "Submission",
    "discover",
    "grade_class",
    "atomic_write",
    "notebook_modules",
    "write_reports",
    "ClassRun",
    "StudentGrade",
]


def _discover(run: ClassRun, folder: Path, roster: Roster | None, resolutions: Resolutions) -> None:
    entries, run.stray = discover_entries(folder, [m.module for m in run.masters])
    run.matching = match(entries, roster)
    for student, group in sorted(run.matching.groups.items()):
        decisions = resolutions.for_student(student, *(e.display for e in group), *(e.key for e in group))
        sub = resolve(student, group, decisions)
        if student in run.matching.rows:
            row = run.matching.rows[student]
            sub.roster = {"id": row.id, "name": row.name, "email": row.email}
        run.submissions[student] = sub


def _write_manifest(run: ClassRun, out: Path, isolation: Isolation) -> None:
    m = run.matching
    doc = {
        "assignment": run.assignment.id,
        "exercises": list(run.assignment.exercises),
        "grader": GRADER_VERSION,
        "isolation": isolation.name,
        "maxima": exercise_maxima(run.masters),
        "masters": _fingerprints(run.masters),
        "students": {s: sub.manifest() for s, sub in sorted(run.submissions.items())},
        "not_in_roster": m.unmatched if m else [],
        "ambiguous": m.ambiguous if m else [],
        "no_submission": [s.id for s in m.missing] if m else [],
        "ignored": run.stray,
    }
    atomic_write(out / "manifest.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")


def _move_removed(run: ClassRun, out: Path) -> None:
    """Results of students who are no longer in the class go to removed/ (never deleted)."""
    for saved in sorted((out / "students").glob("*.json")):
        student = saved.stem
        if student in run.submissions:
            continue
        for path in (saved, out / "feedback" / f"{student}.md", out / "gradescope" / student):
            if path.exists():
                target = out / "removed" / path.relative_to(out)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    shutil.rmtree(target) if target.is_dir() else target.unlink()
                os.replace(path, target)
        run.removed.append(student)


def _fingerprints(masters: list[Master]) -> dict[str, str]:
    return {m.id: m.fingerprint for m in masters}


def _cached(saved: Path, sub: Submission, fingerprints: dict[str, str]) -> list[ExerciseResult] | None:
    """The saved results, when graded from the same files against the same masters by the same grader."""
    if not saved.exists():
        return None
    try:
        data = json.loads(saved.read_text(encoding="utf-8"))
        if (
            data.get("digest") == sub.digest
            and data.get("masters") == fingerprints
            and data.get("grader") == GRADER_VERSION
        ):
            return [ExerciseResult.from_dict(e) for e in data["exercises"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        pass  # unreadable or tampered: grade again
    return None


class _Progress:
    def __init__(self, total: int, stream=None) -> None:
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = f"grading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {label}"
        self.stream.write(("\r" + line.ljust(80)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _grade_student(
    sub: Submission, masters: list[Master], budget: Budget, isolation: Isolation, stop: threading.Event
) -> list[ExerciseResult] | None:
    """Never raises: whatever goes wrong with one student scores that student's exercises 0 with the reason.
    None when the run was stopped before this student began."""
    if stop.is_set():
        return None
    try:
        results = grade_submission(masters, sub.files, hidden=True, budget=budget, isolation=isolation)
    except Exception as exc:  # noqa: BLE001 - one student must never cost the class its gradebook
        reason = f"internal error while grading this submission ({type(exc).__name__}: {str(exc)[:300]})"
        results = [
            ExerciseResult(
                m.id,
                m.title,
                [TestResult(t.name, 0, t.points, "error", reason, t.hidden) for t in m.tests()],
                problem=reason,
            )
            for m in masters
        ]
    for r, m in zip(results, masters):
        if m.module not in sub.files:
            notes = [p for p in sub.problems if p.startswith(f"{m.id}:")] or ([] if sub.files else sub.problems)
            if notes:
                r.problem = "; ".join([r.problem, *notes]).strip("; ")
    return results


def _grade(
    run: ClassRun,
    out: Path,
    *,
    force: bool,
    jobs: int,
    budget: Budget,
    progress_stream,
    stop: threading.Event,
    isolation: Isolation,
) -> None:
    maxima, fingerprints = exercise_maxima(run.masters), _fingerprints(run.masters)  # collects every test, here, once
    todo = []
    for student, sub in sorted(run.submissions.items()):
        cached = None if force else _cached(out / "students" / f"{student}.json", sub, fingerprints)
        if cached is not None:
            run.results[student] = cached
            run.reused.append(student)
        else:
            todo.append(sub)
    progress = _Progress(len(todo), progress_stream)
    wrong: list[str] = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(_grade_student, sub, run.masters, budget, isolation, stop): sub for sub in todo}
        for future in as_completed(futures):
            sub, rs = futures[future], future.result()
            if rs is None or stop.is_set():
                continue
            got = {r.exercise: r.max_score for r in rs}
            if got != maxima:
                wrong.append(f"{sub.student}: maxima {got} differ from the masters' {maxima}")
                continue  # not saved: a wrong maximum is a grader fault, never a grade
            run.results[sub.student] = rs
            run.graded.append(sub.student)
            atomic_write(
                out / "students" / f"{sub.student}.json",
                json.dumps(
                    {
                        "student": sub.student,
                        "digest": sub.digest,
                        "masters": fingerprints,
                        "grader": GRADER_VERSION,
                        "isolation": isolation.name,
                        "exercises": [r.to_dict() for r in rs],
                    },
                    indent=1,
                    sort_keys=True,
                ),
            )
            progress.step(sub.student)
    except KeyboardInterrupt:
        stop.set()
        isolation.halt()
        run.interrupted = True
    finally:
        pool.shutdown(wait=not run.interrupted, cancel_futures=True)
    if wrong:
        raise ImpersonationError(
            "grading stopped, no gradebook written: the tests differ between students "
            "(a grader fault):\n" + "\n".join(wrong[:10])
        )


def _apply_policy(run: ClassRun, resolutions: Resolutions) -> None:
    a = run.assignment
    for student, rs in run.results.items():
        sub = run.submissions[student]
        exercises = {r.exercise: a.scale(r.exercise, r.score, r.max_score) for r in rs}
        grade = StudentGrade(exercises)
        due = resolutions.for_student(student, sub.display).get("due")
        lateness = a.lateness(grade.raw, sub.submitted, due)
        if lateness.days == 0 and sub.lms_late and a.due and sub.submitted and lateness.note == "":
            sub.warnings.append(
                "the LMS marks this submission late, but its file time is before the due date: "
                "check it and give the time in a resolutions file"
            )
        grade.lateness = lateness
        run.grades[student] = grade


def grade_class(
    submissions: Path,
    out: Path,
    solutions: Path,
    *,
    force: bool = False,
    jobs: int = 2,
    budget: Budget = Budget(),
    progress_stream=None,
    assignment: Assignment | None = None,
    roster: Roster | None = None,
    resolutions: Resolutions | None = None,
    stop: threading.Event | None = None,
    allow_weak_isolation: bool = False,
    isolation: Isolation | None = None,
) -> ClassRun:
    """Grade every submission; write the results folder; return the run (a mapping student -> results).

    The masters' tests are collected once, before any worker starts; every student's maximum per
    exercise must equal the master's, or the run fails (naming who and what) instead of writing
    wrong grades. Saved results graded against another master text or grader version are regraded.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ImpersonationError(f"results folder {out} is a file; give a folder (it is created if needed)")
    if out.resolve().is_relative_to(Path(submissions).resolve()):
        raise ImpersonationError(
            f"results folder {out} is inside the submissions folder {submissions}: the next "
            f"run would take it for a student; put the results elsewhere"
        )
    if (out / "solutions").is_dir() or (out / "exercises").is_dir() or (out / ".git").exists():
        raise ImpersonationError(
            f"results folder {out} looks like a course or repository folder; give a "
            f"folder of its own, e.g. ../term/results/hw1"
        )
    masters = load_masters(solutions)
    assignment = assignment or Assignment.everything(masters)
    run = ClassRun(assignment, assignment.select(masters))
    resolutions = resolutions or Resolutions()
    _discover(run, Path(submissions), roster, resolutions)
    if not run.submissions:
        what = f" (ignored: {'; '.join(run.stray)})" if run.stray else ""
        raise ImpersonationError(f"no submissions in {submissions}{what}")
    try:
        (out / "students").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImpersonationError(f"results folder {out}: {exc.strerror}") from None
    own_isolation = isolation is None
    isolation = isolation or choose_isolation(untrusted=True, allow_weak=allow_weak_isolation)
    try:
        run.isolation = isolation.describe()
        (progress_stream or sys.stderr).write(f"isolation: {run.isolation}\n")
        _write_manifest(run, out, isolation)
        _move_removed(run, out)
        _grade(
            run,
            out,
            force=force,
            jobs=jobs,
            budget=budget,
            progress_stream=progress_stream,
            stop=stop or threading.Event(),
            isolation=isolation,
        )
    finally:
        if own_isolation and not run.interrupted:  # interrupted: the caller ends the processes at once
            isolation.close()
    _apply_policy(run, resolutions)
    write_reports(out, run)
    return run
