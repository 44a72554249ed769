"""Time the whole course under `pytest --nbval` and the floor: one bare kernel start per notebook.

Run: .venv/bin/python benchmarks/notebooks.py [--repeat 3]
Target (issue 4): the course under nbval in <= 90 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def nbval_run() -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "notebooks",
            "--nbval-sanitize-with",
            "notebooks/sanitize.cfg",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def bare_kernels(count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    n = parser.parse_args().repeat
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    runs = [nbval_run() for _ in range(n)]
    floors = [bare_kernels(len(notebooks)) for _ in range(n)]
    print(f"{len(notebooks)} notebooks, {n} runs each")
    print(
        f"pytest --nbval notebooks/: median {statistics.median(runs):.1f} s (min {min(runs):.1f}, "
        f"max {max(runs):.1f}); target <= 90 s"
    )
    print(
        f"floor, one bare kernel per notebook: median {statistics.median(floors):.1f} s "
        f"(min {min(floors):.1f}, max {max(floors):.1f})"
    )


if __name__ == "__main__":
    main()
