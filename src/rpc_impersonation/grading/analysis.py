"""Item analysis for the instructor: per test, how many students failed it, how well it separates
strong from weak students, and the wrong answers most often given, grouped by misconception.

Students who did not hand in an exercise are left out of that exercise's figures (a missing file is
not a wrong answer). Discrimination is the corrected point-biserial correlation between passing the
test and the student's total on the other tests of the assignment, with the upper-lower index
(share passing among the top 27 % minus among the bottom 27 %) next to it.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from .runner import ExerciseResult

__all__ = ["ItemStats", "item_analysis", "html_report"]


@dataclass
class ItemStats:
    exercise: str
    test: str
    points: float
    attempted: int
    failed: int
    point_biserial: float | None
    upper_lower: float | None
    wrong: list[tuple[str, int]] = field(default_factory=list)  # (misconception or message, students)

    @property
    def failing_share(self) -> float:
        return self.failed / self.attempted if self.attempted else 0.0


def _wrong_key(t) -> str:
    for attr in ("misconception", "concept", "rule"):
        value = getattr(t, attr, "")
        if value:
            return f"{attr}: {value}"
    text = t.message or t.status
    return re.sub(r"\s+", " ", text).strip()[:200]


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy)


def _upper_lower(passed: list[float], totals: list[float]) -> float | None:
    n = len(passed)
    k = max(1, round(0.27 * n))
    if n < 4:
        return None
    order = sorted(range(n), key=lambda i: (totals[i], i))
    low, high = order[:k], order[-k:]
    return sum(passed[i] for i in high) / k - sum(passed[i] for i in low) / k


def item_analysis(results: dict[str, list[ExerciseResult]], handed_in: dict[str, set[str]]) -> list[ItemStats]:
    """One row per test of every exercise, in the exercises' order; ``handed_in`` gives the exercises
    each student handed in (the others are left out, not counted as failures)."""
    totals = {s: sum(r.score for r in rs) for s, rs in results.items()}
    order: dict[tuple[str, str], float] = {}
    for rs in results.values():
        for r in rs:
            for t in r.tests:
                order.setdefault((r.exercise, t.name), t.max_points)
    stats = []
    for (exercise, name), points in order.items():
        passed: list[float] = []
        rest: list[float] = []
        wrong: Counter[str] = Counter()
        for s, rs in sorted(results.items()):
            result = next((r for r in rs if r.exercise == exercise), None)
            if result is None or exercise not in handed_in.get(s, ()):
                continue
            test = next((t for t in result.tests if t.name == name), None)
            if test is None:
                continue
            ok = test.status == "passed"
            passed.append(1.0 if ok else 0.0)
            rest.append(totals[s] - test.points)
            if not ok:
                wrong[_wrong_key(test)] += 1
        failed = int(len(passed) - sum(passed))
        stats.append(
            ItemStats(
                exercise,
                name,
                points,
                len(passed),
                failed,
                _pearson(passed, rest),
                _upper_lower(passed, rest),
                wrong.most_common(3),
            )
        )
    return stats


def _bars(title: str, rows: list[tuple[str, float]], lo: float, hi: float, fmt: str) -> str:
    """A horizontal bar chart as inline SVG (no scripts, no external files)."""
    width, label_w, row_h = 900, 360, 18
    height = 40 + row_h * len(rows)
    scale = (width - label_w - 60) / (hi - lo)
    zero = label_w + (0 - lo) * scale
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="4" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 28 + i * row_h
        x0, x1 = sorted((zero, label_w + (value - lo) * scale))
        colour = "#D55E00" if value < 0 else "#0072B2"
        out.append(
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">{html.escape(label[:58])}</text>'
        )
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 0.5):.1f}" height="{row_h - 5}" fill="{colour}"/>'
        )
        out.append(f'<text x="{x1 + 4:.1f}" y="{y + 12}" font-size="11">{format(value, fmt)}</text>')
    out.append(f'<line x1="{zero:.1f}" y1="24" x2="{zero:.1f}" y2="{height - 8}" stroke="#444"/>')
    out.append("</svg>")
    return "\n".join(out)


def html_report(title: str, stats: list[ItemStats], students: int, histogram: dict[str, list[float]]) -> str:
    """One self-contained HTML page: tables and inline SVG charts."""

    def num(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.2f}"

    fail_rows = [(f"{s.exercise}: {s.test}", s.failing_share) for s in stats]
    disc_rows = [(f"{s.exercise}: {s.test}", s.point_biserial) for s in stats if s.point_biserial is not None]
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Item analysis: '
        f"{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:960px;margin:1em auto}}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;"
        "vertical-align:top}td.n{text-align:right}</style></head><body>",
        f"<h1>Item analysis: {html.escape(title)}</h1>",
        f"<p>{students} students. A student who did not hand in an exercise is left out of that exercise's "
        "rows. <em>Discrimination</em>: correlation between passing the test and the total on the other "
        "tests (point-biserial, corrected); <em>upper-lower</em>: share passing among the top 27% minus "
        "among the bottom 27%. Values near 0 or below mean the test does not separate strong and weak "
        "students (or everybody passed or failed it: n/a).</p>",
        _bars("Share of students failing each test", fail_rows, 0.0, 1.0, ".0%"),
    ]
    if disc_rows:
        parts.append(_bars("Discrimination (point-biserial) of each test", disc_rows, -1.0, 1.0, "+.2f"))
    parts.append(
        "<h2>Per test</h2><table><tr><th>test</th><th>points</th><th>handed in</th><th>failed</th>"
        "<th>discrimination</th><th>upper-lower</th><th>most frequent wrong answers</th></tr>"
    )
    for s in stats:
        wrong = "<br>".join(f"{n} &times; {html.escape(text)}" for text, n in s.wrong) or "&ndash;"
        parts.append(
            f"<tr><td>{html.escape(s.exercise)}: {html.escape(s.test)}</td><td class=n>{s.points:g}</td>"
            f"<td class=n>{s.attempted}</td><td class=n>{s.failed} ({s.failing_share:.0%})</td>"
            f"<td class=n>{num(s.point_biserial)}</td><td class=n>{num(s.upper_lower)}</td>"
            f"<td>{wrong}</td></tr>"
        )
    parts.append("</table><h2>Scores per exercise</h2>")
    for exercise, scores in histogram.items():
        if not scores:
            parts.append(f"<p>{html.escape(exercise)}: nobody handed it in.</p>")
            continue
        counts = Counter(scores)
        rows = [(f"{exercise} = {score:g}", float(counts[score])) for score in sorted(counts)]
        parts.append(_bars(f"{exercise}: students per score", rows, 0.0, float(max(counts.values()) or 1), ".0f"))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
