"""Instructor commands that work on the course tree: assign (generate the student view), verify,
release the student bundle, and self-check for students."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImpersonationError
from .allow import scan_for_deciding_imports
from .masters import VisibleSpec, find_leaks, load_masters, notebook_json
from .report import text_report
from .runner import ExerciseResult, grade_exercise
from .submissions import MAX_FILE_BYTES, MAX_ZIP_BYTES

__all__ = ["find_root", "assign", "verify", "release", "check", "CheckReport"]


def find_root(start: Path | None = None) -> Path:
    """The course folder: the nearest folder (upwards) holding exercises/ (or notebooks/)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() or (folder / "solutions").is_dir():
            return folder
        if folder.name == "exercises" and (folder / "checks").is_dir():
            return folder.parent
    raise ImpersonationError(f"no course folder (with exercises/) at or above {here}")


def assign(root: Path, out: Path | None = None) -> list[Path]:
    """Write the student view of every master into ``out`` (default: root/exercises)."""
    out = out or root / "exercises"
    (out / "checks").mkdir(parents=True, exist_ok=True)
    written = []
    for m in load_masters(root / "solutions"):
        files = {
            out / f"{m.module}.py": m.student_code(),
            out / "checks" / f"{m.module}.py": m.visible_tests_code(),
            out / f"{m.module}.ipynb": notebook_json(m.companion_notebook()),
        }
        for path, text in files.items():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    readme = out / "README.md"
    readme.write_text(_EXERCISES_README, encoding="utf-8")
    written.append(readme)
    return written


_EXERCISES_README = """# Exercises

Each exercise is a module `exN_topic.py` with a companion notebook `exN_topic.ipynb`. Write your code in
the module where it says `raise NotImplementedError`, then check it:

- in a notebook: `from rpc_impersonation.grading import check; check("ex1")` (or `check("all")`);
- in a terminal: `python -m rpc_impersonation.grading check ex1` (or `check all`).

The self-check runs the visible tests in `checks/` and exits with status 1 while one fails. Each failure
names the misconception your answer shows, the rule that makes the right answer right, and the notebook
section that teaches it.

- Your module can import only what its exercise allows (the course's vocabulary: levels, bindings, a
  world description, the rule catalogue), not the engine: the exercises ask you to reason it out.
- The answers of the visible tests are stored in `checks/`, so those tests are practice: they count 0
  in the grade. Your instructor grades with hidden tests, so make your code right in general.
- Prediction items (exercises 6, 7 and 9) are formative: the notebooks' engine can answer them, so
  they count little. Use them to test your understanding before you run anything.

Files in this folder are generated from the instructor's masters; `checks/` is replaced when the
exercises are updated.
"""


@dataclass
class VerifyReport:
    differences: list[str]
    solution_scores: dict[str, tuple[float, float]]
    stub_problems: list[str]
    leaks: list[str]
    deciding_imports: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not (self.differences or self.stub_problems or self.leaks or self.deciding_imports) and all(
            s == m for s, m in self.solution_scores.values()
        )

    def __str__(self) -> str:
        lines = [f"{ex}: solution scores {s:g}/{m:g}" for ex, (s, m) in self.solution_scores.items()]
        lines += [f"out of date: {d} (run: python -m rpc_impersonation.grading assign)" for d in self.differences]
        lines += [f"stub problem: {p}" for p in self.stub_problems]
        lines += [f"LEAK: {p}" for p in self.leaks]
        lines += [f"ANSWER SOURCE in the student's bundle: {p}" for p in self.deciding_imports or ()]
        lines.append("verify: OK" if self.ok else "verify: FAILED")
        return "\n".join(lines)


def verify(root: Path) -> VerifyReport:
    """Regenerate the student view and compare; solutions must score 100%, stubs 0 cleanly; no leaks."""
    differences, scores, stubs = [], {}, []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "exercises"
        for path in assign(root, fresh):
            committed = root / "exercises" / path.relative_to(fresh)
            if not committed.exists() or not filecmp.cmp(path, committed, shallow=False):
                differences.append(str(committed.relative_to(root)))
    for m in load_masters(root / "solutions"):
        solved = grade_exercise(m, m.solution_code, hidden=True)
        scores[m.id] = (solved.score, solved.max_score)
        if solved.score != solved.max_score:
            stubs.append(
                f"{m.id} solution fails: " + "; ".join(t.message for t in solved.tests if t.status != "passed")
            )
        stub = grade_exercise(m, m.student_code(), hidden=True)
        bad = [t for t in stub.tests if t.status != "not implemented"]
        if stub.score != 0 or bad or stub.problem:
            stubs.append(
                f"{m.id} untouched exercise: score {stub.score:g}, "
                + "; ".join(f"{t.name}: {t.status} {t.message}" for t in bad[:3])
            )
    leaks = find_leaks(root / "exercises")
    sources = answer_sources(root / "exercises", root / "solutions") + hidden_cases_in_bundle(root / "solutions")
    return VerifyReport(differences, scores, stubs, leaks, sources)


