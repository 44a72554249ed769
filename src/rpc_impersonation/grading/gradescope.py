"""A Gradescope autograder: a zip with setup.sh and run_autograder that grades one submission on
Gradescope's machines and writes /autograder/results/results.json."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from .classroom import atomic_write
from .masters import load_masters
from .report import gradescope_results
from .runner import grade_exercise
from .submissions import read_folder

__all__ = ["build_autograder", "run_submission"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
if ! command -v python3 >/dev/null; then
    apt-get update && apt-get install -y python3
fi
python3 --version
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT lets an instructor try it locally.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
PYTHONPATH="$ROOT/source/package" python3 -m rpc_impersonation.grading gradescope-run \\
    --submission "$ROOT/submission" --solutions "$ROOT/source/solutions" --results "$ROOT/results/results.json"
"""


def build_autograder(root: Path, out: Path) -> Path:
    """Zip: setup.sh, run_autograder, the package source (no install needed) and the masters."""
    package = Path(__file__).resolve().parent.parent
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name: str, data: bytes, mode: int = 0o644) -> None:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (mode | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)

        add("setup.sh", SETUP.encode(), 0o755)
        add("run_autograder", RUN.encode(), 0o755)
        for p in sorted(package.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".json"):
                add(f"package/rpc_impersonation/{p.relative_to(package)}", p.read_bytes())
        for m in load_masters(root / "solutions"):
            add(f"solutions/{m.path.name}", m.path.read_bytes())
    return out


def run_submission(submission: Path, solutions: Path, results: Path) -> dict:
    """Grade the one submission Gradescope unpacked in ``submission``; write results.json."""
    masters = load_masters(solutions)
    sub = read_folder(submission, [m.module for m in masters])
    exercise_results = [grade_exercise(m, sub.files.get(m.module), hidden=True) for m in masters]
    doc = gradescope_results(exercise_results)
    notes = [f"problem: {p}" for p in sub.problems] + [f"note: {w}" for w in sub.warnings]
    doc["output"] = "\n".join(filter(None, [*notes, doc["output"]]))
    atomic_write(results, json.dumps(doc, indent=1, sort_keys=True))
    return doc
