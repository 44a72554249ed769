"""Exercise masters: one file per exercise holding the solution (in marked regions), the visible
tests and the hidden tests. The student view is generated from it (otter-grader's assign step).

Master layout::

    '''Exercise N - Title (notebook NN_name)

    Instructions for the student (Markdown).
    '''
    ...module code, with ### BEGIN SOLUTION / ### END SOLUTION regions...
    ### BEGIN TESTS
    ...visible tests...
    ### BEGIN HIDDEN TESTS
    ...hidden tests...
    ### END HIDDEN TESTS
"""

from __future__ import annotations

import ast
import hashlib
import json
import pprint
import re
import threading
import traceback
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from ..errors import ImpersonationError
from .allow import DECIDING
from .spec import DISCLOSURES, TestCase, case_data, collecting

__all__ = [
    "Master",
    "VisibleSpec",
    "load_masters",
    "student_module",
    "MARKERS",
    "find_leaks",
    "notebook_document",
    "notebook_json",
    "DEFAULT_ALLOW",
    "ENGINE_ALLOW",
    "declared_allow",
    "parse",
    "stored_answer",
]

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
TESTS, HIDDEN_BEGIN, HIDDEN_END = "### BEGIN TESTS", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_NAME = re.compile(r"^(ex\d+)_[a-z0-9_]+$")

#: What student code may import from the package when a master declares nothing: the vocabulary
#: (constants, errors, the binding data model) and the exercises' shared data, never the engine.
DEFAULT_ALLOW = (
    "rpc_impersonation.constants",
    "rpc_impersonation.errors",
    "rpc_impersonation.binding",
    "rpc_impersonation.grading.worlds",
)
#: Added for an exercise that names forbidden functions (old-style ``FORBID``): it is built on the
#: engine's primitives, so the engine and the world are importable; the chain evaluator is not.
ENGINE_ALLOW = ("rpc_impersonation.engine", "rpc_impersonation.world", "rpc_impersonation.decisions")

_PARSE_LOCK = threading.Lock()


def parse(code: str) -> ast.Module:
    """``ast.parse`` for grading threads: CPython 3.11's AST conversion is not safe to run in two
    threads at once ("AST constructor recursion depth mismatch"), so one parse at a time."""
    with _PARSE_LOCK:
        return ast.parse(code)


# Tests collected per master text: filled once under the lock, read-only afterwards.
_TESTS: dict[tuple[str, str], tuple[TestCase, ...]] = {}
_TESTS_LOCK = threading.Lock()


def declared_allow(code: str, where: str) -> tuple[str, ...]:
    """The modules a test part lets student code import: its ``ALLOW``, else defaults (see above)."""
    try:
        tree = parse(code)
    except SyntaxError as exc:
        raise ImpersonationError(f"{where}: the tests do not parse (line {exc.lineno}: {exc.msg})") from None
    found: dict[str, object] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("ALLOW", "FORBID")
        ):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ImpersonationError(
                    f"{where}, line {node.lineno}: {node.targets[0].id} must be a literal tuple of dotted module names"
                ) from None
    if "ALLOW" in found:
        allow = found["ALLOW"]
        if not isinstance(allow, (tuple, list)) or not all(
            isinstance(a, str) and re.fullmatch(r"rpc_impersonation(\.[a-z_][a-z0-9_]*)+", a) for a in allow
        ):
            raise ImpersonationError(
                f"{where}: ALLOW must be a tuple of module names like 'rpc_impersonation.constants', got {allow!r}"
            )
        return tuple(dict.fromkeys(allow))
    if found.get("FORBID"):
        return DEFAULT_ALLOW + ENGINE_ALLOW
    return DEFAULT_ALLOW


def _collect(key: tuple[str, str], code: str, filename: str, name: str) -> tuple[TestCase, ...]:
    with _TESTS_LOCK:
        if key not in _TESTS:
            with collecting() as found:
                ns: dict = {"__name__": name}
                try:
                    exec(compile(code, filename, "exec"), ns)  # trusted: the instructor's test code
                except ImpersonationError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a master's own bug, reported with its place
                    line = next(
                        (f.lineno for f in reversed(traceback.extract_tb(exc.__traceback__)) if f.filename == filename),
                        "?",
                    )
                    raise ImpersonationError(
                        f"{filename}, line {line}: collecting the tests failed ({type(exc).__name__}: {exc})"
                    ) from None
            if not found:
                raise ImpersonationError(f"{filename} registers no tests")
            _TESTS[key] = tuple(found)
        return _TESTS[key]


def stored_answer(case: TestCase) -> bool:
    """Whether a visible case's answer is stored in the student's bundle where a submission can return it.
    Such a case is practice: it counts 0 in the graded run. (A handler's cases store codes too, but the
    handler is never told which client calls, so it cannot look them up: they count.)"""
    return case.data is not None and case.data.get("judge", "equals") in ("equals", "order")


