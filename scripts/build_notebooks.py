"""Build the course notebooks from notebooks/source/*.nb and execute them in a fresh kernel.

Usage: .venv/bin/python scripts/build_notebooks.py [NAME ...]   (default: every notebook)

A source file is a sequence of cells, each starting with a line ``=== markdown`` or
``=== code [tag ...]``. Every notebook is executed top to bottom in a fresh ``python3`` kernel
and saved with its outputs, deterministic cell ids and no widget state (its model ids are random).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebooks" / "source"
OUT = ROOT / "notebooks"


def parse(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    cells, current, kind, tags = [], [], None, []

    def flush():
        if kind is None:
            return
        text = "\n".join(current).strip("\n")
        cell = nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            flush()
            words = line[4:].split()
            kind, tags, current = words[0], words[1:], []
            if kind not in ("markdown", "code"):
                raise SystemExit(f"{path.name}: unknown cell kind {kind!r}")
        else:
            current.append(line)
    flush()
    for i, cell in enumerate(cells):
        cell["id"] = f"{path.stem}-{i:02d}"
    nb.cells = cells
    return nb


def build(name: str) -> float:
    src = SOURCE / f"{name}.nb"
    nb = parse(src)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(OUT)}}, record_timing=False,
                   shutdown_kernel="immediate").execute()
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, OUT / f"{name}.ipynb")
    return time.perf_counter() - start


def main(names: list[str]) -> None:
    names = names or sorted(p.stem for p in SOURCE.glob("*.nb"))
    for name in names:
        print(f"{name}: executed in {build(name):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
