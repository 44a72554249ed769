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

import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImpersonationError
from .analysis import html_report, item_analysis
from .assignment import Assignment, Lateness
from .masters import Master, load_masters
from .report import gradescope_results, markdown_feedback
from .roster import Matching, Roster, Student, canvas_csv, match, moodle_csv, plain_csv
from .runner import GRADER_VERSION, Budget, ExerciseResult, TestResult, grade_submission
from .sandbox import Isolation, choose_isolation
from .submissions import Resolutions, Submission, discover, discover_entries, notebook_modules, resolve

__all__ = ["Submission", "discover", "grade_class", "atomic_write", "notebook_modules", "write_reports",
           "ClassRun", "StudentGrade"]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # errors="replace": a lone surrogate (a non-UTF-8 file name, say) must not cost the whole gradebook
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class StudentGrade:
    """One student's grade in the assignment's points, after the late policy."""

    exercises: dict[str, tuple[float, float]]      # exercise -> (score, max) in the assignment's points
    lateness: Lateness = Lateness()

    @property
    def raw(self) -> float:
        return round(sum(s for s, _ in self.exercises.values()), 2)

    @property
    def max(self) -> float:
        return round(sum(m for _, m in self.exercises.values()), 2)

    @property
    def total(self) -> float:
        return 0.0 if self.lateness.refused else round(max(0.0, self.raw - self.lateness.penalty), 2)


@dataclass
class ClassRun(Mapping):
    """A class run: a read-only mapping student -> exercise results, and everything that happened."""

    assignment: Assignment
    masters: list[Master]
    submissions: dict[str, Submission] = field(default_factory=dict)
    results: dict[str, list[ExerciseResult]] = field(default_factory=dict)
    grades: dict[str, StudentGrade] = field(default_factory=dict)
    matching: Matching | None = None
    stray: list[str] = field(default_factory=list)
    graded: list[str] = field(default_factory=list)       # graded in this run
    reused: list[str] = field(default_factory=list)       # unchanged since the last run
    removed: list[str] = field(default_factory=list)      # results moved to removed/
    interrupted: bool = False
    isolation: str = ""                                   # how student code ran

    def __getitem__(self, student: str) -> list[ExerciseResult]:
        return self.results[student]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def problems(self, student: str) -> list[str]:
        sub = self.submissions[student]
        out = list(sub.problems)
        lateness = self.grades[student].lateness if student in self.grades else None
        if lateness and lateness.note and (lateness.refused or sub.submitted is None):
            out.append(lateness.note)
        if student not in self.results:
            out.append("not graded: the run was interrupted")
        return out

    @property
    def students_with_problems(self) -> list[str]:
        return [s for s in sorted(self.submissions) if self.problems(s)]


# --- the steps -----------------------------------------------------------------------------------------------

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
    doc = {"assignment": run.assignment.id, "exercises": list(run.assignment.exercises),
           "grader": GRADER_VERSION, "isolation": isolation.name, "maxima": _maxima(run.masters),
           "masters": _fingerprints(run.masters),
           "students": {s: sub.manifest() for s, sub in sorted(run.submissions.items())},
           "not_in_roster": m.unmatched if m else [], "ambiguous": m.ambiguous if m else [],
           "no_submission": [s.id for s in m.missing] if m else [], "ignored": run.stray}
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


def _maxima(masters: list[Master]) -> dict[str, float]:
    """Each master's maximum (collecting its tests, and reading its title and allowed modules, once)."""
    for m in masters:
        m.title, m.allow  # noqa: B018 - computed here, before grading threads read them
    return {m.id: round(sum(t.points for t in m.tests()), 2) for m in masters}


def _fingerprints(masters: list[Master]) -> dict[str, str]:
    return {m.id: m.fingerprint for m in masters}


def _cached(saved: Path, sub: Submission, fingerprints: dict[str, str]) -> list[ExerciseResult] | None:
    """The saved results, when graded from the same files against the same masters by the same grader."""
    if not saved.exists():
        return None
    try:
        data = json.loads(saved.read_text(encoding="utf-8"))
        if data.get("digest") == sub.digest and data.get("masters") == fingerprints and \
                data.get("grader") == GRADER_VERSION:
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


