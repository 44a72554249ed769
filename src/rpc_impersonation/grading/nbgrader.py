"""nbgrader versions of the exercises, built from the same masters.

For instructors who grade with nbgrader, and for ``benchmarks/grading.py``, which grades the same
answers both ways when nbgrader is installed. :func:`export_course` writes an nbgrader course folder::

    nbgrader_config.py
    source/<assignment>/exN_topic.ipynb     (layout "per-exercise": one notebook per exercise)
    source/<assignment>/all_exercises.ipynb (layout "one-notebook": every exercise in one notebook)

Each exercise becomes a read-only instructions cell, one answer cell (the master's module, whose
``### BEGIN SOLUTION`` regions nbgrader's ``generate_assignment`` turns into stubs, exactly as our
``assign`` does), and one autograded test cell per test of the master, worth the same points,
hidden tests inside nbgrader's ``### BEGIN HIDDEN TESTS`` markers. A test cell calls :func:`check`,
which runs that test of the master against the functions the notebook defined, in the kernel
(functions an exercise forbids are forbidden while the student's functions run; nbgrader gives no
isolation beyond the kernel, so the hostile-submission guarantees of our grader do not carry over).

nbgrader itself is an optional extra (``pip install -e ".[nbgrader]"``); nothing here imports it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import InvalidValueError
from .masters import Master, load_masters, notebook_document
from .spec import NotImplementedYet, StudentError, outcome

__all__ = ["LAYOUTS", "export_course", "run_nbgrader", "check", "fill_answers", "answer_cell_id"]

LAYOUTS = ("per-exercise", "one-notebook")
SOLUTIONS_VARIABLE = "RPC_IMPERSONATION_SOLUTIONS"
_MASTERS: dict[str, dict[str, Master]] = {}


def answer_cell_id(exercise: str) -> str:
    return f"{exercise}-answer"


def _cell(kind: str, source: str, grade_id: str, *, solution: bool = False, points: float | None = None) -> dict:
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    cell: dict[str, Any] = {"cell_type": kind, "id": grade_id, "metadata": {"nbgrader": meta}, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _exercise_cells(master: Master) -> list[dict]:
    cells = [
        _cell(
            "markdown",
            f"# {master.title}\n\n{master.docstring.split(chr(10), 1)[-1].strip()}",
            f"{master.id}-instructions",
        )
    ]
    cells.append(_cell("code", master.solution_code.strip("\n"), answer_cell_id(master.id), solution=True))
    for i, t in enumerate(master.tests()):
        call = f"from rpc_impersonation.grading.nbgrader import check\ncheck({master.id!r}, {t.name!r}, globals())"
        if t.hidden:
            call = f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
        cells.append(_cell("code", call, f"{master.id}-test-{i:02d}", points=t.points))
    return cells


def export_course(
    solutions: str | Path,
    course: str | Path,
    layout: str = "per-exercise",
    assignment: str = "rpc",
    timeout: float = 30.0,
) -> list[Path]:
    """Write an nbgrader course folder for the masters in ``solutions``; returns the source notebooks.

    ``timeout`` is nbgrader's limit for one cell, in seconds.
    """
    if layout not in LAYOUTS:
        raise InvalidValueError("layout", layout, list(LAYOUTS))
    masters = load_masters(solutions)
    course = Path(course)
    source = course / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821 - provided by nbgrader\n"
        f"c.CourseDirectory.root = {str(course.resolve())!r}\n"
        f"c.CourseDirectory.db_assignments = [dict(name={assignment!r})]\n"
        f"c.Execute.timeout = {timeout!r}\n"
        "c.Execute.interrupt_on_timeout = True\n"
    )
    books = (
        {m.module: _exercise_cells(m) for m in masters}
        if layout == "per-exercise"
        else {"all_exercises": [c for m in masters for c in _exercise_cells(m)]}
    )
    paths = []
    for name, cells in books.items():
        path = source / f"{name}.ipynb"
        path.write_text(json.dumps(notebook_document(cells), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def run_nbgrader(course: str | Path, *args: str, solutions: str | Path, check: bool = True):
    """Run ``nbgrader *args`` in ``course`` with this interpreter, its tools on PATH (nbgrader calls
    ``alembic`` by name) and the kernels pointed at ``solutions``; returns the CompletedProcess."""
    import subprocess
    import sys

    env = dict(
        os.environ,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        **{SOLUTIONS_VARIABLE: str(Path(solutions).resolve())},
    )
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, check=check, capture_output=True, text=True
    )


def fill_answers(notebook: Mapping[str, Any], answers: Mapping[str, str]) -> dict:
    """A copy of a released notebook with the answer cell of each exercise in ``answers`` replaced."""
    nb: dict = json.loads(json.dumps(notebook))
    wanted = {answer_cell_id(exercise): source for exercise, source in answers.items()}
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id in wanted:
            cell["source"] = wanted[grade_id]
    return nb


def _solutions() -> Path:
    configured = os.environ.get(SOLUTIONS_VARIABLE)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "solutions"  # a source checkout (pip install -e .)


def _master(exercise: str) -> Master:
    folder = str(_solutions())
    if folder not in _MASTERS:
        _MASTERS[folder] = {m.id: m for m in load_masters(folder)}
    try:
        return _MASTERS[folder][exercise]
    except KeyError:
        raise InvalidValueError("exercise", exercise, sorted(_MASTERS[folder])) from None


class _KernelRun:
    """The tests' ``run`` for code defined in the kernel: same values (through JSON) and errors as the sandbox."""

    def __init__(self, namespace: dict[str, Any], forbid: tuple[str, ...]) -> None:
        self.namespace, self.forbid = namespace, forbid
        self.module = SimpleNamespace(**namespace)

    def __call__(self, function: str, *args: Any) -> Any:
        fn = getattr(self.module, function, None)
        if not callable(fn):
            raise StudentError(f"function {function}() is missing", kind="missing")
        return self._plain(function, lambda: fn(*args))

    def drive(self, driver: str, *args: Any) -> Any:
        from .drivers import DRIVERS

        return self._plain(driver, lambda: DRIVERS[driver](self.module, *args))

    def _plain(self, name: str, call: Callable[[], Any]) -> Any:
        from .drivers import forbidden
        from .harness_wording import describe as _describe
        from .harness_wording import plain as _plain

        try:
            with forbidden(self.forbid, (self.namespace,)):  # only while the student's code runs
                value = call()
        except NotImplementedError:
            raise NotImplementedYet(name) from None
        except Exception as exc:  # noqa: BLE001 - reported to the student like the sandbox does
            raise StudentError(_describe(exc), kind="exception") from None
        try:
            return json.loads(json.dumps(value, default=_plain))
        except (TypeError, ValueError) as exc:
            raise StudentError(f"returned a value that is not plain data ({exc})", kind="wrong type") from None


def check(exercise: str, test: str, namespace: dict[str, Any]) -> None:
    """Run test ``test`` of ``exercise`` against the functions in ``namespace`` (a notebook's globals).

    Raises AssertionError with the message our grader would give, so nbgrader scores the cell 0.
    """
    master = _master(exercise)
    case = next((t for t in master.tests() if t.name == test), None)
    if case is None:
        raise InvalidValueError("test", test, [t.name for t in master.tests()])
    result = outcome(case, _KernelRun(namespace, master.forbid))
    if result.status != "passed":
        raise AssertionError(result.message)
