"""Grade a whole class: a folder of submissions -> a results folder.

Submissions (one entry per student, the entry's name is the student's name):

* a folder ``alice/`` holding ``exN_topic.py`` files (at any depth);
* a zip ``alice.zip`` holding the same;
* a notebook ``alice.ipynb`` whose code cells start with ``# file: exN_topic.py``;
* modules ``alice__exN_topic.py`` (student name, two underscores, module name).

Results: ``students/<name>.json`` (written as soon as a student is graded, atomically),
``feedback/<name>.md``, ``gradescope/<name>/results.json``, ``gradebook.csv``, ``summary.md`` and
``summary.png``. A re-run skips students whose files have not changed (unless ``force``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import zipfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImpersonationError
from .masters import Master, load_masters
from .report import gradescope_results, markdown_feedback
from .runner import GRADER_VERSION, Budget, ExerciseResult, TestResult, grade_submission
from .sandbox import Isolation, choose_isolation

__all__ = ["Submission", "discover", "grade_class", "atomic_write", "notebook_modules", "write_reports"]

_MODULE = re.compile(r"^(ex\d+_[a-z0-9_]+)\.py$")
_MAX_ZIP_BYTES = 5 * 1024 * 1024
_MAX_FILE_BYTES = 512 * 1024


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class Submission:
    student: str
    files: dict[str, str] = field(default_factory=dict)   # module name -> source
    problems: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        for p in self.problems:
            h.update(p.encode())
        return h.hexdigest()


def _read(data: bytes, name: str, sub: Submission) -> None:
    m = _MODULE.match(name)
    if not m:
        return
    if len(data) > _MAX_FILE_BYTES:
        sub.problems.append(f"{name} is larger than {_MAX_FILE_BYTES // 1024} KiB and was not graded")
        return
    sub.files[m.group(1)] = data.decode("utf-8", errors="replace")


def notebook_modules(path: Path) -> dict[str, str]:
    """Modules held in a notebook's code cells that start with '# file: exN_topic.py'."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = Submission(path.stem)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        first, _, rest = src.partition("\n")
        m = re.match(r"#\s*file:\s*(\S+)", first.strip())
        if m:
            _read(rest.encode(), m.group(1), found)
    return found.files


