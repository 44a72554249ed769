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
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ImpersonationError
from .spec import TestCase, collecting

__all__ = ["Master", "VisibleSpec", "load_masters", "student_module", "MARKERS", "find_leaks", "notebook_json",
           "DEFAULT_ALLOW", "ENGINE_ALLOW", "declared_allow", "parse"]

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
TESTS, HIDDEN_BEGIN, HIDDEN_END = "### BEGIN TESTS", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_NAME = re.compile(r"^(ex\d+)_[a-z0-9_]+$")

#: What student code may import from the package when a master declares nothing: the vocabulary
#: (constants, errors, the binding data model) and the exercises' shared data, never the engine.
DEFAULT_ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors", "rpc_impersonation.binding",
                 "rpc_impersonation.grading.worlds")
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
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("ALLOW", "FORBID"):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ImpersonationError(f"{where}, line {node.lineno}: {node.targets[0].id} must be a literal "
                                         "tuple of dotted module names") from None
    if "ALLOW" in found:
        allow = found["ALLOW"]
        if not isinstance(allow, (tuple, list)) or not all(
                isinstance(a, str) and re.fullmatch(r"rpc_impersonation(\.[a-z_][a-z0-9_]*)+", a) for a in allow):
            raise ImpersonationError(f"{where}: ALLOW must be a tuple of module names like "
                                     f"'rpc_impersonation.constants', got {allow!r}")
        return tuple(dict.fromkeys(allow))
    if found.get("FORBID"):
        return DEFAULT_ALLOW + ENGINE_ALLOW
    return DEFAULT_ALLOW


def _collect(key: tuple[str, str], code: str, filename: str, name: str) -> tuple[TestCase, ...]:
    with _TESTS_LOCK:
        if key not in _TESTS:
            with collecting() as found:
                ns: dict = {"__name__": name}
                exec(compile(code, filename, "exec"), ns)  # trusted: the instructor's test code
            if not found:
                raise ImpersonationError(f"{filename} registers no tests")
            _TESTS[key] = tuple(found)
        return _TESTS[key]


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
        return (f'"""Visible tests of {self.id} (generated from its master; do not edit).\n\n'
                f'Run them with: python -m rpc_impersonation.grading check {self.id}\n"""\n'
                + self.parts[1].strip("\n") + "\n")

    def tests(self, hidden: bool = True) -> list[TestCase]:
        """The master's tests, in file order, collected once per master text (their caches of
        expected answers live as long as they do); without the hidden ones if ``hidden`` is False."""
        found = _collect((str(self.path), self.text), self.parts[1] + self.parts[2], f"<tests of {self.module}>",
                         f"tests_{self.id}")
        return [t for t in found if hidden or not t.hidden]

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


def _forbid(code: str, where: str) -> tuple[str, ...]:
    for node in parse(code).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "FORBID" for t in node.targets):
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                raise ImpersonationError(f"{where}, line {node.lineno}: FORBID must be a literal tuple") from None
    return ()
