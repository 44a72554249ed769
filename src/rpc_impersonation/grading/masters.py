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
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ImpersonationError
from .spec import TestCase, collect

__all__ = ["Master", "VisibleSpec", "load_masters", "student_module", "MARKERS", "find_leaks", "notebook_json"]

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
TESTS, HIDDEN_BEGIN, HIDDEN_END = "### BEGIN TESTS", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_NAME = re.compile(r"^(ex\d+)_[a-z0-9_]+$")
_TESTS: dict[tuple[str, str, bool], list[TestCase]] = {}


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

    @property
    def docstring(self) -> str:
        return ast.get_docstring(ast.parse(self.parts[0])) or ""

    @property
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
        return (f'"""Visible tests of {self.id} (generated from its master; do not edit).\n\n'
                f'Run them with: python -m rpc_impersonation.grading check {self.id}\n"""\n'
                + self.parts[1].strip("\n") + "\n")

    def _namespace(self, code: str) -> dict:
        ns: dict = {"__name__": f"tests_{self.id}"}
        collect()
        exec(compile(code, f"<tests of {self.module}>", "exec"), ns)  # trusted: instructor's test code
        return ns

    def tests(self, hidden: bool = True) -> list[TestCase]:
        """The master's tests, collected once (their caches of expected answers live as long as they do)."""
        key = (str(self.path), self.text, hidden)
        if key not in _TESTS:
            code = self.parts[1] + (self.parts[2] if hidden else "")
            self._namespace(code)
            found = collect()
            if not found:
                raise ImpersonationError(f"master {self.path.name} registers no tests")
            _TESTS[key] = found
        return list(_TESTS[key])

    @cached_property
    def forbid(self) -> tuple[str, ...]:
        ns = self._namespace(self.parts[1])
        collect()
        return tuple(ns.get("FORBID", ()))

    def companion_notebook(self) -> dict:
        """A notebook with the instructions, a cell to try the functions and the self-check."""
        cells = [
            _md(self.docstring.split("\n", 1)[0].join(["# ", ""]) + "\n\n" + self.docstring.split("\n", 1)[1].strip()),
            _md(f"Write your answer in **`{self.module}.py`** (open it from the file browser). Then run the cells "
                "below: the first reloads your module, the second runs the visible tests and explains each "
                "difference with the engine's rule."),
            _code(f"import importlib\nimport {self.module}\nimportlib.reload({self.module})"),
            _code(f'from rpc_impersonation.grading import check\ncheck("{self.id}")'),
        ]
        for i, c in enumerate(cells):
            c["id"] = f"{self.id}-{i}"
        return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                            "name": "python3"},
                                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}


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

    checks: Path      # exercises/checks/exN_topic.py

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
                doc = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))) or ""
                if doc:
                    return doc.splitlines()[0]
            except SyntaxError:
                pass
        return self.module

    def _ns(self) -> dict:
        ns: dict = {"__name__": f"checks_{self.id}"}
        collect()
        exec(compile(self.checks.read_text(encoding="utf-8"), str(self.checks.name), "exec"), ns)
        return ns

    def tests(self, hidden: bool = False) -> list[TestCase]:
        key = (str(self.checks), self.checks.read_text(encoding="utf-8"), False)
        if key not in _TESTS:
            self._ns()
            _TESTS[key] = collect()
        return list(_TESTS[key])

    @property
    def forbid(self) -> tuple[str, ...]:
        ns = self._ns()
        collect()
        return tuple(ns.get("FORBID", ()))