def _student_name(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._")
    return clean or "unnamed"


def discover(folder: Path) -> list[Submission]:
    """Every student's submission in ``folder`` (see the module docstring for the accepted forms)."""
    if not folder.is_dir():
        raise ImpersonationError(f"submissions folder {folder} does not exist")
    by_student: dict[str, Submission] = {}

    def get(name: str) -> Submission:
        key = _student_name(name)
        return by_student.setdefault(key, Submission(key))

    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            get(entry.name.split("__")[0] if "__" in entry.stem else entry.stem).problems.append(
                f"{entry.name} is a symbolic link and was not read (submissions must be plain files)")
            continue
        if entry.is_dir():
            sub = get(entry.name)
            inside = entry.resolve()
            for p in sorted(entry.rglob("*.py")):
                if "__MACOSX" in p.parts:
                    continue
                if p.is_symlink() or not p.resolve().is_relative_to(inside):
                    sub.problems.append(f"{p.relative_to(entry)} is a symbolic link or points outside the "
                                        "submission and was not read")
                elif p.is_file():
                    _read(p.read_bytes()[: _MAX_FILE_BYTES + 1], p.name, sub)
        elif entry.suffix == ".zip":
            sub = get(entry.stem)
            try:
                with zipfile.ZipFile(entry) as z:
                    total = sum(i.file_size for i in z.infolist())
                    if total > _MAX_ZIP_BYTES:
                        sub.problems.append(f"{entry.name} unpacks to more than {_MAX_ZIP_BYTES // 2**20} MiB")
                        continue
                    for info in z.infolist():
                        base = Path(info.filename).name
                        if not info.is_dir() and "__MACOSX" not in info.filename:
                            _read(z.read(info)[: _MAX_FILE_BYTES + 1], base, sub)
            except (zipfile.BadZipFile, OSError) as exc:
                sub.problems.append(f"{entry.name} is not a readable zip file ({exc})")
        elif entry.suffix == ".ipynb":
            sub = get(entry.stem)
            try:
                sub.files.update(notebook_modules(entry))
            except (ValueError, OSError) as exc:
                sub.problems.append(f"{entry.name} is not a readable notebook ({exc})")
        elif entry.suffix == ".py" and "__" in entry.stem:
            student, module = entry.stem.split("__", 1)
            _read(entry.read_bytes()[: _MAX_FILE_BYTES + 1], f"{module}.py", get(student))
    return list(by_student.values())


class _Progress:
    def __init__(self, total: int, stream=None) -> None:
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = f"grading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {label}"
        self.stream.write(("\r" + line.ljust(80)) if self.tty else line + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _grade_student(sub: Submission, masters: list[Master], budget: Budget, isolation: Isolation
                   ) -> list[ExerciseResult]:
    """Never raises: whatever goes wrong with one student scores that student's exercises 0 with the reason."""
    try:
        results = grade_submission(masters, sub.files, hidden=True, budget=budget, isolation=isolation)
    except Exception as exc:  # noqa: BLE001 - one student must never cost the class its gradebook
        reason = f"internal error while grading this submission ({type(exc).__name__}: {str(exc)[:300]})"
        results = [ExerciseResult(m.id, m.title, [TestResult(t.name, 0, t.points, "error", reason, t.hidden)
                                                  for t in m.tests()], problem=reason) for m in masters]
    for r, m in zip(results, masters):
        if sub.problems and m.module not in sub.files:
            r.problem = "; ".join([r.problem, *sub.problems]).strip("; ")
    return results


def _maxima(masters: list[Master]) -> dict[str, float]:
    """Each master's maximum (collecting its tests, and reading its title and allowed modules, once)."""
    for m in masters:
        m.title, m.allow  # noqa: B018 - computed here, before grading threads read them
    return {m.id: round(sum(t.points for t in m.tests()), 2) for m in masters}


def _fingerprints(masters: list[Master]) -> dict[str, str]:
    return {m.id: m.fingerprint for m in masters}


def grade_class(submissions: Path, out: Path, solutions: Path, *, force: bool = False, jobs: int = 2,
                budget: Budget = Budget(), progress_stream=None, allow_weak_isolation: bool = False,
                isolation: Isolation | None = None) -> dict[str, list[ExerciseResult]]:
    """Grade every submission; write the results folder; return results per student.

    The masters' tests are collected once, before any worker starts; every student's maximum per
    exercise must equal the master's, or the run fails (naming who and what) instead of writing
    wrong grades. Saved results graded against another master text or grader version are regraded.
    """
    masters = load_masters(solutions)
    maxima, fingerprints = _maxima(masters), _fingerprints(masters)  # collects every test, here, once
    own_isolation = isolation is None
    isolation = isolation or choose_isolation(untrusted=True, allow_weak=allow_weak_isolation)
    try:
        return _grade_all(submissions, out, masters, maxima, fingerprints, isolation, force, jobs, budget,
                          progress_stream)
    finally:
        if own_isolation:
            isolation.close()


def _grade_all(submissions, out, masters, maxima, fingerprints, isolation, force, jobs, budget, progress_stream):
    stream = progress_stream or sys.stderr
    stream.write(f"isolation: {isolation.describe()}\n")
    subs = discover(submissions)
    (out / "students").mkdir(parents=True, exist_ok=True)
    results: dict[str, list[ExerciseResult]] = {}
    todo = []
    for sub in subs:
        saved = out / "students" / f"{sub.student}.json"
        if saved.exists() and not force:
            try:
                data = json.loads(saved.read_text(encoding="utf-8"))
                if data.get("digest") == sub.digest and data.get("masters") == fingerprints and \
                        data.get("grader") == GRADER_VERSION:
                    results[sub.student] = [ExerciseResult.from_dict(e) for e in data["exercises"]]
                    continue
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # unreadable or tampered: grade again
        todo.append(sub)
    progress = _Progress(len(todo), progress_stream)
    wrong: list[str] = []

    def finish(sub: Submission, rs: list[ExerciseResult]) -> None:
        got = {r.exercise: r.max_score for r in rs}
        if got != maxima:
            wrong.append(f"{sub.student}: maxima {got} differ from the masters' {maxima}")
            return  # not saved: a wrong maximum is a grader fault, never a grade
        results[sub.student] = rs
        atomic_write(out / "students" / f"{sub.student}.json",
                     json.dumps({"student": sub.student, "digest": sub.digest, "masters": fingerprints,
                                 "grader": GRADER_VERSION, "isolation": isolation.name,
                                 "exercises": [r.to_dict() for r in rs]}, indent=1, sort_keys=True))
        progress.step(sub.student)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_grade_student, sub, masters, budget, isolation): sub for sub in todo}
        for future in as_completed(futures):
            finish(futures[future], future.result())
    if wrong:
        raise ImpersonationError("grading stopped, no gradebook written: the tests differ between students "
                                 "(a grader fault):\n" + "\n".join(wrong[:10]))
    write_reports(out, masters, results, isolation.describe())
    atomic_write(out / "manifest.json", json.dumps({"grader": GRADER_VERSION, "isolation": isolation.name,
                                                    "maxima": maxima, "masters": fingerprints},
                                                   indent=1, sort_keys=True))
    return results


