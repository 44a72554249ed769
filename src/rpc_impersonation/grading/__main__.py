"""Command line for students and instructors (see docs/grading.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ImpersonationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rpc_impersonation.grading")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="student self-check: run the visible tests of an exercise (or all)")
    p.add_argument("exercise", nargs="?", default="all")
    p.add_argument("--folder", help="the course folder (default: found from the current folder)")
    p = sub.add_parser("assign", help="generate exercises/ (the student view) from solutions/")
    p.add_argument("--root", default=None)
    p = sub.add_parser("verify", help="student view up to date, solutions 100%%, stubs 0, no leaks")
    p.add_argument("--root", default=None)
    p = sub.add_parser("release", help="build the student bundle as a folder and a zip")
    p.add_argument("out")
    p.add_argument("--root", default=None)
    p = sub.add_parser("grade", help="grade a folder of submissions into a results folder")
    p.add_argument("submissions")
    p.add_argument("out")
    p.add_argument("--root", default=None)
    p.add_argument("--force", action="store_true", help="grade again even what is already graded")
    p.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 1),
                   help="submissions graded at once (default: twice the cores; most time is spent waiting)")
    p.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even where the bubblewrap sandbox cannot run (student code could read this machine)")
    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip")
    p.add_argument("out")
    p.add_argument("--root", default=None)
    p = sub.add_parser("gradescope-run", help="(inside the autograder) grade one submission")
    p.add_argument("--submission", required=True)
    p.add_argument("--solutions", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--allow-weak-isolation", action="store_true")
    args = parser.parse_args(argv)

    from .course import assign, check, find_root, release, verify

    try:
        root = find_root(Path(args.root)) if getattr(args, "root", None) else None
        if args.command == "check":
            report = check(args.exercise, args.folder)
            print(report)
            print(f"\ntotal: {report.score:g}/{report.max_score:g} on the visible tests")
            return 0 if report.passed else 1
        root = root or find_root()
        if args.command == "assign":
            for path in assign(root):
                print(path.relative_to(root))
            return 0
        if args.command == "verify":
            report = verify(root)
            print(report)
            return 0 if report.ok else 1
        if args.command == "release":
            folder, archive = release(root, Path(args.out).resolve())
            print(f"student bundle: {folder} and {archive}")
            return 0
        if args.command == "grade":
            from .classroom import grade_class
            results = grade_class(Path(args.submissions), Path(args.out), root / "solutions", force=args.force,
                                  jobs=args.jobs, allow_weak_isolation=args.allow_weak_isolation)
            print(f"graded {len(results)} students; gradebook: {Path(args.out) / 'gradebook.csv'}")
            return 0
        if args.command == "gradescope":
            from .gradescope import build_autograder
            print(build_autograder(root, Path(args.out).resolve()))
            return 0
        if args.command == "gradescope-run":
            from .gradescope import run_submission
            doc = run_submission(Path(args.submission), Path(args.solutions), Path(args.results),
                                 allow_weak_isolation=args.allow_weak_isolation)
            print(f"score {doc['score']}")
            return 0
    except ImpersonationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
