"""The class roster (CSV: id, name, email; optional lms_id, section, login) matched to the
submissions found, and the gradebook exports an LMS imports (Canvas, Moodle, plain CSV)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImpersonationError
from .submissions import Entry, student_key

__all__ = ["Roster", "Student", "match", "canvas_csv", "moodle_csv", "plain_csv"]

_REQUIRED = ("id", "name", "email")
_OPTIONAL = ("lms_id", "section", "login")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str
    lms_id: str = ""
    section: str = ""
    login: str = ""

    @property
    def key(self) -> str:
        return student_key(self.id)

    def names(self) -> set[str]:
        """Every form an LMS or a student may give this student's name in."""
        words = [w for w in re.split(r"[\s,]+", self.name) if w]
        forms = {self.id, self.email, self.email.split("@")[0], self.lms_id, self.login, self.name}
        if len(words) >= 2:
            first, last = words[0], words[-1]
            forms |= {f"{last} {first}", f"{first} {last}", f"{last} {' '.join(words[:-1])}"}
        return {_norm(f) for f in forms if f and _norm(f)}


class Roster:
    def __init__(self, students: list[Student], path: str = "") -> None:
        self.students, self.path = students, path

    @classmethod
    def load(cls, path: str | Path) -> Roster:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ImpersonationError(f"roster {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise ImpersonationError(f"roster {path}: not UTF-8 text (save it as CSV UTF-8)") from None
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise ImpersonationError(
                f"roster {path}: line 1: missing column(s) {missing}; expected {list(_REQUIRED)} "
                f"(optional: {list(_OPTIONAL)}), found {header}"
            )
        students: list[Student] = []
        seen: dict[str, int] = {}  # student key -> the line that has it
        for n, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
            if not any(row.values()):
                continue
            for c in _REQUIRED:
                if not row.get(c):
                    raise ImpersonationError(f"roster {path}: line {n}: column {c!r} is empty")
            if "@" not in row["email"]:
                raise ImpersonationError(f"roster {path}: line {n}: email {row['email']!r} is not an email address")
            key = student_key(row["id"])
            if key in seen:
                raise ImpersonationError(
                    f"roster {path}: line {n}: id {row['id']!r} is already used on line {seen[key]}"
                )
            seen[key] = n
            students.append(Student(**{c: row.get(c, "") for c in (*_REQUIRED, *_OPTIONAL)}))
        if not students:
            raise ImpersonationError(f"roster {path}: no students")
        return cls(students, str(path))


@dataclass
class Matching:
    groups: dict[str, list[Entry]]  # student key -> the entries that are theirs
    rows: dict[str, Student]  # student key -> roster row (empty without a roster)
    unmatched: list[str]  # entry labels that matched nobody
    ambiguous: list[str]  # entry labels that matched several students
    missing: list[Student]  # roster students with no submission


def match(entries: list[Entry], roster: Roster | None) -> Matching:
    """Group the class folder's entries by student (the roster's id when there is a roster)."""
    if roster is None:
        groups: dict[str, list[Entry]] = {}
        for e in entries:
            groups.setdefault(e.key, []).append(e)
        return Matching(groups, {}, [], [], [])
    index: dict[str, set[str]] = {}
    rows = {s.key: s for s in roster.students}
    for s in roster.students:
        for form in s.names():
            index.setdefault(form, set()).add(s.key)
    groups, unmatched, ambiguous = {}, [], []
    for e in entries:
        hits: set[str] = set()
        for form in (e.lms_id, e.display, e.key):
            if form and _norm(form) in index:
                hits = index[_norm(form)]
                break
        label = ", ".join(e.labels) or e.display
        if len(hits) == 1:
            groups.setdefault(next(iter(hits)), []).append(e)
        elif hits:
            ambiguous.append(f"{label} (could be {', '.join(sorted(hits))})")
        else:
            unmatched.append(label)
    missing = [s for s in roster.students if s.key not in groups]
    return Matching(groups, {k: rows[k] for k in groups}, unmatched, ambiguous, missing)


def _csv(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def canvas_csv(title: str, canvas_id: str, max_points: float, grades: list[tuple[Student, float]]) -> str:
    """Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then 'Title (id)'."""
    column = f"{title} ({canvas_id})" if canvas_id else title
    rows = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
        ["    Points Possible", "", "", "", "", f"{max_points:g}"],
    ]
    for s, total in grades:
        words = s.name.split()
        sortable = f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else s.name
        rows.append([sortable, s.lms_id, s.id, s.login or s.email, s.section, f"{total:g}"])
    return _csv(rows)


def moodle_csv(title: str, grades: list[tuple[Student, float, str]]) -> str:
    """Moodle 'Import grades: CSV file': map 'Email address' to useremail (or 'ID number' to useridnumber)."""
    rows = [["ID number", "Email address", "Full name", title, "Feedback comments"]]
    rows += [[s.id, s.email, s.name, f"{total:g}", note] for s, total, note in grades]
    return _csv(rows)


def plain_csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
