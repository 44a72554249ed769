"""What graded code may use of the package, and how the bundle and submissions are checked for it.

* :data:`DECIDING`: the modules that decide outcomes (engine, chains, capabilities, scenarios, COM,
  Kerberos, decision tables, the enlarged spaces). An exercise's ``ALLOW`` never lists them.
* An exercise's ``ALLOW`` is enforced by the sandbox (``sandbox.py``): only those modules exist in
  the package view its student code sees.
* :func:`scan_for_deciding_imports`: every file of a student bundle is read for imports (and
  ``importlib``/``__import__`` strings) of a deciding module; ``verify`` fails on any hit.
* :func:`engine_similarity`: how much of a submission is a copy of the installed package's deciding
  code (normalised-token shingles); the grader reports high values as a problem to the instructor.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DECIDING",
    "VOCABULARY",
    "scan_for_deciding_imports",
    "engine_similarity",
    "similarity_problem",
    "SIMILARITY_THRESHOLD",
]

PACKAGE = "rpc_impersonation"
#: Modules that decide outcomes; never importable by graded reasoning code.
DECIDING = tuple(
    f"{PACKAGE}.{m}"
    for m in (
        "engine",
        "chain",
        "capabilities",
        "scenarios",
        "com",
        "kerberos",
        "tables",
        "space",
        "tokens",
        "decisions",
        "views",
        "cli",
        "seeds",
    )
)
#: The vocabulary and data model an exercise may allow.
VOCABULARY = tuple(f"{PACKAGE}.{m}" for m in ("constants", "binding", "world", "errors", "rules"))


# ---------------------------------------------------------------- scanning the bundle

_DYNAMIC = re.compile(
    r"""(?:import_module|__import__|import_from|find_spec|run_module|spec_from_file_location)"""
    r"""\s*\(\s*(?:f?["'])([^"']+)["']"""
)


def _deciding_name(name: str) -> bool:
    return (
        any(name == d or name.startswith(d + ".") for d in DECIDING)
        or name in ("solutions",)
        or name.startswith("solutions.")
    )


def _imports_in_python(text: str) -> list[tuple[int, str]]:
    found = []
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((node.lineno, node.module))
                if node.module == PACKAGE:  # from rpc_impersonation import evaluate, Engine ...
                    found += [(node.lineno, f"{PACKAGE}.{_OWNER.get(a.name, a.name)}") for a in node.names]
    for n, line in enumerate(text.splitlines(), start=1):
        for m in _DYNAMIC.finditer(line):
            found.append((n, m.group(1)))
    return found


#: Names the package re-exports, and the module each comes from.
_OWNER = {
    "Engine": "engine",
    "Options": "engine",
    "Chain": "chain",
    "Hop": "chain",
    "Access": "chain",
    "evaluate": "chain",
    "ChainResult": "chain",
    "load": "scenarios",
    "load_named": "scenarios",
    "Decision": "decisions",
}


def _code_of(path: Path) -> list[tuple[str, str]]:
    """(where, code) pieces of a bundle file: a module, or each code cell of a notebook."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return [(str(path), text)]
        return [
            (
                f"{path} cell {i}",
                "".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", ""),
            )
            for i, c in enumerate(cells)
            if c.get("cell_type") == "code"
        ]
    return [(str(path), text)]


def scan_for_deciding_imports(folder: str | Path) -> list[str]:
    """Every import of a deciding module (or of solutions/) in the Python files and notebooks under ``folder``:
    ``file:line: module``."""
    hits = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".ipynb"):
            continue
        for where, code in _code_of(path):
            for line, name in _imports_in_python(code):
                if _deciding_name(name):
                    hits.append(f"{where}:{line}: imports {name}")
    return hits


# ---------------------------------------------------------------- copies of the engine

SIMILARITY_THRESHOLD = 0.30
_SHINGLE = 12
_DECIDING_FILES = (
    "engine.py",
    "call.py",
    "thread.py",
    "chain.py",
    "capabilities.py",
    "com.py",
    "kerberos.py",
    "tables.py",
    "tokens.py",
    "decisions.py",
    "space.py",
)


def _tokens(source: str) -> list[str]:
    """Tokens with names and literals normalised, so renaming variables does not hide a copy.

    Function signatures (``def`` up to its colon) are left out: the exercise hands the student the
    signature, and a typed signature's shape says nothing about where the body came from.
    """
    out = []
    in_signature, depth = False, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME and tok.string == "def":
                in_signature, depth = True, 0
                continue
            if in_signature:
                if tok.type == tokenize.OP and tok.string in "([{":
                    depth += 1
                elif tok.type == tokenize.OP and tok.string in ")]}":
                    depth -= 1
                elif tok.type == tokenize.OP and tok.string == ":" and depth == 0:
                    in_signature = False
                continue
            if tok.type == tokenize.NAME:
                out.append(tok.string if tok.string in _KEYWORDS else "N")
            elif tok.type in (tokenize.NUMBER, tokenize.STRING):
                out.append("L")
            elif tok.type == tokenize.OP:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


_KEYWORDS = frozenset(__import__("keyword").kwlist)


def _shingles(tokens: list[str]) -> set[int]:
    return {hash(tuple(tokens[i : i + _SHINGLE])) for i in range(max(0, len(tokens) - _SHINGLE + 1))}


@lru_cache(maxsize=1)
def _engine_shingles() -> frozenset[int]:
    root = Path(__file__).resolve().parent.parent
    found: set[int] = set()
    for name in _DECIDING_FILES:
        path = root / name
        if path.exists():
            found |= _shingles(_tokens(path.read_text(encoding="utf-8")))
    return frozenset(found)


def engine_similarity(source: str) -> float:
    """Share of the submission's token shingles that also occur in the package's deciding code (0..1)."""
    mine = _shingles(_tokens(source))
    if len(mine) < 20:  # too short to say anything
        return 0.0
    return len(mine & _engine_shingles()) / len(mine)


def similarity_problem(source: str, module: str) -> str:
    """A problem line for the instructor if ``source`` looks copied from the engine, else ''."""
    share = engine_similarity(source)
    if share < SIMILARITY_THRESHOLD:
        return ""
    return (
        f"{module}.py: {share:.0%} of its code matches the engine's own deciding code (token shingles); "
        "check by hand whether it is a copy of the package"
    )