def student_module(code: str, exercise: str) -> str:
    """Replace every solution region with a stub that raises NotImplementedError."""
    out, inside, indent = [], False, ""
    for n, line in enumerate(code.splitlines(), start=1):
        stripped = line.strip()
        if stripped == SOLUTION_BEGIN:
            if inside:
                raise ImpersonationError(f"{exercise}: nested {SOLUTION_BEGIN} at line {n}")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# Your code here: replace the next line.")
            out.append(f'{indent}raise NotImplementedError("{exercise}: not implemented yet")')
        elif stripped == SOLUTION_END:
            if not inside:
                raise ImpersonationError(f"{exercise}: {SOLUTION_END} without a beginning at line {n}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ImpersonationError(f"{exercise}: {SOLUTION_BEGIN} is never closed")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Master:
    path: Path

    @property
    def module(self) -> str:
        return self.path.stem

    @property
    def id(self) -> str:
        m = _NAME.match(self.module)
        if not m:
            raise ImpersonationError(f"master {self.path.name}: name must look like exN_topic.py")
        return m.group(1)

    @cached_property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def parts(self) -> tuple[str, str, str]:
        """(module code, visible tests, hidden tests)."""
        if self.text.count(TESTS) != 1:
            raise ImpersonationError(f"master {self.path.name}: needs exactly one '{TESTS}' line")
        code, tests = self.text.split(TESTS)
        hidden = ""
        if HIDDEN_BEGIN in tests:
            visible, rest = tests.split(HIDDEN_BEGIN)
            if HIDDEN_END not in rest:
                raise ImpersonationError(f"master {self.path.name}: '{HIDDEN_BEGIN}' is never closed")
            hidden, after = rest.split(HIDDEN_END)
            visible += after
        else:
            visible = tests
        return code, visible, hidden

    @cached_property
    def docstring(self) -> str:
        return ast.get_docstring(parse(self.parts[0])) or ""

    @cached_property
    def title(self) -> str:
        return self.docstring.splitlines()[0] if self.docstring else self.module

    @property
    def notebook(self) -> str:
        m = re.search(r"\(notebooks? (\d\d_[a-z_]+)", self.title)
        return m.group(1) if m else ""

    @property
    def solution_code(self) -> str:
        return self.parts[0]

    def student_code(self) -> str:
        return student_module(self.parts[0], self.id)

    def visible_tests_code(self) -> str:
        """The visible tests as stored data: the answers of these cases only, computed now by the engine."""
        cases = case_data(list(self.tests(hidden=False)))
        return (
            f'"""Visible tests of {self.id} (generated from its master; do not edit).\n\n'
            f"Run them with: python -m rpc_impersonation.grading check {self.id}\n"
            "The answers below were stored when the exercise was generated, for these cases only.\n"
            '"""\n'
            "from rpc_impersonation.grading.spec import load_cases\n\n"
            f"ALLOW = {pprint.pformat(self.allow, width=110)}\n\n"
            f"CASES = {pprint.pformat(cases, width=110, sort_dicts=False)}\n\n"
            "load_cases(CASES)\n"
        )

    @cached_property
    def settings(self) -> dict:
        """The tests part's settings: DISCLOSE_HIDDEN (what a failed hidden test shows), FORMATIVE (a
        prediction item that counts little) and ALLOW_ENGINE_PRIMITIVES (only for the exercise about the
        engine's API; every other exercise's ALLOW must leave out the deciding modules)."""
        found = _literals(
            self.parts[1] + self.parts[2], self.path.name, ("DISCLOSE_HIDDEN", "FORMATIVE", "ALLOW_ENGINE_PRIMITIVES")
        )
        primitives = bool(found.get("ALLOW_ENGINE_PRIMITIVES", False))
        bad = [a for a in self.allow if any(a == d or a.startswith(d + ".") or d.startswith(a + ".") for d in DECIDING)]
        if bad and not primitives:
            raise ImpersonationError(
                f"master {self.path.name}: ALLOW lists deciding modules {bad}; reasoning "
                "exercises may allow only the vocabulary and data model"
            )
        disclose = found.get("DISCLOSE_HIDDEN", "concept")
        if disclose not in DISCLOSURES:
            raise ImpersonationError(
                f"master {self.path.name}: DISCLOSE_HIDDEN = {disclose!r}; allowed: {', '.join(DISCLOSURES)}"
            )
        return {"disclose": disclose, "reasoning": not primitives, "formative": bool(found.get("FORMATIVE", False))}

    @property
    def reasoning(self) -> bool:
        """True for exercises that ask students to reason (no engine primitive is allowed)."""
        return bool(self.settings["reasoning"])

    def tests(self, hidden: bool = True) -> list[TestCase]:
        """The master's tests, in file order, collected once per master text (their caches of expected
        answers live as long as they do).

        ``hidden=True`` is the graded set: hidden tests (with the master's disclosure), and visible ones worth 0
        where their answer is stored in the bundle; ``hidden=False`` is the self-check's set, the visible tests
        with their practice points."""
        found = _collect(
            (str(self.path), self.text), self.parts[1] + self.parts[2], f"<tests of {self.module}>", f"tests_{self.id}"
        )
        if not hidden:
            return [t for t in found if not t.hidden]
        graded = self.__dict__.get("_graded")
        if graded is None or graded[0] is not found:  # made once per collection (every student is graded on it)
            disclose = self.settings["disclose"]
            graded = (
                found,
                tuple(
                    replace(t, disclose=t.disclose or disclose)
                    if t.hidden
                    else replace(t, points=0.0)
                    if stored_answer(t)
                    else t
                    for t in found
                ),
            )
            self.__dict__["_graded"] = graded
        return list(graded[1])

    @cached_property
    def fingerprint(self) -> str:
        """Hash of the master's text: saved results graded against another text are graded again."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def allow(self) -> tuple[str, ...]:
        """Dotted names of the package modules the student's code may import (enforced by the sandbox)."""
        return declared_allow(self.parts[1] + self.parts[2], self.path.name)

    @cached_property
    def forbid(self) -> tuple[str, ...]:
        """Old-style functions switched off while student code runs in-process (nbgrader export only)."""
        return _forbid(self.parts[1], self.path.name)

    def companion_notebook(self) -> dict:
        """A notebook with the instructions, a cell to try the functions and the self-check."""
        cells = [
            _md(self.docstring.split("\n", 1)[0].join(["# ", ""]) + "\n\n" + self.docstring.split("\n", 1)[1].strip()),
            _md(
                f"Write your answer in **`{self.module}.py`** (open it from the file browser). Then run the cells "
                "below: the first reloads your module, the second runs the visible tests; each failure names "
                "the misconception, the rule that makes the right answer right, and the section that teaches it."
            ),
            _code(f"import importlib\nimport {self.module}\nimportlib.reload({self.module})"),
            _code(f'from rpc_impersonation.grading import check\ncheck("{self.id}")'),
        ]
        for i, c in enumerate(cells):
            c["id"] = f"{self.id}-{i}"
        return notebook_document(cells)


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


def load_masters(folder: str | Path) -> list[Master]:
    folder = Path(folder)
    masters = sorted((Master(p) for p in folder.glob("ex*_*.py")), key=lambda m: int(m.id[2:]))
    if not masters:
        raise ImpersonationError(f"no exercise masters (exN_topic.py) in {folder}")
    return masters


def notebook_document(cells: list[dict]) -> dict:
    """An nbformat 4.5 notebook of ``cells`` for the course's Python 3 kernel."""
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_json(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def find_leaks(folder: str | Path) -> list[str]:
    """Files under ``folder`` holding a solution or hidden-test marker."""
    leaks = []
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".txt", ".json"):
            text = p.read_text(encoding="utf-8", errors="replace")
            if any(m.replace("### ", "") in text for m in MARKERS):
                leaks.append(str(p))
    return leaks


@dataclass(frozen=True)
class VisibleSpec:
    """The student's side of an exercise: the generated module and its visible tests (no master needed)."""

    checks: Path  # exercises/checks/exN_topic.py

    @property
    def module(self) -> str:
        return self.checks.stem

    @property
    def id(self) -> str:
        return self.module.split("_", 1)[0]

    @property
    def title(self) -> str:
        module = self.checks.parent.parent / f"{self.module}.py"
        if module.exists():
            try:
                doc = ast.get_docstring(parse(module.read_text(encoding="utf-8"))) or ""
                if doc:
                    return doc.splitlines()[0]
            except SyntaxError:
                pass
        return self.module

    @cached_property
    def text(self) -> str:
        return self.checks.read_text(encoding="utf-8")

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def tests(self, hidden: bool = False) -> list[TestCase]:
        return list(_collect((str(self.checks), self.text), self.text, self.checks.name, f"checks_{self.id}"))

    @cached_property
    def allow(self) -> tuple[str, ...]:
        return declared_allow(self.text, self.checks.name)

    @cached_property
    def forbid(self) -> tuple[str, ...]:
        return _forbid(self.text, self.checks.name)


def _literals(code: str, where: str, names: tuple[str, ...]) -> dict:
    """Module-level ``NAME = literal`` assignments of a tests part (read, never run)."""
    found = {}
    for node in parse(code).body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in names
        ):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ImpersonationError(
                    f"{where}, line {node.lineno}: {node.targets[0].id} must be a literal"
                ) from None
    return found


def _forbid(code: str, where: str) -> tuple[str, ...]:
    for node in parse(code).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FORBID" for t in node.targets):
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                raise ImpersonationError(f"{where}, line {node.lineno}: FORBID must be a literal tuple") from None
    return ()