def hidden_cases_in_bundle(solutions: Path) -> list[str]:
    """Hidden cases that ask exactly what a visible case asks: their answer would ship with the visible one."""
    out = []
    for m in load_masters(solutions):

        def key(t):
            d = t.data or {}
            return (d.get("call"), repr(d.get("args")), repr(d.get("field")), d.get("aspect"))

        visible = {key(t) for t in m.tests(hidden=False) if t.data}
        out += [
            f"{m.id}: hidden case {t.data['name']!r} asks what a visible test asks (its answer is in the bundle)"
            for t in m.tests(hidden=True)
            if t.hidden and t.data and key(t) in visible
        ]
    return out


def answer_sources(exercises: Path, solutions: Path) -> list[str]:
    """Imports of deciding modules in the student's exercises folder, except what an exercise that teaches the
    engine's primitives allows its own module (exercise 8's `Engine`)."""
    masters = {m.module: m for m in load_masters(solutions)}
    out = []
    for hit in scan_for_deciding_imports(exercises):
        where, _, name = hit.rpartition(": imports ")
        stem = Path(where.split(":")[0].split(" cell ")[0]).stem
        m = masters.get(stem)
        in_module = Path(where.split(":")[0]).parent == exercises
        if (
            m is not None
            and in_module
            and not m.reasoning
            and any(name == a or name.startswith(a + ".") for a in m.allow)
        ):
            continue
        out.append(hit)
    return out


_BUNDLE_TITLE = "# RPC/COM impersonation: student bundle"


def _bundle_readme() -> str:
    return f"""{_BUNDLE_TITLE}

## How to work

1. Install the course package as your instructor tells you (for example `pip install rpc-impersonation`
   from the link you were given), then run `jupyter lab` in this folder.
2. Start with `notebooks/00_start_here.ipynb` and work through the notebooks in order.
3. The exercises are in `exercises/`: each is a module `exN_topic.py` with a companion notebook.
   Write your code where it says `raise NotImplementedError`.
4. Check your work as often as you like: in a notebook `from rpc_impersonation.grading import check;
   check("ex1")`, or in a terminal `python -m rpc_impersonation.grading check ex1` (`check all` for all).
   The self-check runs the visible tests; your instructor grades with more tests, so make your code
   right in general, not only for the visible cases.

## How to submit

Hand in the modules you wrote, **under their original names** (`ex1_level_capabilities.py`, ...), in
one of these forms:

- the files themselves, or a folder holding them (uploaded to your course's LMS or Gradescope);
- one zip file holding them (folders inside the zip are fine);
- one notebook (`.ipynb`) with one code cell per module, each cell starting with the line
  `# file: exN_topic.py` followed by the module's whole code.

Hand in **one version of each file**. Two different files for the same exercise (an old and a new
copy, a folder and a zip, `old/` and `final/`) are not graded until your instructor has asked you
which one counts. Renamed copies such as `ex1_level_capabilities (1).py` are accepted with a note,
but keep the original names. Do not hand in links (shortcuts) to files: they are not read.
Each file may be at most {MAX_FILE_BYTES // 1024} KiB, a zip at most {MAX_ZIP_BYTES // 2**20} MiB unpacked.

Your feedback names every test, what was expected and what your code gave, with the rule that
decides it.
"""


_LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


_SHIPPABLE = {".md", ".png", ".svg", ".jpg", ".jpeg", ".gif"}


def _ship_linked_docs(root: Path, out: Path) -> None:
    """Copy into the bundle the course documents its notebooks link to (``../docs/x.md``), and what those
    link to in turn, so that no link a student follows is dead. Only documents and images are shipped."""
    course, bundle = root.resolve(), out.resolve()
    todo = [(nb, course / "notebooks") for nb in sorted((out / "notebooks").glob("*.ipynb"))]
    while todo:
        path, where = todo.pop()
        for rel, _anchor in _LINK.findall(path.read_text(encoding="utf-8", errors="replace")):
            if "://" in rel or rel.startswith(("mailto:", "/")):
                continue
            source = (where / rel).resolve()
            if not source.is_file() or not source.is_relative_to(course) or source.suffix.lower() not in _SHIPPABLE:
                continue
            if source.relative_to(course).parts[0] in ("solutions", "tests", ".git", "src"):
                raise ImpersonationError(f"release refused: {path.name} links to {rel}, which is not for students")
            dest = bundle / source.relative_to(course)
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
            if dest.suffix == ".md":
                todo.append((dest, source.parent))


