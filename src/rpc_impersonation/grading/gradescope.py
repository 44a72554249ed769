"""A Gradescope autograder: a zip with setup.sh and run_autograder that grades one submission on
Gradescope's machines and writes /autograder/results/results.json."""

from __future__ import annotations

import json
import traceback
import zipfile
from pathlib import Path

from .classroom import atomic_write
from .masters import load_masters
from .report import gradescope_results
from .runner import cap, grade_submission
from .sandbox import choose_isolation
from .submissions import read_folder

__all__ = ["build_autograder", "run_submission"]

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image: Python and bubblewrap (the sandbox).
set -euo pipefail
if ! command -v python3 >/dev/null || ! command -v bwrap >/dev/null; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 bubblewrap
fi
python3 --version
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT lets an instructor try it locally.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
# the masters hold the solutions and the hidden tests: readable by root (the grader) only
chmod 700 "$ROOT/source/solutions" || true
chmod 600 "$ROOT/source/solutions"/*.py || true
cd "$ROOT/source"
# Gradescope's container may not allow bubblewrap's namespaces; the grader then falls back to a child
# process under its own uid with rlimits (the masters above are out of its reach) and says so in the log.
status=0
PYTHONPATH="$ROOT/source/package" python3 -m rpc_impersonation.grading gradescope-run --allow-weak-isolation \\
    --submission "$ROOT/submission" --solutions "$ROOT/source/solutions" --results "$ROOT/results/results.json" \\
    || status=$?
if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$ROOT/results/results.json" 2>/dev/null; then
    # the grader could not even start (a broken Python, say): the student still gets a valid result
    echo '{"score": 0, "output": "The autograder could not run; your instructor has the log.", "tests": []}' \\
        > "$ROOT/results/results.json"
fi
echo "grader exit status: $status"  # the log keeps it; results.json is what Gradescope reads
exit 0
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
            add(f"solutions/{m.path.name}", m.path.read_bytes(), 0o600)  # root only, again at run time
    return out


def run_submission(submission: Path, solutions: Path, results: Path, allow_weak_isolation: bool = False) -> dict:
    """Grade the one submission Gradescope unpacked in ``submission``; write results.json.

    Always writes a valid results.json: if grading itself fails, a score of 0 with the reason (the
    student then sees why instead of "autograder failed"; the log has the details)."""
    try:
        masters = load_masters(solutions)
        # the class run's discovery: links, stray or broken notebooks and near-miss names are problems or notes
        sub = read_folder(submission, [m.module for m in masters])
        isolation = choose_isolation(untrusted=True, allow_weak=allow_weak_isolation)
        print(f"isolation: {isolation.describe()}")
        try:
            exercise_results = grade_submission(masters, sub.files, hidden=True, isolation=isolation)
        finally:
            isolation.close()
        doc = gradescope_results(exercise_results)
        notes = [f"problem: {p}" for p in sub.problems] + [f"note: {w}" for w in sub.warnings]
        doc["output"] = "\n".join(filter(None, [*notes, doc["output"]]))
    except BaseException as exc:  # noqa: BLE001 - Gradescope must always get a results.json
        traceback.print_exc()
        doc = {
            "score": 0,
            "output": cap(
                f"The autograder could not grade this submission ({type(exc).__name__}: "
                f"{exc}). Your instructor has the details; please tell them.",
                1000,
            ),
            "stdout_visibility": "hidden",
            "tests": [],
        }
        if not isinstance(exc, Exception):
            atomic_write(results, json.dumps(doc, indent=1, sort_keys=True))
            raise
    atomic_write(results, json.dumps(doc, indent=1, sort_keys=True))
    return doc
