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

import hashlib
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..errors import ImpersonationError
from .resolutions import Resolutions

__all__ = ["Submission", "Candidate", "Entry", "Resolutions", "discover", "discover_entries", "resolve",
           "read_folder",
           "notebook_modules", "module_for", "student_key", "MAX_FILE_BYTES", "MAX_ZIP_BYTES"]

MAX_FILE_BYTES = 512 * 1024
MAX_ZIP_BYTES = 5 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
_MODULE = re.compile(r"^(ex\d+_[a-z0-9_]+)\.py$")
_CANVAS = re.compile(r"^(?P<name>[^/]+?)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<kind>[a-z]+)_?$")
_COPY = re.compile(r"(?:\s*\(\d+\)|-\d+|\s+copy(?:\s*\d+)?)$", re.IGNORECASE)


MAX_KEY_CHARS = 64


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:8]


def student_key(name: str) -> str:
    """A file-system-safe student name (the key of every results file).

    Letters and digits of every script are kept (NFC: a composed and a decomposed 'José' are one
    name); anything else becomes '_'. A name left empty or longer than 64 characters gets a short
    hash of the original name, so it stays distinct; :func:`discover_entries` adds the same hash
    when two different names still land on one key."""
    nfc = unicodedata.normalize("NFC", name)
    clean = re.sub(r"[^\w.-]", "_", nfc).strip("._")
    if not clean:
        return f"unnamed-{_short_hash(nfc)}"
    if len(clean) > MAX_KEY_CHARS:
        return f"{clean[:MAX_KEY_CHARS]}-{_short_hash(nfc)}"
    return clean


def _ignored(name: str) -> bool:
    return name.startswith((".", "~$")) or name in ("__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini")


def module_for(filename: str, modules: list[str] | None) -> tuple[str | None, str]:
    """The module a file name stands for and a warning when it was a near miss ('' when exact)."""
    exact = _MODULE.match(filename)
    if exact and (modules is None or exact.group(1) in modules):
        return exact.group(1), ""
    if modules is None or not filename.lower().endswith(".py"):
        return None, ""
    stem = _COPY.sub("", filename[:-3].strip()).strip().lower().replace(" ", "_").replace("-", "_")
    if stem in modules:
        return stem, f"{filename} accepted as {stem}.py (rename it next time)"
    by_id = {m.split("_", 1)[0]: m for m in modules}
    if stem in by_id:
        return by_id[stem], f"{filename} accepted as {by_id[stem]}.py (short name)"
    guess = by_id.get(stem.split("_", 1)[0])
    if guess:
        return None, f"{filename} ignored: no exercise has that name (did you mean {guess}.py?)"
    return None, ""


@dataclass
class Candidate:
    """One file that may hold a student's answer to one exercise."""

    module: str
    label: str                     # where it is, relative to the class folder ("ada/final/ex1_x.py")
    read: Callable[[], bytes] = field(repr=False, compare=False)
    mtime: datetime | None = None
    warning: str = ""

    def text(self) -> str:
        data = self.read()
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"{self.label} is larger than {MAX_FILE_BYTES // 1024} KiB and was not graded")
        return data.decode("utf-8", errors="replace")


@dataclass
class Entry:
    """What one top-level item of the class folder (or one Canvas user id) holds."""

    key: str                       # student key taken from the name
    display: str                   # the name as found, for roster matching
    lms_id: str = ""
    lms_late: bool = False
    labels: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Submission:
    student: str
    files: dict[str, str] = field(default_factory=dict)   # module name -> source
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> label of the file used
    display: str = ""
    lms_id: str = ""
    lms_late: bool = False
    entries: list[str] = field(default_factory=list)       # the class-folder items it came from
    submitted: datetime | None = None
    submitted_from: str = ""                               # "resolutions", "file time" or ""
    roster: dict[str, str] = field(default_factory=dict)   # the roster row it matched

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        for p in self.problems:
            h.update(p.encode())
        return h.hexdigest()

    def manifest(self) -> dict:
        return {"display": self.display, "lms_id": self.lms_id, "entries": self.entries,
                "roster": self.roster, "files": dict(sorted(self.sources.items())),
                "sha256": {m: hashlib.sha256(t.encode()).hexdigest() for m, t in sorted(self.files.items())},
                "submitted": self.submitted.isoformat() if self.submitted else None,
                "submitted_from": self.submitted_from, "problems": self.problems, "warnings": self.warnings}


# --- reading one container -----------------------------------------------------------------------------------

