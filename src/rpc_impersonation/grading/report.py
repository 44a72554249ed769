"""Turning exercise results into text, Markdown and Gradescope's results.json."""

from __future__ import annotations

from typing import Any

from .runner import ExerciseResult, TestResult, cap

__all__ = ["text_report", "markdown_feedback", "gradescope_results", "shown_message"]


def shown_message(t: TestResult) -> str:
    """What a student may read about a test: a hidden test's message can quote its inputs and expected
    values, so only the concept it checks (or its status) is shown; every message is capped."""
    if t.hidden and t.status != "passed":
        if t.status == "not implemented":
            return cap(t.message, 300)
        return cap(f"hidden test: {t.concept}" if t.concept else
                   "a hidden test failed; its inputs are not shown (see the visible tests and the rules they cite)", 300)
    return cap(t.message)

_MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "not implemented": "TODO"}


def text_report(results: list[ExerciseResult], visible_only: bool) -> str:
    lines = []
    for r in results:
        scope = "visible tests" if visible_only else "all tests"
        lines.append(f"{r.title}: {r.score:g}/{r.max_score:g} points ({scope})")
        if r.problem:
            lines.append(f"  problem: {r.problem}")
        for t in r.tests:
            lines.append(f"  {_MARK[t.status]:5} {t.name} ({t.points:g}/{t.max_points:g})")
            if shown_message(t):
                lines.append(f"        {shown_message(t)}")
        if r.output.strip():
            lines.append("  your code printed:")
            lines.extend("    " + line for line in r.output.strip().splitlines()[:20])
    return "\n".join(lines)


def markdown_feedback(student: str, results: list[ExerciseResult], notes: list[str] = ()) -> str:
    """The student's feedback; ``notes`` are what the grader noticed about the submission itself."""
    total = sum(r.score for r in results)
    most = sum(r.max_score for r in results)
    lines = [f"# Feedback for {student}", "", f"**Total: {total:g} / {most:g}**", ""]
    if notes:
        lines += ["## About your submission", "", *(f"- {n}" for n in notes), ""]
    lines += ["| exercise | score |", "|---|---|"]
    lines += [f"| {r.exercise} {r.title} | {r.score:g} / {r.max_score:g} |" for r in results]
    for r in results:
        lines += ["", f"## {r.exercise}: {r.title}", ""]
        if r.problem:
            lines += [f"> {r.problem}", ""]
        for t in r.tests:
            hidden = " (hidden test)" if t.hidden else ""
            lines.append(f"- **{_MARK[t.status]}** {t.name}{hidden}: {t.points:g}/{t.max_points:g}")
            if shown_message(t):
                lines.append(f"  - {shown_message(t)}")
    return "\n".join(lines) + "\n"


def gradescope_results(results: list[ExerciseResult]) -> dict[str, Any]:
    tests = []
    for r in results:
        for t in r.tests:
            tests.append({"name": f"{r.exercise}: {t.name}", "score": t.points, "max_score": t.max_points,
                          "output": shown_message(t) or ("passed" if t.status == "passed" else t.status),
                          "visibility": "after_published" if t.hidden else "visible"})
    problems = [f"{r.exercise}: {cap(r.problem)}" for r in results if r.problem]
    return {"score": round(sum(r.score for r in results), 2), "output": "\n".join(problems),
            "stdout_visibility": "hidden", "tests": tests}
