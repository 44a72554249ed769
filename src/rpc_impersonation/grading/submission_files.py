"""What a student hands in, file by file: the limits, the names that count as an exercise's module,
and how one container (a folder, a zip, a notebook with ``# file:`` cells) is read into an
:class:`Entry` of candidates. The class folder as a whole is read in submissions.py.
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

__all__ = [
    "Submission",
    "Candidate",
    "Entry",
    "notebook_modules",
    "module_for",
    "student_key",
    "read_dir",
    "read_zip",
    "read_capped",
    "add_file",
    "add_notebook_candidates",
    "ignored",
    "size_limit",
    "short_hash",
    "stamp",
    "CANVAS_NAME",
    "MOODLE_FOLDER",
    "MAX_FILE_BYTES",
    "MAX_ZIP_BYTES",
]

MAX_FILE_BYTES = 512 * 1024
MAX_ZIP_BYTES = 5 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
_MODULE = re.compile(r"^(ex\d+_[a-z0-9_]+)\.py$")
CANVAS_NAME = re.compile(r"^(?P<name>[^/]+?)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<kind>[a-z]+)_?$")
_COPY = re.compile(r"(?:\s*\(\d+\)|-\d+|\s+copy(?:\s*\d+)?)$", re.IGNORECASE)


MAX_KEY_CHARS = 64


def short_hash(text: str) -> str:
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
        return f"unnamed-{short_hash(nfc)}"
    if len(clean) > MAX_KEY_CHARS:
        return f"{clean[:MAX_KEY_CHARS]}-{short_hash(nfc)}"
    return clean


def ignored(name: str) -> bool:
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
    label: str  # where it is, relative to the class folder ("ada/final/ex1_x.py")
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

    key: str  # student key taken from the name
    display: str  # the name as found, for roster matching
    lms_id: str = ""
    lms_late: bool = False
    labels: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Submission:
    student: str
    files: dict[str, str] = field(default_factory=dict)  # module name -> source
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> label of the file used
    display: str = ""
    lms_id: str = ""
    lms_late: bool = False
    entries: list[str] = field(default_factory=list)  # the class-folder items it came from
    submitted: datetime | None = None
    submitted_from: str = ""  # "resolutions", "file time" or ""
    roster: dict[str, str] = field(default_factory=dict)  # the roster row it matched

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        for p in self.problems:
            h.update(p.encode())
        return h.hexdigest()

    def manifest(self) -> dict:
        return {
            "display": self.display,
            "lms_id": self.lms_id,
            "entries": self.entries,
            "roster": self.roster,
            "files": dict(sorted(self.sources.items())),
            "sha256": {m: hashlib.sha256(t.encode()).hexdigest() for m, t in sorted(self.files.items())},
            "submitted": self.submitted.isoformat() if self.submitted else None,
            "submitted_from": self.submitted_from,
            "problems": self.problems,
            "warnings": self.warnings,
        }


# --- reading one container -----------------------------------------------------------------------------------


def size_limit(name: str) -> int:
    return MAX_FILE_BYTES * 4 if name.lower().endswith(".ipynb") else MAX_FILE_BYTES


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit + 1`` bytes of ``path`` (a sparse many-GiB file is never read whole; links refused)."""
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fh:
        return fh.read(limit + 1)


def stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc)


def notebook_modules(path: Path | None = None, data: bytes | None = None) -> dict[str, str]:
    """Modules held in a notebook's code cells that start with '# file: exN_topic.py'.

    Raises ValueError (naming what is wrong) for anything that is not a JSON notebook: bad UTF-8 or
    JSON, nesting past the parser's guard, a top level that is not an object, ``cells`` that is not
    a list of objects, a ``source`` that is neither a string nor a list of strings."""
    if data is None:
        if path is None:
            raise TypeError("notebook_modules() needs a path or the data")
        data = read_capped(path, MAX_FILE_BYTES * 4)
    try:
        nb = json.loads(data.decode("utf-8", errors="strict"))
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


def add_notebook_candidates(data: bytes, label: str, modules, entry: Entry, mtime) -> None:
    try:
        cells = notebook_modules(data=data)
    except (ValueError, RecursionError, MemoryError) as exc:  # UnicodeDecodeError is a ValueError
        entry.problems.append(f"{label} is not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})")
        return
    for name, text in cells.items():
        module, warning = module_for(name, modules)
        if module:
            entry.candidates.append(
                Candidate(module, f"{label}#{name}", text.encode, mtime, warning and f"{label}: {warning}")
            )
        elif warning:
            entry.warnings.append(f"{label}: {warning}")


def add_file(data_reader, name: str, label: str, modules, entry: Entry, mtime) -> None:
    if name.endswith(".ipynb"):
        try:
            data = data_reader()
        except OSError as exc:
            entry.problems.append(f"{label} could not be read ({exc.strerror})")
            return
        if len(data) > MAX_FILE_BYTES * 4:
            entry.problems.append(f"{label} is larger than {MAX_FILE_BYTES * 4 // 1024} KiB and was not read")
            return
        add_notebook_candidates(data, label, modules, entry, mtime)
        return
    module, warning = module_for(name, modules)
    if module:
        entry.candidates.append(Candidate(module, label, data_reader, mtime, warning))
    elif warning:
        entry.warnings.append(warning)


MAX_FOLDER_FILES = 2000


def read_dir(folder: Path, prefix: str, modules, entry: Entry) -> None:
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
        dirnames[:] = sorted(d for d in dirnames if not ignored(d) and not (here / d).is_symlink())
        for name in sorted(filenames):
            if ignored(name):
                continue
            path = here / name
            label = f"{prefix}/{(rel / name).as_posix()}".replace("/./", "/")
            if path.is_symlink():
                entry.problems.append(f"{label} is a symbolic link; refused (not read)")
                continue
            if not stat.S_ISREG(path.lstat().st_mode):
                continue
            if name.lower().endswith(".zip"):  # a Moodle student's upload is often a zip
                read_zip(path, label, modules, entry)
                continue
            add_file(
                lambda p=path, n=name: read_capped(p, size_limit(n)),
                name,
                label,
                modules,
                entry,
                stamp(path.lstat().st_mtime),
            )


def read_zip(path: Path, label: str, modules, entry: Entry) -> None:
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
                if any(ignored(p) for p in parts):
                    continue
                data = z.read(info)
                # zip times are local wall-clock times, as unzip restores them
                when = datetime(*info.date_time).astimezone() if info.date_time[0] > 1980 else None
                add_file(lambda d=data: d, parts[-1], f"{label}:{'/'.join(parts)}", modules, entry, when)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        entry.problems.append(f"{label} is not a readable zip file ({type(exc).__name__}: {str(exc)[:120]})")
