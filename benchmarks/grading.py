"""Grade a synthetic class and time it; optionally compare with nbgrader on the same answers.

Run: .venv/bin/python benchmarks/grading.py [--students 200] [--jobs 2]
Targets (issue 5): 200 submissions in <= 30 s on this 2-core machine, and >= 20x nbgrader's
throughput when nbgrader is installed (pip install nbgrader; an optional extra for benchmarks only).

The class mixes correct, partly wrong, broken (syntax error, missing file) and hostile (endless loop,
os._exit) submissions; each submission holds all eight exercises.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from rpc_impersonation.grading.classroom import grade_class
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.runner import Budget

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("correct", "correct", "correct", "partly wrong", "partly wrong", "broken", "hostile", "untouched")


def make_class(folder: Path, students: int) -> dict[str, int]:
    masters = load_masters(ROOT / "solutions")
    hostile = (ROOT / "tests" / "hostile")
    counts: dict[str, int] = {}
    for i in range(students):
        kind = KINDS[i % len(KINDS)]
        counts[kind] = counts.get(kind, 0) + 1
        d = folder / f"student{i:03d}"
        d.mkdir(parents=True)
        for j, m in enumerate(masters):
            if kind == "correct":
                text = m.solution_code
            elif kind == "partly wrong":
                text = m.solution_code if j % 2 else m.student_code()
            elif kind == "broken":
                if j == 0:
                    continue  # a deleted file
                text = m.solution_code + ("\ndef broken(:\n" if j == 1 else "")
            elif kind == "hostile":
                case = ("infinite_loop", "os_exit")[i % 2] if m.id == "ex1" else None
                text = (hostile / case / f"{m.module}.py").read_text() if case else m.solution_code
            else:
                text = m.student_code()
            (d / f"{m.module}.py").write_text(text)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            counts = make_class(tmp / "submissions", args.students)
            start = time.perf_counter()
            results = grade_class(tmp / "submissions", tmp / "results", ROOT / "solutions", jobs=args.jobs,
                                  budget=Budget(per_call=1.0, per_exercise=20.0), progress_stream=open("/dev/null", "w"))
            times.append(time.perf_counter() - start)
            assert len(results) == args.students
    per = statistics.median(times) / args.students
    print(f"class of {args.students}: {counts}")
    print(f"graded {args.students} submissions x 8 exercises in median {statistics.median(times):.1f} s "
          f"(min {min(times):.1f}, n={len(times)}), {per * 1000:.0f} ms per submission, jobs={args.jobs}; "
          "target <= 30 s")
    if shutil.which("nbgrader"):
        print("nbgrader is installed: run benchmarks/grading_vs_nbgrader.md's steps to compare side by side")
    else:
        print("nbgrader not installed: comparison against nbgrader's ~1 s per submission (shared/perf anchors) only")
        print(f"ratio against 1.0 s/submission: {1.0 / per:.1f}x")


if __name__ == "__main__":
    main()
