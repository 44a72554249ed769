"""The instructor's resolutions file: which file wins a conflict, submission times, extensions.

Read by :func:`rpc_impersonation.grading.submissions.discover` and the class run; kept apart from the
discovery of files because it is the instructor's input, checked field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import ImpersonationError
from .assignment import read_toml

__all__ = ["Resolutions"]


@dataclass
class Resolutions:
    """The instructor's decisions, from a TOML file::

    [students.ada]
    ex1 = "ada/final/ex1_level_capabilities.py"    # the file that wins a conflict
    submitted = 2026-03-02T10:15:00+01:00          # the submission time (late policy)
    due = 2026-03-04T23:59:00+01:00                # an extension for this student
    """

    students: dict[str, dict] = field(default_factory=dict)
    path: str = ""

    @classmethod
    def load(cls, path: str | Path | None) -> Resolutions:
        if path is None:
            return cls()
        path = Path(path)
        doc = read_toml(path, f"resolutions file {path}")
        students = doc.get("students", {})
        unknown = set(doc) - {"students"}
        if unknown or not isinstance(students, dict):
            raise ImpersonationError(
                f"resolutions file {path}: only [students.NAME] tables are allowed, "
                f"found {sorted(unknown) or type(students).__name__}"
            )
        for name, table in students.items():
            if not isinstance(table, dict):
                raise ImpersonationError(f"resolutions file {path}: students.{name} must be a table")
            for k, v in table.items():
                if k in ("submitted", "due"):
                    if not isinstance(v, datetime) or v.tzinfo is None:
                        raise ImpersonationError(
                            f"resolutions file {path}: students.{name}.{k} = {v!r}: expected "
                            f"a date and time with a time zone, e.g. 2026-03-02T10:15:00+01:00"
                        )
                elif not re.fullmatch(r"ex\d+", k) or not isinstance(v, str):
                    raise ImpersonationError(
                        f"resolutions file {path}: students.{name}.{k} = {v!r}: expected exN = "
                        f'"the file\'s label as the manifest shows it", submitted or due'
                    )
        return cls(students, str(path))

    def for_student(self, *names: str) -> dict:
        for n in names:
            if n and n in self.students:
                return self.students[n]
        return {}
