"""The reports of a class run: feedback per student, Gradescope results, the gradebook, the summary
(text and plot), the item analysis and the LMS exports. Read from the :class:`ClassRun` alone."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from .analysis import html_report, item_analysis
from .class_run import ClassRun, atomic_write, exercise_maxima
from .report import gradescope_results, markdown_feedback
from .roster import Student, canvas_csv, moodle_csv, plain_csv

__all__ = ["write_reports"]


def _student_notes(run: ClassRun, student: str) -> list[str]:
    sub, grade = run.submissions[student], run.grades[student]
    notes = [f"problem: {p}" for p in sub.problems] + [f"note: {w}" for w in sub.warnings]
    if grade.lateness.note:
        notes.append(grade.lateness.note)
    tests_total = sum(r.score for r in run.results[student])
    tests_max = sum(r.max_score for r in run.results[student])
    if (grade.total, grade.max) != (round(tests_total, 2), round(tests_max, 2)):
        notes.append(
            f"your grade for {run.assignment.title}: {grade.total:g} / {grade.max:g} "
            f"(the tests' {tests_total:g} / {tests_max:g} in the assignment's points, after any late penalty)"
        )
    return notes


def write_reports(out: Path, run: ClassRun) -> None:
    a, masters = run.assignment, run.masters
    for s in sorted(run.results):
        atomic_write(out / "feedback" / f"{s}.md", markdown_feedback(s, run.results[s], _student_notes(run, s)))
        atomic_write(
            out / "gradescope" / s / "results.json",
            json.dumps(gradescope_results(run.results[s]), indent=1, sort_keys=True),
        )
    rows = []
    for s in sorted(run.submissions):
        sub, grade = run.submissions[s], run.grades.get(s)
        row: dict[str, str | int] = {
            "student": s,
            "id": sub.roster.get("id", ""),
            "name": sub.roster.get("name", sub.display),
            "email": sub.roster.get("email", ""),
        }
        for m in masters:
            row[m.id] = f"{grade.exercises[m.id][0]:g}" if grade and m.id in grade.exercises else ""
        row.update(
            {
                "late_days": grade.lateness.days if grade else "",
                "late_penalty": f"{grade.lateness.penalty:g}" if grade else "",
                "total": f"{grade.total:g}" if grade else "",
                "max": f"{grade.max:g}" if grade else "",
                "submitted": sub.submitted.isoformat() if sub.submitted else "",
                "problems": " | ".join(run.problems(s)),
                "warnings": len(sub.warnings),
            }
        )
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
    histogram = {
        m.id: [run.grades[s].exercises[m.id][0] for s in sorted(run.grades) if m.id in handed[s]] for m in masters
    }
    atomic_write(out / "item_analysis.html", html_report(a.title, stats, len(run.results), histogram))
    _plot(out / "summary.png", run)


def _write_exports(out: Path, run: ClassRun) -> None:
    a, m = run.assignment, run.matching
    entries: list[tuple[Student, float, str]] = []
    if m is None or not (m.rows or m.missing):  # no roster: nothing an LMS could match
        for stale in ("canvas.csv", "moodle.csv"):
            (out / "export" / stale).unlink(missing_ok=True)
    else:
        for student, row in sorted(m.rows.items()):
            if not row.lms_id and run.submissions[student].lms_id:  # the Canvas user id from the file names
                row = dataclasses.replace(row, lms_id=run.submissions[student].lms_id)
            if student in run.grades:
                g = run.grades[student]
                entries.append((row, g.total, g.lateness.note))
        entries += [(row, 0.0, "no submission") for row in m.missing]
        entries.sort(key=lambda e: e[0].id)
        most = sum(a.scale(x.id, 0, sum(t.points for t in x.tests()))[1] for x in run.masters)
        atomic_write(
            out / "export" / "canvas.csv", canvas_csv(a.title, a.canvas_id, most, [(s, t) for s, t, _ in entries])
        )
        atomic_write(out / "export" / "moodle.csv", moodle_csv(a.title, entries))
    plain = [
        {
            "student": s,
            "id": run.submissions[s].roster.get("id", ""),
            "email": run.submissions[s].roster.get("email", ""),
            "total": f"{g.total:g}",
            "max": f"{g.max:g}",
            "status": "graded",
        }
        for s, g in sorted(run.grades.items())
    ]
    if m:
        plain += [
            {"student": r.key, "id": r.id, "email": r.email, "total": "0", "max": "", "status": "no submission"}
            for r in m.missing
        ]
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
        most = run.assignment.scale(m.id, 0, exercise_maxima([m])[m.id])[1]
        if not scores:
            lines.append(f"| {m.id} {m.title} | {most:g} | - | - | - | - | 0 |")
            continue
        mean = sum(scores) / len(scores)
        mid = len(scores) // 2
        median = scores[mid] if len(scores) % 2 else (scores[mid - 1] + scores[mid]) / 2
        lines.append(
            f"| {m.id} {m.title} | {most:g} | {mean:.1f} | {median:g} | {sum(s == most for s in scores)} | "
            f"{sum(s == 0 for s in scores)} | {len(scores)} |"
        )
    failing: Counter[str] = Counter()
    modules = {m.id: m.module for m in run.masters}
    for s, rs in results.items():
        for r in rs:
            if modules.get(r.exercise) in run.submissions[s].files:
                failing.update(f"{r.exercise}: {t.name}" for t in r.tests if t.status != "passed")
    if failing:
        lines += ["", "## Tests failed most often (students who handed the exercise in)", ""]
        lines += [f"- {name}: {n}" for name, n in sorted(failing.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    # instructor-only flags of a result (e.g. code copied from the engine), when the grader sets them
    flags = [
        f"- {student}: {r.exercise}: {flag}"
        for student, rs in sorted(results.items())
        for r in rs
        for flag in getattr(r, "flags", ())
    ]
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
        lines += [
            "",
            "[Item analysis](item_analysis.html): share failing, discrimination and the most frequent "
            "wrong answers of every test.",
            "",
            "![score distribution per exercise](summary.png)",
        ]
    return "\n".join(lines) + "\n"


def _plot(path: Path, run: ClassRun) -> None:
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:  # the grader without the course extra: every other report still written
        path.unlink(missing_ok=True)
        return

    masters = run.masters
    n = len(masters)
    cols = min(n, 4)
    rows = (n + 3) // 4
    fig = Figure(figsize=(3 * cols, 2.6 * rows))
    # fixed margins: the constrained layout engine would add ~0.4 s to every class graded
    fig.subplots_adjust(
        left=0.09 if cols > 1 else 0.2, right=0.98, bottom=0.2 / rows, top=1 - 0.16 / rows, wspace=0.45, hspace=0.7
    )
    for i, m in enumerate(masters, start=1):
        ax = fig.add_subplot(rows, cols, i)
        scores = [
            g.exercises[m.id][0]
            for s, g in sorted(run.grades.items())
            if m.id in g.exercises and m.module in run.submissions[s].files
        ]
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
