"""What a class run holds: the submissions, their results and grades (see classroom.py), and the one
way the run writes a file (atomically: a reader sees the old file or the new one)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .assignment import Assignment, Lateness
from .masters import Master
from .roster import Matching
from .runner import ExerciseResult
from .submissions import Submission

__all__ = ["atomic_write", "StudentGrade", "ClassRun", "exercise_maxima"]


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

    exercises: dict[str, tuple[float, float]]  # exercise -> (score, max) in the assignment's points
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
    graded: list[str] = field(default_factory=list)  # graded in this run
    reused: list[str] = field(default_factory=list)  # unchanged since the last run
    removed: list[str] = field(default_factory=list)  # results moved to removed/
    interrupted: bool = False
    isolation: str = ""  # how student code ran

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


def exercise_maxima(masters: list[Master]) -> dict[str, float]:
    """Each master's maximum (collecting its tests, and reading its title and allowed modules, once)."""
    for m in masters:
        m.title, m.allow  # noqa: B018 - computed here, before grading threads read them
    return {m.id: round(sum(t.points for t in m.tests()), 2) for m in masters}