def write_reports(out: Path, masters: list[Master], results: dict[str, list[ExerciseResult]],
                  isolation: str = "") -> None:
    students = sorted(results)
    for s in students:
        atomic_write(out / "feedback" / f"{s}.md", markdown_feedback(s, results[s]))
        atomic_write(out / "gradescope" / s / "results.json",
                     json.dumps(gradescope_results(results[s]), indent=1, sort_keys=True))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *(m.id for m in masters), "total", "max"])
    for s in students:
        by_ex = {r.exercise: r for r in results[s]}
        scores = [by_ex[m.id].score if m.id in by_ex else 0 for m in masters]
        w.writerow([s, *(f"{x:g}" for x in scores), f"{sum(scores):g}",
                    f"{sum(r.max_score for r in results[s]):g}"])
    atomic_write(out / "gradebook.csv", buf.getvalue())
    atomic_write(out / "summary.md", _summary(masters, results, isolation))
    _plot(out / "summary.png", masters, results)


def _summary(masters: list[Master], results: dict[str, list[ExerciseResult]], isolation: str = "") -> str:
    lines = [f"# Class summary ({len(results)} students)", ""]
    if isolation:
        lines += [f"Student code ran with: {isolation}.", ""]
    lines += ["| exercise | max | mean | median | full marks | zero |", "|---|---|---|---|---|---|"]
    maxima = _maxima(masters)
    for m in masters:
        scores = sorted(r.score for rs in results.values() for r in rs if r.exercise == m.id)
        most = maxima[m.id]
        if not scores:
            continue
        mean = sum(scores) / len(scores)
        median = scores[len(scores) // 2] if len(scores) % 2 else (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2
        lines.append(f"| {m.id} {m.title} | {most:g} | {mean:.1f} | {median:g} | {sum(s == most for s in scores)} | "
                     f"{sum(s == 0 for s in scores)} |")
    failing = defaultdict(int)
    for rs in results.values():
        for r in rs:
            for t in r.tests:
                if t.status != "passed":
                    failing[f"{r.exercise}: {t.name}"] += 1
    if failing:
        lines += ["", "## Tests failed most often", ""]
        lines += [f"- {name}: {n}" for name, n in sorted(failing.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    lines += ["", "![score distribution per exercise](summary.png)"]
    return "\n".join(lines) + "\n"


def _plot(path: Path, masters: list[Master], results: dict[str, list[ExerciseResult]]) -> None:
    from matplotlib.figure import Figure

    n = len(masters)
    rows = (n + 3) // 4
    fig = Figure(figsize=(3 * min(n, 4), 2.6 * rows))
    # fixed margins: the constrained layout engine would add ~0.4 s to every class graded
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2 / rows, top=1 - 0.16 / rows, wspace=0.35,
                        hspace=0.6)
    for i, m in enumerate(masters, start=1):
        ax = fig.add_subplot(rows, min(n, 4), i)
        scores = [r.score for rs in results.values() for r in rs if r.exercise == m.id]
        most = next((r.max_score for rs in results.values() for r in rs if r.exercise == m.id), 1) or 1
        ax.hist(scores, bins=[x - 0.5 for x in range(int(most) + 2)], color="#0072B2", alpha=0.8)
        ax.set_title(m.id, fontsize=9)
        ax.set_xlabel("score", fontsize=8)
        ax.tick_params(labelsize=7)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png")
    os.close(fd)
    fig.savefig(tmp, metadata={"Software": None})
    os.replace(tmp, path)
