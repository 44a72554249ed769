"""Assignment files: which exercises a graded piece of work holds, their points, the due date and
the late policy (TOML, one assignment per file; see docs/grading.md and assignments/*.toml)::

    id = "hw1"
    title = "Homework 1: levels and QOS"
    exercises = ["ex1", "ex3"]
    due = 2026-03-06T23:59:00+01:00      # date, time and time zone
    canvas_id = "12345"                  # optional: the Canvas assignment id, for the export

    [points]                             # optional: points per exercise (default: the master's)
    ex1 = 10

    [late]                               # optional
    grace_minutes = 15                   # no penalty within this
    penalty_per_day = 10                 # percent of the points earned, per started day late
    cutoff_days = 5                      # later than this: 0 points
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import ImpersonationError
from .masters import Master

__all__ = ["Assignment", "LatePolicy", "Lateness", "read_toml"]

_TOP = {"id", "title", "exercises", "due", "canvas_id", "points", "late"}
_LATE = {"grace_minutes", "penalty_per_day", "cutoff_days"}


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 0
    penalty_per_day: float = 0  # percent of the points earned
    cutoff_days: float | None = None  # later than due + grace + this many days: 0 points


@dataclass(frozen=True)
class Lateness:
    days: int = 0  # started days late (after the grace period)
    penalty: float = 0  # points taken off
    refused: bool = False  # past the cutoff
    note: str = ""


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    exercises: tuple[str, ...]
    due: datetime | None = None
    points: dict[str, float] = field(default_factory=dict)
    late: LatePolicy = LatePolicy()
    canvas_id: str = ""
    path: str = ""

    @classmethod
    def everything(cls, masters: list[Master]) -> Assignment:
        return cls("all", "All exercises", tuple(m.id for m in masters))

    @classmethod
    def of_exercises(cls, names: list[str], masters: list[Master]) -> Assignment:
        known = [m.id for m in masters]
        for n in names:
            if n not in known:
                raise ImpersonationError(f"--exercises: unknown exercise {n!r}; expected some of {', '.join(known)}")
        return cls("-".join(names), "Selected exercises", tuple(names))

    @classmethod
    def load(cls, path: str | Path, masters: list[Master]) -> Assignment:
        path = Path(path)
        where = f"assignment file {path}"
        doc = read_toml(path, where)
        unknown = set(doc) - _TOP
        if unknown:
            raise ImpersonationError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP)}")
        aid = doc.get("id", path.stem)
        if not isinstance(aid, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", aid):
            raise ImpersonationError(f"{where}: id = {aid!r}: expected letters, digits, '.', '_' or '-'")
        known = {m.id: m for m in masters}
        exercises = doc.get("exercises")
        if not isinstance(exercises, list) or not exercises or not all(isinstance(e, str) for e in exercises):
            raise ImpersonationError(
                f'{where}: exercises = {exercises!r}: expected a non-empty list such as ["ex1", "ex3"]'
            )
        for e in exercises:
            if e not in known:
                raise ImpersonationError(
                    f"{where}: exercises: unknown exercise {e!r}; expected some of {', '.join(known)}"
                )
        if len(set(exercises)) != len(exercises):
            raise ImpersonationError(f"{where}: exercises lists an exercise twice: {exercises}")
        due = doc.get("due")
        if due is not None and (not isinstance(due, datetime) or due.tzinfo is None):
            raise ImpersonationError(
                f"{where}: due = {due!r}: expected a date and time with a time zone, e.g. 2026-03-06T23:59:00+01:00"
            )
        points = doc.get("points", {})
        if not isinstance(points, dict):
            raise ImpersonationError(f"{where}: points must be a table such as [points] ex1 = 10")
        for k, v in points.items():
            if k not in exercises:
                raise ImpersonationError(f"{where}: points.{k}: not one of this assignment's exercises {exercises}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ImpersonationError(f"{where}: points.{k} = {v!r}: expected a positive number")
        late = doc.get("late", {})
        if not isinstance(late, dict) or set(late) - _LATE:
            raise ImpersonationError(
                f"{where}: late: unknown key(s) {sorted(set(late) - _LATE) if isinstance(late, dict) else late!r}; "
                f"allowed: {sorted(_LATE)}"
            )
        for k, v in late.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (k == "penalty_per_day" and v > 100):
                raise ImpersonationError(
                    f"{where}: late.{k} = {v!r}: expected a number >= 0"
                    + (" and <= 100 (percent)" if k == "penalty_per_day" else "")
                )
        if late and due is None:
            raise ImpersonationError(f"{where}: a [late] policy needs a due date")
        canvas_id = str(doc.get("canvas_id", ""))
        title = doc.get("title", aid)
        if not isinstance(title, str):
            raise ImpersonationError(f"{where}: title = {title!r}: expected text")
        return cls(
            aid,
            title,
            tuple(exercises),
            due,
            {k: float(v) for k, v in points.items()},
            LatePolicy(**{k: float(v) for k, v in late.items()}),
            canvas_id,
            str(path),
        )

    def select(self, masters: list[Master]) -> list[Master]:
        by_id = {m.id: m for m in masters}
        return [by_id[e] for e in self.exercises]

    def scale(self, exercise: str, score: float, max_score: float) -> tuple[float, float]:
        """(score, max) in this assignment's points."""
        if exercise not in self.points or not max_score:
            return score, max_score
        worth = self.points[exercise]
        return round(score * worth / max_score, 2), worth

    def lateness(self, total: float, submitted: datetime | None, due: datetime | None = None) -> Lateness:
        due = due or self.due
        if due is None:
            return Lateness()
        if submitted is None:
            return Lateness(note="submission time unknown: no late penalty applied (give it in a resolutions file)")
        over = submitted - due - timedelta(minutes=self.late.grace_minutes)
        if over <= timedelta(0):
            return Lateness()
        days = math.ceil(over / timedelta(days=1))
        if self.late.cutoff_days is not None and over > timedelta(days=self.late.cutoff_days):
            return Lateness(
                days,
                total,
                True,
                f"submitted {days} day(s) late, after the cutoff of {self.late.cutoff_days:g} day(s): 0 points",
            )
        penalty = round(total * min(100.0, days * self.late.penalty_per_day) / 100, 2)
        return Lateness(
            days,
            penalty,
            False,
            f"submitted {days} day(s) late: -{penalty:g} points ({self.late.penalty_per_day:g}% per day)",
        )


def read_toml(path: Path, where: str) -> dict:
    """The TOML document at ``path``; an unreadable or invalid file is an error naming ``where``."""
    # the version checked here, not at import: the Gradescope image may run a Python without tomllib
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ImpersonationError(f"{where}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ImpersonationError(f"{where}: not valid TOML ({exc})") from None
    raise ImpersonationError(f"{where}: reading TOML needs Python 3.11 or later (tomllib)")
