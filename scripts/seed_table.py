"""Print the seed-statement table of docs/modeling-decisions.md from rpc_impersonation.seeds.

Usage: .venv/bin/python scripts/seed_table.py [--write]   (--write updates the docs in place)
"""

import ast
import sys
from pathlib import Path

from rpc_impersonation.seeds import SEED_STATEMENTS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "modeling-decisions.md"
BEGIN, END = "<!-- seed-table:begin -->", "<!-- seed-table:end -->"


def seed_tests() -> dict[str, str]:
    """Seed id -> test function name, read from the @seed(...) decorators of tests/test_seeds.py."""
    tree = ast.parse((ROOT / "tests" / "test_seeds.py").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "seed":
                    out[d.args[0].value] = node.name
    return out


def table() -> str:
    tests = seed_tests()
    rows = ["| id | statement (paraphrased) | rules | notebook section | exercise | scenario | test |",
            "|---|---|---|---|---|---|---|"]
    for s in SEED_STATEMENTS:
        rows.append(f"| {s.id} | {s.statement} | {', '.join(s.rules)} | {s.notebook}: {s.section} | {s.exercise} | "
                    f"{s.scenario or '-'} | `tests/test_seeds.py::{tests.get(s.id, 'MISSING')}` |")
    return "\n".join(rows)


def main() -> None:
    block = f"{BEGIN}\n{table()}\n{END}"
    if "--write" in sys.argv:
        text = DOC.read_text()
        start, end = text.index(BEGIN), text.index(END) + len(END)
        DOC.write_text(text[:start] + block + text[end:])
    else:
        print(block)


if __name__ == "__main__":
    main()