def _limit(name: str) -> int:
    return MAX_FILE_BYTES * 4 if name.lower().endswith(".ipynb") else MAX_FILE_BYTES


def _capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit + 1`` bytes of ``path`` (a sparse many-GiB file is never read whole; links refused)."""
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
        return fh.read(limit + 1)


def _stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc)


def notebook_modules(path: Path | None = None, data: bytes | None = None) -> dict[str, str]:
    """Modules held in a notebook's code cells that start with '# file: exN_topic.py'.

    Raises ValueError (naming what is wrong) for anything that is not a JSON notebook: bad UTF-8 or
    JSON, nesting past the parser's guard, a top level that is not an object, ``cells`` that is not
    a list of objects, a ``source`` that is neither a string nor a list of strings."""
    raw = data if data is not None else _capped(path, MAX_FILE_BYTES * 4)
    try:
        nb = json.loads(raw.decode("utf-8", errors="strict"))
    except RecursionError:
        raise ValueError("nested too deeply to be a notebook") from None
    if not isinstance(nb, dict):
        raise ValueError(f"the top level is a JSON {type(nb).__name__}, not a notebook object")  # noqa: TRY004
    cells = nb.get("cells", [])
    if not isinstance(cells, list):
        raise ValueError(f"'cells' is a {type(cells).__name__}, not a list of cells")  # noqa: TRY004
    found: dict[str, str] = {}
    for position, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise ValueError(f"cell {position} is a {type(cell).__name__}, not a cell object")  # noqa: TRY004
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(line, str) for line in src):
            src = "".join(src)
        elif not isinstance(src, str):
            raise ValueError(f"cell {position}'s source is neither a string nor a list of strings")
        first, _, rest = src.partition("\n")
        m = re.match(r"#\s*file:\s*(\S+)", first.strip())
        if m:
            found[m.group(1)] = rest
    return found


def _notebook_candidates(data: bytes, label: str, modules, entry: Entry, mtime) -> None:
    try:
        cells = notebook_modules(data=data)
    except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError is a ValueError
        entry.problems.append(f"{label} is not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})")
        return
    for name, text in cells.items():
        module, warning = module_for(name, modules)
        if module:
            entry.candidates.append(Candidate(module, f"{label}#{name}", lambda t=text: t.encode(), mtime,
                                              warning and f"{label}: {warning}"))
        elif warning:
            entry.warnings.append(f"{label}: {warning}")


def _file(data_reader, name: str, label: str, modules, entry: Entry, mtime) -> None:
    if name.endswith(".ipynb"):
        try:
            data = data_reader()
        except OSError as exc:
            entry.problems.append(f"{label} could not be read ({exc.strerror})")
            return
        if len(data) > MAX_FILE_BYTES * 4:
            entry.problems.append(f"{label} is larger than {MAX_FILE_BYTES * 4 // 1024} KiB and was not read")
            return
        _notebook_candidates(data, label, modules, entry, mtime)
        return
    module, warning = module_for(name, modules)
    if module:
        entry.candidates.append(Candidate(module, label, data_reader, mtime, warning))
    elif warning:
        entry.warnings.append(warning)


MAX_FOLDER_FILES = 2000


def _read_dir(folder: Path, prefix: str, modules, entry: Entry) -> None:
    seen = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        seen += len(filenames)
        if seen > MAX_FOLDER_FILES:
            entry.problems.append(f"{prefix} holds more than {MAX_FOLDER_FILES} files; the rest was not read")
            return
        here = Path(dirpath)
        rel = here.relative_to(folder)
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                entry.problems.append(f"{prefix}/{rel / d} is a symbolic link; refused (not read)")
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d) and not (here / d).is_symlink())
        for name in sorted(filenames):
            if _ignored(name):
                continue
            path = here / name
            label = f"{prefix}/{(rel / name).as_posix()}".replace("/./", "/")
            if path.is_symlink():
                entry.problems.append(f"{label} is a symbolic link; refused (not read)")
                continue
            if not stat.S_ISREG(path.lstat().st_mode):
                continue
            if name.lower().endswith(".zip"):   # a Moodle student's upload is often a zip
                _read_zip(path, label, modules, entry)
                continue
            _file(lambda p=path, n=name: _capped(p, _limit(n)), name, label, modules, entry,
                  _stamp(path.lstat().st_mtime))


def _read_zip(path: Path, label: str, modules, entry: Entry) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                entry.problems.append(f"{label} holds more than {MAX_ZIP_MEMBERS} files and was not read")
                return
            if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
                entry.problems.append(f"{label} unpacks to more than {MAX_ZIP_BYTES // 2**20} MiB and was not read")
                return
            for info in infos:
                name = info.filename
                parts = PurePosixPath(name.replace("\\", "/")).parts
                if info.is_dir():
                    continue
                if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
                    entry.problems.append(f"{label}: member {name!r} has an absolute path or '..'; refused (not read)")
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    entry.problems.append(f"{label}: member {name!r} is a symbolic link; refused (not read)")
                    continue
                if any(_ignored(p) for p in parts):
                    continue
                data = z.read(info)
                # zip times are local wall-clock times, as unzip restores them
                when = datetime(*info.date_time).astimezone() if info.date_time[0] > 1980 else None
                _file(lambda d=data: d, parts[-1], f"{label}:{'/'.join(parts)}", modules, entry, when)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        entry.problems.append(f"{label} is not a readable zip file ({type(exc).__name__}: {str(exc)[:120]})")


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
        key = f"lms:{uid}" if uid else f"item:{item}"    # grouped by student later (roster or name)
        return entries.setdefault(key, Entry(student_key(display), display, uid))

    for item in sorted(folder.iterdir()):
        if _ignored(item.name):
            continue
        canvas = _CANVAS.match(item.name) if not item.is_dir() else None
        moodle = _MOODLE.match(item.name) if item.is_dir() else None
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
            stray.append(f"{item.name}: not a submission (expected a folder, a zip, a notebook, "
                              f"name__exN_topic.py or an LMS download name); ignored")
            continue
        e.labels.append(item.name)
        if item.is_symlink():
            e.problems.append(f"{item.name} is a symbolic link; refused (not read)")
        elif item.is_dir():
            _read_dir(item, item.name, modules, e)
        elif inner is not None and not inner.endswith((".zip", ".ipynb")):
            _file(lambda p=item: _capped(p), inner, item.name, modules, e, _stamp(item.lstat().st_mtime))
        elif item.suffix.lower() == ".zip":
            _read_zip(item, item.name, modules, e)
        elif item.suffix.lower() == ".ipynb":
            try:
                data = _capped(item, _limit(item.name))
            except OSError as exc:
                e.problems.append(f"{item.name} could not be read ({exc.strerror})")
                continue
            if len(data) > _limit(item.name):
                e.problems.append(f"{item.name} is larger than {_limit(item.name) // 1024} KiB and was not read")
                continue
            _notebook_candidates(data, item.name, modules, e, _stamp(item.lstat().st_mtime))
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
            e.key = f"{key}-{_short_hash(owner)}"
            others = sorted(o for o in owners if o != owner)
            e.warnings.append(f"the name {e.display!r} gives the same results key {key!r} as {others}; "
                              f"graded as {e.key!r} so no one is merged")
    return entries


def resolve(student: str, entries: list[Entry], decisions: dict) -> Submission:
    """One file per exercise for one student: identical copies collapse, different ones conflict."""
    first = entries[0]
    sub = Submission(student, display=first.display, lms_id=first.lms_id,
                     lms_late=any(e.lms_late for e in entries),
                     entries=sorted(label for e in entries for label in e.labels))
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
        texts = []
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
                sub.problems.append(f"{exercise}: the resolutions file names {chosen!r}, which is not one of "
                                    f"{[c.label for c in cands]}")
                continue
            i = pick[0]
        else:
            distinct = {t for t in texts if t is not None}
            if len(distinct) > 1:
                sub.problems.append(f"{exercise}: conflicting files {', '.join(c.label for c in cands)}; "
                                    f"none graded - name the one to grade in a resolutions file "
                                    f"([students.{student}] {exercise} = \"...\")")
                continue
            i = next((k for k, t in enumerate(texts) if t is not None), None)
            if i is None:
                continue
            if len(cands) > 1:
                sub.warnings.append(f"{exercise}: identical copies {', '.join(c.label for c in cands)}")
        if texts[i] is None:
            continue
        sub.files[module] = texts[i]
        sub.sources[module] = cands[i].label
        if cands[i].warning:
            sub.warnings.append(cands[i].warning)
        if cands[i].mtime:
            times.append(cands[i].mtime)
    if "submitted" in decisions:
        sub.submitted, sub.submitted_from = decisions["submitted"], "resolutions"
    elif times:
        sub.submitted, sub.submitted_from = max(times), "file time"
    return sub


def discover(folder: Path, modules: list[str] | None = None, resolutions: Resolutions | None = None
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
        _read_dir(folder, folder.name, modules, e)
    else:
        e.problems.append(f"{folder} is not a folder")
    return resolve(student, [e], {})
