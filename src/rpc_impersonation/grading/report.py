"""Turning exercise results into text, Markdown and Gradescope's results.json."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from .runner import ExerciseResult, TestResult, cap

__all__ = ["text_report", "markdown_feedback", "gradescope_results", "shown_message", "instructor_flags"]


def shown_message(t: TestResult) -> str:
    """What a student may read about a test. A case's message is already written for its disclosure (a hidden
    test's names the concept, rule and section, never the expected value); any other hidden test's message
    can quote its inputs and expected values, so only the concept it checks (or its status) is shown.
    Every message is capped."""
    if t.hidden and t.status != "passed":
        if t.status == "not implemented" or t.rule or t.misconception:
            return cap(t.message, 1000)
        return cap(
            f"hidden test: {t.concept}"
            if t.concept
            else "a hidden test failed; its inputs are not shown (see the visible tests and the rules they cite)",
            300,
        )
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
            shown = shown_message(t)
            if shown:
                lines.extend(
                    textwrap.wrap(
                        shown,
                        104,
                        initial_indent=" " * 8,
                        subsequent_indent=" " * 8,
                        break_long_words=False,
                        break_on_hyphens=False,
                    )
                )
            if t.status == "failed" and (t.misconception or t.rule or t.section):
                lines.append(
                    f"        -> misconception: {t.misconception or '-'}; rule: {t.rule or '-'}; "
                    f"section: {t.section or '-'}"
                )
        if r.output.strip():
            lines.append("  your code printed:")
            lines.extend("    " + line for line in r.output.strip().splitlines()[:20])
    return "\n".join(lines)


def markdown_feedback(student: str, results: list[ExerciseResult], notes: Sequence[str] = ()) -> str:
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
            hidden = (
                " (hidden test)"
                if t.hidden
                else " (practice: its answer is in your bundle, not graded)"
                if t.max_points == 0
                else ""
            )
            lines.append(f"- **{_MARK[t.status]}** {t.name}{hidden}: {t.points:g}/{t.max_points:g}")
            if shown_message(t):
                lines.append(f"  - {shown_message(t)}")
            if t.section and t.status == "failed":
                lines.append(f"  - where it is taught: [{t.section}]({t.section})")
    return "\n".join(lines) + "\n"


def instructor_flags(results: list[ExerciseResult]) -> list[str]:
    """Problems only the instructor sees (for example code copied from the engine), one line each."""
    return [f"{r.exercise}: {flag}" for r in results for flag in r.flags]


def gradescope_results(results: list[ExerciseResult]) -> dict[str, Any]:
    tests = []
    for r in results:
        for t in r.tests:
            entry = {
                "name": f"{r.exercise}: {t.name}",
                "score": t.points,
                "max_score": t.max_points,
                "output": shown_message(t) or ("passed" if t.status == "passed" else t.status),
                "visibility": "after_published" if t.hidden else "visible",
            }
            if t.rule or t.misconception or t.section:
                entry["tags"] = [x for x in (t.rule, t.misconception, t.section) if x]
            tests.append(entry)
    problems = [f"{r.exercise}: {cap(r.problem)}" for r in results if r.problem]
    return {
        "score": round(sum(r.score for r in results), 2),
        "output": "\n".join(problems),
        "stdout_visibility": "hidden",
        "tests": tests,
    }