def _check_target(root: Path, out: Path, force: bool) -> None:
    course, target = root.resolve(), out.resolve()
    if target == course or target.is_relative_to(course) or course.is_relative_to(target):
        raise ImpersonationError(
            f"release refused: {out} {'is' if target == course else 'holds' if course.is_relative_to(target) else 'is inside'} "
            f"the course folder {course}; write the bundle outside it (e.g. ../dist/student-bundle)"
        )
    archive = target.with_suffix(".zip")
    if archive.resolve().is_relative_to(course):
        raise ImpersonationError(f"release refused: the zip {archive} would be inside the course folder {course}")
    if target.exists() and not target.is_dir():
        raise ImpersonationError(f"release refused: {out} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        readme = target / "README.md"
        earlier = readme.is_file() and readme.read_text(encoding="utf-8", errors="replace").startswith(_BUNDLE_TITLE)
        if not force:
            raise ImpersonationError(
                f"release refused: {out} is not empty; choose a new folder, or --force to "
                f"replace an earlier student bundle"
            )
        if not earlier:
            names = ", ".join(sorted(p.name for p in target.iterdir())[:5])
            raise ImpersonationError(
                f"release refused: {out} holds other files ({names}), not an earlier student "
                f"bundle; --force only replaces a bundle. Choose an empty or new folder"
            )
    if archive.exists() and not force:
        raise ImpersonationError(f"release refused: {archive} exists; --force to replace it")


def release(root: Path, out: Path, force: bool = False) -> tuple[Path, Path]:
    """The student bundle: notebooks, exercises with visible tests, the docs they link to and a README;
    no solutions, no hidden tests, no build files. Never writes into (or over) the course folder."""
    _check_target(root, out, force)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent)) / out.name
    try:
        shutil.copytree(
            root / "notebooks",
            staging / "notebooks",
            ignore=shutil.ignore_patterns("source", ".ipynb_checkpoints", "__pycache__", "*.cfg", ".*"),
        )
        shutil.copytree(
            root / "exercises",
            staging / "exercises",
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", ".*"),
        )
        (staging / "README.md").write_text(_bundle_readme(), encoding="utf-8")
        _ship_linked_docs(root, staging)
        leaks = find_leaks(staging)
        if leaks:
            raise ImpersonationError(
                "release refused: solution or hidden-test markers in "
                f"{[str(Path(p).relative_to(staging)) for p in leaks]}"
            )
        archive = out.with_suffix(".zip")
        tmp_zip = staging.parent / "bundle.zip"
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(staging.rglob("*")):
                if p.is_file():
                    info = zipfile.ZipInfo(
                        f"{out.name}/{p.relative_to(staging).as_posix()}", date_time=(2026, 1, 1, 0, 0, 0)
                    )
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, p.read_bytes())
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
        os.replace(tmp_zip, archive)
    finally:
        shutil.rmtree(staging.parent, ignore_errors=True)
    return out, archive


@dataclass
class CheckReport:
    results: list[ExerciseResult]

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def passed(self) -> bool:
        """Every visible test passed and every module imported."""
        return all(not r.problem and all(t.status == "passed" for t in r.tests) for r in self.results)

    def __str__(self) -> str:
        return text_report(self.results, visible_only=True)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))

    __repr__ = __str__


def _specs(exercises: Path, which: str) -> list[VisibleSpec]:
    checks = sorted((exercises / "checks").glob("ex*_*.py"), key=lambda p: int(p.stem.split("_")[0][2:]))
    specs = [VisibleSpec(p) for p in checks]
    if which == "all":
        return specs
    chosen = [s for s in specs if s.id == which or s.module == which]
    if not chosen:
        from ..errors import InvalidValueError

        raise InvalidValueError("exercise", which, ["all", *(s.id for s in specs)])
    return chosen


def check(which: str = "all", folder: str | Path | None = None) -> CheckReport:
    """Self-check: run the visible tests of one exercise (or all) against your module(s)."""
    root = find_root(Path(folder) if folder else None)
    exercises = root / "exercises"
    results = []
    for spec in _specs(exercises, which):
        module = exercises / f"{spec.module}.py"
        source = module.read_text(encoding="utf-8") if module.exists() else None
        results.append(grade_exercise(spec, source, hidden=False))
    return CheckReport(results)
