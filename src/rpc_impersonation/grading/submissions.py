"""Submission discovery: a class folder (or one student's folder) -> one resolved file per
(student, exercise), with every guess, refusal and conflict written down.

Accepted, one entry per student in the class folder:

* a folder ``alice/`` holding ``exN_topic.py`` files (any depth) or notebooks with ``# file:`` cells;
* a zip ``alice.zip`` holding the same;
* a notebook ``alice.ipynb`` whose code cells start with ``# file: exN_topic.py``;
* modules ``alice__exN_topic.py`` (student name, two underscores, module name);
* a Canvas download: ``lastname_firstname_12345_67890_ex1_level_capabilities.py`` (``_LATE_`` and
  ``-1`` copies understood), one student's several files grouped by the Canvas user id;
* a Moodle download: a folder per student ``Ada Lovelace_12345_assignsubmission_file_``.

Near-miss file names (case, `` (1)`` and ``-1`` copies, the short ``ex4.py``) are accepted with a
warning. Two different files for one exercise are a conflict the instructor resolves (see
:class:`Resolutions`); nothing is merged silently. Symbolic links, zip members with absolute
paths or ``..``, ``__MACOSX``, hidden files and ``__pycache__`` are never read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from ..errors import ImpersonationError
from .resolutions import Resolutions
from .submission_files import (
    CANVAS_NAME,
    MAX_FILE_BYTES,
    MAX_ZIP_BYTES,
    MOODLE_FOLDER,
    Candidate,
    Entry,
    Submission,
    add_file,
    add_notebook_candidates,
    ignored,
    module_for,
    notebook_modules,
    read_capped,
    read_dir,
    read_zip,
    short_hash,
    size_limit,
    stamp,
    student_key,
)

__all__ = [
    "Submission",
    "Candidate",
    "Entry",
    "Resolutions",
    "discover",
    "discover_entries",
    "resolve",
    "read_folder",
    "notebook_modules",
    "module_for",
    "student_key",
    "MAX_FILE_BYTES",
    "MAX_ZIP_BYTES",
]

# --- the class folder ----------------------------------------------------------------------------------------


def discover_entries(folder: Path, modules: list[str] | None = None) -> tuple[list[Entry], list[str]]:
    """Every top-level item of the class folder, grouped by the student its name gives; and warnings
    about items that are no submission."""
    if not folder.exists():
        raise ImpersonationError(f"submissions folder {folder} does not exist")
    if not folder.is_dir():
        raise ImpersonationError(f"submissions folder {folder} is not a folder")
    entries: dict[str, Entry] = {}
    stray: list[str] = []

    def entry(display: str, uid: str = "", item: str = "") -> Entry:
        key = f"lms:{uid}" if uid else f"item:{item}"  # grouped by student later (roster or name)
        return entries.setdefault(key, Entry(student_key(display), display, uid))

    for item in sorted(folder.iterdir()):
        if ignored(item.name):
            continue
        canvas = CANVAS_NAME.match(item.name) if not item.is_dir() else None
        moodle = MOODLE_FOLDER.match(item.name) if item.is_dir() else None
        if canvas:
            e = entry(canvas["name"], canvas["uid"])
            e.lms_late |= bool(canvas["late"])
            inner = canvas["file"]
        elif moodle:
            e = entry(moodle["name"], moodle["uid"])
            inner = None
        elif item.is_dir() or item.suffix.lower() in (".zip", ".ipynb"):
            e = entry(item.stem if not item.is_dir() else item.name, item=item.name)
            inner = None
        elif item.suffix == ".py" and "__" in item.stem:
            student, module = item.stem.split("__", 1)
            e = entry(student, item=student + "__")
            inner = f"{module}.py"
        else:
            stray.append(
                f"{item.name}: not a submission (expected a folder, a zip, a notebook, "
                f"name__exN_topic.py or an LMS download name); ignored"
            )
            continue
        e.labels.append(item.name)
        if item.is_symlink():
            e.problems.append(f"{item.name} is a symbolic link; refused (not read)")
        elif item.is_dir():
            read_dir(item, item.name, modules, e)
        elif inner is not None and not inner.endswith((".zip", ".ipynb")):
            add_file(lambda p=item: read_capped(p), inner, item.name, modules, e, stamp(item.lstat().st_mtime))
        elif item.suffix.lower() == ".zip":
            read_zip(item, item.name, modules, e)
        elif item.suffix.lower() == ".ipynb":
            try:
                data = read_capped(item, size_limit(item.name))
            except OSError as exc:
                e.problems.append(f"{item.name} could not be read ({exc.strerror})")
                continue
            if len(data) > size_limit(item.name):
                e.problems.append(f"{item.name} is larger than {size_limit(item.name) // 1024} KiB and was not read")
                continue
            add_notebook_candidates(data, item.name, modules, e, stamp(item.lstat().st_mtime))
    return _distinct_keys(list(entries.values())), stray


def _distinct_keys(entries: list[Entry]) -> list[Entry]:
    """Entries of different students never share a key: when two names (or LMS ids) sanitise alike
    ('José' and 'Jos_', two Canvas users called smith_john), each gets the key plus a short hash of
    its name or id, and a warning says so. Entries with the same name (a folder and a zip of one
    student) keep one key: resolve() then treats them as one student handing in twice."""
    by_key: dict[str, list[Entry]] = {}
    for e in entries:
        by_key.setdefault(e.key, []).append(e)
    for key, group in by_key.items():
        owners = {e.lms_id or unicodedata.normalize("NFC", e.display) for e in group}
        if len(owners) < 2:
            continue
        for e in group:
            owner = e.lms_id or unicodedata.normalize("NFC", e.display)
            e.key = f"{key}-{short_hash(owner)}"
            others = sorted(o for o in owners if o != owner)
            e.warnings.append(
                f"the name {e.display!r} gives the same results key {key!r} as {others}; "
                f"graded as {e.key!r} so no one is merged"
            )
    return entries


def resolve(student: str, entries: list[Entry], decisions: dict) -> Submission:
    """One file per exercise for one student: identical copies collapse, different ones conflict."""
    first = entries[0]
    sub = Submission(
        student,
        display=first.display,
        lms_id=first.lms_id,
        lms_late=any(e.lms_late for e in entries),
        entries=sorted(label for e in entries for label in e.labels),
    )
    for e in entries:
        sub.problems += e.problems
        sub.warnings += e.warnings
    if len(entries) > 1:
        sub.warnings.append(f"handed in more than once ({', '.join(sub.entries)}); every file was considered")
    by_module: dict[str, list[Candidate]] = {}
    for c in (c for e in entries for c in e.candidates):
        by_module.setdefault(c.module, []).append(c)
    times = []
    for module, cands in sorted(by_module.items()):
        exercise = module.split("_", 1)[0]
        texts: list[str | None] = []
        for c in cands:
            try:
                texts.append(c.text())
            except (ValueError, OSError) as exc:
                texts.append(None)
                sub.problems.append(str(exc) if isinstance(exc, ValueError) else f"{c.label}: {exc}")
        chosen = decisions.get(exercise)
        if chosen is not None:
            pick = [i for i, c in enumerate(cands) if c.label == chosen]
            if not pick:
                sub.problems.append(
                    f"{exercise}: the resolutions file names {chosen!r}, which is not one of {[c.label for c in cands]}"
                )
                continue
            i = pick[0]
        else:
            distinct = {t for t in texts if t is not None}
            if len(distinct) > 1:
                sub.problems.append(
                    f"{exercise}: conflicting files {', '.join(c.label for c in cands)}; "
                    f"none graded - name the one to grade in a resolutions file "
                    f'([students.{student}] {exercise} = "...")'
                )
                continue
            readable = next((k for k, t in enumerate(texts) if t is not None), None)
            if readable is None:
                continue
            i = readable
            if len(cands) > 1:
                sub.warnings.append(f"{exercise}: identical copies {', '.join(c.label for c in cands)}")
        text = texts[i]
        if text is None:
            continue
        sub.files[module] = text
        sub.sources[module] = cands[i].label
        if cands[i].warning:
            sub.warnings.append(cands[i].warning)
        mtime = cands[i].mtime
        if mtime:
            times.append(mtime)
    if "submitted" in decisions:
        sub.submitted, sub.submitted_from = decisions["submitted"], "resolutions"
    elif times:
        sub.submitted, sub.submitted_from = max(times), "file time"
    return sub


def discover(
    folder: Path, modules: list[str] | None = None, resolutions: Resolutions | None = None
) -> list[Submission]:
    """Every student's submission in ``folder``, keyed by the name the folder gives (no roster)."""
    resolutions = resolutions or Resolutions()
    groups: dict[str, list[Entry]] = {}
    for e in discover_entries(folder, modules)[0]:
        groups.setdefault(e.key, []).append(e)
    return [resolve(k, es, resolutions.for_student(k, es[0].display)) for k, es in sorted(groups.items())]


def read_folder(folder: Path, modules: list[str] | None = None, student: str = "submission") -> Submission:
    """One student's submission from a folder (the Gradescope layout); never raises for bad files."""
    e = Entry(student, student)
    if folder.is_dir():
        read_dir(folder, folder.name, modules, e)
    else:
        e.problems.append(f"{folder} is not a folder")
    return resolve(student, [e], {})