def _grade_student(sub: Submission, masters: list[Master], budget: Budget, isolation: Isolation,
                   stop: threading.Event) -> list[ExerciseResult] | None:
    """Never raises: whatever goes wrong with one student scores that student's exercises 0 with the reason.
    None when the run was stopped before this student began."""
    if stop.is_set():
        return None
    try:
        results = grade_submission(masters, sub.files, hidden=True, budget=budget, isolation=isolation)
    except Exception as exc:  # noqa: BLE001 - one student must never cost the class its gradebook
        reason = f"internal error while grading this submission ({type(exc).__name__}: {str(exc)[:300]})"
        results = [ExerciseResult(m.id, m.title, [TestResult(t.name, 0, t.points, "error", reason, t.hidden)
                                                  for t in m.tests()], problem=reason) for m in masters]
    for r, m in zip(results, masters):
        if m.module not in sub.files:
            notes = [p for p in sub.problems if p.startswith(f"{m.id}:")] or ([] if sub.files else sub.problems)
            if notes:
                r.problem = "; ".join([r.problem, *notes]).strip("; ")
    return results


def _grade(run: ClassRun, out: Path, *, force: bool, jobs: int, budget: Budget, progress_stream,
           stop: threading.Event, isolation: Isolation) -> None:
    maxima, fingerprints = _maxima(run.masters), _fingerprints(run.masters)  # collects every test, here, once
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
            atomic_write(out / "students" / f"{sub.student}.json",
                         json.dumps({"student": sub.student, "digest": sub.digest, "masters": fingerprints,
                                     "grader": GRADER_VERSION, "isolation": isolation.name,
                                     "exercises": [r.to_dict() for r in rs]}, indent=1, sort_keys=True))
            progress.step(sub.student)
    except KeyboardInterrupt:
        stop.set()
        isolation.halt()
        run.interrupted = True
    finally:
        pool.shutdown(wait=not run.interrupted, cancel_futures=True)
    if wrong:
        raise ImpersonationError("grading stopped, no gradebook written: the tests differ between students "
                                 "(a grader fault):\n" + "\n".join(wrong[:10]))


def _apply_policy(run: ClassRun, resolutions: Resolutions) -> None:
    a = run.assignment
    for student, rs in run.results.items():
        sub = run.submissions[student]
        exercises = {r.exercise: a.scale(r.exercise, r.score, r.max_score) for r in rs}
        grade = StudentGrade(exercises)
        due = resolutions.for_student(student, sub.display).get("due")
        lateness = a.lateness(grade.raw, sub.submitted, due)
        if lateness.days == 0 and sub.lms_late and a.due and sub.submitted and lateness.note == "":
            sub.warnings.append("the LMS marks this submission late, but its file time is before the due date: "
                                "check it and give the time in a resolutions file")
        grade.lateness = lateness
        run.grades[student] = grade


def grade_class(submissions: Path, out: Path, solutions: Path, *, force: bool = False, jobs: int = 2,
                budget: Budget = Budget(), progress_stream=None, assignment: Assignment | None = None,
                roster: Roster | None = None, resolutions: Resolutions | None = None,
                stop: threading.Event | None = None, allow_weak_isolation: bool = False,
                isolation: Isolation | None = None) -> ClassRun:
    """Grade every submission; write the results folder; return the run (a mapping student -> results).

    The masters' tests are collected once, before any worker starts; every student's maximum per
    exercise must equal the master's, or the run fails (naming who and what) instead of writing
    wrong grades. Saved results graded against another master text or grader version are regraded.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ImpersonationError(f"results folder {out} is a file; give a folder (it is created if needed)")
    if out.resolve().is_relative_to(Path(submissions).resolve()):
        raise ImpersonationError(f"results folder {out} is inside the submissions folder {submissions}: the next "
                                 f"run would take it for a student; put the results elsewhere")
    if (out / "solutions").is_dir() or (out / "exercises").is_dir() or (out / ".git").exists():
        raise ImpersonationError(f"results folder {out} looks like a course or repository folder; give a "
                                 f"folder of its own, e.g. ../term/results/hw1")
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
        _grade(run, out, force=force, jobs=jobs, budget=budget, progress_stream=progress_stream,
               stop=stop or threading.Event(), isolation=isolation)
    finally:
        if own_isolation and not run.interrupted:   # interrupted: the caller ends the processes at once
            isolation.close()
    _apply_policy(run, resolutions)
    write_reports(out, run)
    return run


# --- reports -------------------------------------------------------------------------------------------------

def _student_notes(run: ClassRun, student: str) -> list[str]:
    sub, grade = run.submissions[student], run.grades[student]
    notes = [f"problem: {p}" for p in sub.problems] + [f"note: {w}" for w in sub.warnings]
    if grade.lateness.note:
        notes.append(grade.lateness.note)
    tests_total = sum(r.score for r in run.results[student])
    tests_max = sum(r.max_score for r in run.results[student])
    if (grade.total, grade.max) != (round(tests_total, 2), round(tests_max, 2)):
        notes.append(f"your grade for {run.assignment.title}: {grade.total:g} / {grade.max:g} "
                     f"(the tests' {tests_total:g} / {tests_max:g} in the assignment's points, after any late penalty)")
    return notes


def write_reports(out: Path, run: ClassRun) -> None:
    a, masters = run.assignment, run.masters
    for s in sorted(run.results):
        atomic_write(out / "feedback" / f"{s}.md", markdown_feedback(s, run.results[s], _student_notes(run, s)))
        atomic_write(out / "gradescope" / s / "results.json",
                     json.dumps(gradescope_results(run.results[s]), indent=1, sort_keys=True))
    rows = []
    for s in sorted(run.submissions):
        sub, grade = run.submissions[s], run.grades.get(s)
        row = {"student": s, "id": sub.roster.get("id", ""), "name": sub.roster.get("name", sub.display),
               "email": sub.roster.get("email", "")}
        for m in masters:
            row[m.id] = f"{grade.exercises[m.id][0]:g}" if grade and m.id in grade.exercises else ""
        row.update({"late_days": grade.lateness.days if grade else "",
                    "late_penalty": f"{grade.lateness.penalty:g}" if grade else "",
                    "total": f"{grade.total:g}" if grade else "", "max": f"{grade.max:g}" if grade else "",
                    "submitted": sub.submitted.isoformat() if sub.submitted else "",
                    "problems": " | ".join(run.problems(s)), "warnings": len(sub.warnings)})
        rows.append(row)
    atomic_write(out / "gradebook.csv", plain_csv(rows))
    atomic_write(out / "summary.md", _summary(run))
    if run.interrupted:
        for stale in ("item_analysis.html", "export/canvas.csv", "export/moodle.csv", "export/grades.csv"):
            (out / stale).unlink(missing_ok=True)
        return
    _write_exports(out, run)
    handed = {s: {m.id for m in masters if m.module in sub.files} for s, sub in run.submissions.items()}
    stats = item_analysis(run.results, handed)
    histogram = {m.id: [run.grades[s].exercises[m.id][0] for s in sorted(run.grades) if m.id in handed[s]]
                 for m in masters}
    atomic_write(out / "item_analysis.html", html_report(a.title, stats, len(run.results), histogram))
    _plot(out / "summary.png", run)


def _write_exports(out: Path, run: ClassRun) -> None:
    a, m = run.assignment, run.matching
    entries: list[tuple[Student, float, str]] = []
    if m is None or not (m.rows or m.missing):    # no roster: nothing an LMS could match
        for stale in ("canvas.csv", "moodle.csv"):
            (out / "export" / stale).unlink(missing_ok=True)
    else:
        for student, row in sorted(m.rows.items()):
            if not row.lms_id and run.submissions[student].lms_id:   # the Canvas user id from the file names
                row = dataclasses.replace(row, lms_id=run.submissions[student].lms_id)
            if student in run.grades:
                g = run.grades[student]
                entries.append((row, g.total, g.lateness.note))
        entries += [(row, 0.0, "no submission") for row in m.missing]
        entries.sort(key=lambda e: e[0].id)
        most = sum(a.scale(x.id, 0, sum(t.points for t in x.tests()))[1] for x in run.masters)
        atomic_write(out / "export" / "canvas.csv", canvas_csv(a.title, a.canvas_id, most,
                                                               [(s, t) for s, t, _ in entries]))
        atomic_write(out / "export" / "moodle.csv", moodle_csv(a.title, entries))
    plain = [{"student": s, "id": run.submissions[s].roster.get("id", ""), "email": run.submissions[s].roster.get(
        "email", ""), "total": f"{g.total:g}", "max": f"{g.max:g}", "status": "graded"}
        for s, g in sorted(run.grades.items())]
    if m:
        plain += [{"student": r.key, "id": r.id, "email": r.email, "total": "0", "max": "", "status": "no submission"}
                  for r in m.missing]
    atomic_write(out / "export" / "grades.csv", plain_csv(plain))


def _summary(run: ClassRun) -> str:
    a, results = run.assignment, run.results
    head = "PARTIAL (interrupted) " if run.interrupted else ""
    lines = [f"# {head}Class summary: {a.title} ({len(results)} of {len(run.submissions)} students graded)", ""]
    if run.interrupted:
        lines += ["**The run was interrupted: this gradebook is partial. Run `grade` again to finish.**", ""]
    if run.isolation:
        lines += [f"Student code ran with: {run.isolation}.", ""]
    lines += ["| exercise | max | mean | median | full marks | zero | handed in |", "|---|---|---|---|---|---|---|"]
    for m in run.masters:
        handed = [s for s in results if m.module in run.submissions[s].files]
        scores = sorted(run.grades[s].exercises[m.id][0] for s in handed if s in run.grades)
        most = run.assignment.scale(m.id, 0, _maxima([m])[m.id])[1]
        if not scores:
            lines.append(f"| {m.id} {m.title} | {most:g} | - | - | - | - | 0 |")
            continue
        mean = sum(scores) / len(scores)
        mid = len(scores) // 2
        median = scores[mid] if len(scores) % 2 else (scores[mid - 1] + scores[mid]) / 2
        lines.append(f"| {m.id} {m.title} | {most:g} | {mean:.1f} | {median:g} | {sum(s == most for s in scores)} | "
                     f"{sum(s == 0 for s in scores)} | {len(scores)} |")
    failing = Counter()
    modules = {m.id: m.module for m in run.masters}
    for s, rs in results.items():
        for r in rs:
            if modules.get(r.exercise) in run.submissions[s].files:
                failing.update(f"{r.exercise}: {t.name}" for t in r.tests if t.status != "passed")
    if failing:
        lines += ["", "## Tests failed most often (students who handed the exercise in)", ""]
        lines += [f"- {name}: {n}" for name, n in sorted(failing.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    # instructor-only flags of a result (e.g. code copied from the engine), when the grader sets them
    flags = [f"- {student}: {r.exercise}: {flag}" for student, rs in sorted(results.items()) for r in rs
             for flag in getattr(r, "flags", ())]
    if flags:  # only here, never in a student's feedback
        lines += ["", "## Problems for the instructor", ""] + flags
    problems = run.students_with_problems
    if problems:
        lines += ["", "## Problems to look at", ""]
        lines += [f"- {s}: {' | '.join(run.problems(s))}" for s in problems]
    if run.matching and (run.matching.unmatched or run.matching.missing or run.matching.ambiguous):
        lines += ["", "## Roster", ""]
        lines += [f"- not in the roster: {u}" for u in run.matching.unmatched]
        lines += [f"- matches several students: {u}" for u in run.matching.ambiguous]
        lines += [f"- no submission: {s.id} {s.name}" for s in run.matching.missing]
    if not run.interrupted:
        lines += ["", "[Item analysis](item_analysis.html): share failing, discrimination and the most frequent "
                  "wrong answers of every test.", "", "![score distribution per exercise](summary.png)"]
    return "\n".join(lines) + "\n"


def _plot(path: Path, run: ClassRun) -> None:
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:     # the grader without the course extra: every other report still written
        path.unlink(missing_ok=True)
        return

    masters = run.masters
    n = len(masters)
    cols = min(n, 4)
    rows = (n + 3) // 4
    fig = Figure(figsize=(3 * cols, 2.6 * rows))
    # fixed margins: the constrained layout engine would add ~0.4 s to every class graded
    fig.subplots_adjust(left=0.09 if cols > 1 else 0.2, right=0.98, bottom=0.2 / rows, top=1 - 0.16 / rows,
                        wspace=0.45, hspace=0.7)
    for i, m in enumerate(masters, start=1):
        ax = fig.add_subplot(rows, cols, i)
        scores = [g.exercises[m.id][0] for s, g in sorted(run.grades.items())
                  if m.id in g.exercises and m.module in run.submissions[s].files]
        most = next((g.exercises[m.id][1] for g in run.grades.values() if m.id in g.exercises), 1) or 1
        ax.hist(scores, bins=[x - 0.5 for x in range(int(most) + 2)], color="#0072B2", alpha=0.8)
        ax.set_title(m.id, fontsize=9)
        ax.set_xlabel("score", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png")
    os.close(fd)
    fig.savefig(tmp, metadata={"Software": None})
    os.replace(tmp, path)
