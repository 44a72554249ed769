"""Command line for students and instructors (see docs/grading.md).

Exit status: 0 done; 1 done, but some students need the instructor's attention (a file that could
not be read, a conflict, a submission matching nobody in the roster); 2 bad input or an error;
130 interrupted (Ctrl-C or SIGTERM; what was graded is kept and the gradebook is marked partial).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from ..errors import ImpersonationError

__all__ = ["main"]

_DESCRIPTION = """Exercises and grading for the RPC/COM impersonation course.
Students run `check`; instructors run the other commands from the course folder (the folder
holding solutions/ and exercises/), or name it with --root (before or after the command)."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("rpc-impersonation")
    except Exception:  # noqa: BLE001 - not installed (e.g. inside the Gradescope zip): the package's own
        from .. import __version__

        return __version__


def _parser() -> argparse.ArgumentParser:
    root_help = "the course folder holding solutions/ and exercises/ (default: found from the current folder)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, help=root_help)
    parser = argparse.ArgumentParser(
        prog="python -m rpc_impersonation.grading",
        description=_DESCRIPTION,
        epilog="Exit status: 0 done, 1 done but some students need attention, "
        "2 bad input, 130 interrupted. Details: docs/grading.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--root", default=None, help=root_help)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do; 'COMMAND --help' explains each"
    )
    p = sub.add_parser(
        "check",
        help="student self-check: run the visible tests of an exercise (or all)",
        description="Run the visible tests of one exercise (or all) against your module(s).",
    )
    p.add_argument("exercise", nargs="?", default="all", help="ex1 ... ex8 or the module name, or 'all' (default)")
    p.add_argument("--folder", help="the course folder holding exercises/ (default: found from the current folder)")
    sub.add_parser(
        "assign",
        parents=[common],
        help="generate exercises/ (the student view) from solutions/",
        description="Write exercises/ (modules with stubs, visible tests, notebooks) from the masters.",
    )
    sub.add_parser(
        "verify",
        parents=[common],
        help="student view up to date, solutions 100%%, stubs 0, no leaks",
        description="Check that exercises/ is current, every solution scores full marks, every "
        "untouched stub scores 0, and nothing of solutions/ leaked. Exit 1 when not.",
    )
    p = sub.add_parser(
        "release",
        parents=[common],
        help="build the student bundle as a folder and a zip",
        description="Build the student bundle OUT/ and OUT.zip: notebooks, exercises with their "
        "visible tests, the docs the notebooks link to and a README on how to work "
        "and submit. Refuses a non-empty OUT (see --force) and any OUT that holds or "
        "is inside the course.",
    )
    p.add_argument("out", help="the bundle folder to create, e.g. dist/student-bundle (OUT.zip is written next to it)")
    p.add_argument("--force", action="store_true", help="replace OUT (and OUT.zip) when they hold an earlier bundle")
    _grade_command(sub, common)
    _gradescope_commands(sub, common)
    return parser


def _grade_command(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "grade",
        parents=[common],
        help="grade a folder of submissions into a results folder",
        description="Grade every student's submission in SUBMISSIONS into the results folder "
        "OUT (see docs/grading.md for the accepted layouts and the files written). "
        "A summary of the run and every problem is printed at the end.",
    )
    p.add_argument(
        "submissions",
        help="the class folder: one folder, zip or notebook per student, or an "
        "LMS download (Canvas file names, Moodle folders)",
    )
    p.add_argument("out", help="the results folder (created; re-runs reuse what is unchanged), e.g. results/hw1")
    p.add_argument(
        "--assignment",
        metavar="FILE",
        help="an assignment file (TOML: exercises, points, due date, "
        "late policy); default: every exercise, no due date",
    )
    p.add_argument(
        "--exercises", metavar="LIST", help="grade only these exercises, e.g. ex1,ex3 (instead of --assignment)"
    )
    p.add_argument(
        "--roster",
        metavar="CSV",
        help="the class roster (columns id, name, email; optional lms_id, "
        "section, login): adds ids and emails and the LMS exports",
    )
    p.add_argument(
        "--resolve",
        metavar="FILE",
        help="a resolutions file (TOML): which file wins a conflict, a student's submission time or extended due date",
    )
    p.add_argument("--force", action="store_true", help="grade again even what is already graded")
    p.add_argument(
        "--allow-weak-isolation",
        action="store_true",
        help="when bubblewrap is not usable, run student code in a plain child process (it can "
        "read this machine's files: only for code you trust)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=2 * (os.cpu_count() or 1),
        help="submissions graded at once (default: twice the cores; most time is spent waiting)",
    )


def _gradescope_commands(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "gradescope",
        parents=[common],
        help="build a Gradescope autograder zip",
        description="Write a Gradescope autograder zip (setup.sh, run_autograder, engine, masters).",
    )
    p.add_argument("out", help="the zip to write, e.g. dist/autograder.zip")
    p = sub.add_parser(
        "gradescope-run",
        help="(inside the autograder) grade one submission",
        description="Used by run_autograder on Gradescope's machine.",
    )
    p.add_argument("--submission", required=True, help="the folder holding the student's files")
    p.add_argument("--solutions", required=True, help="the folder holding the masters")
    p.add_argument("--results", required=True, help="the results.json to write")
    p.add_argument(
        "--allow-weak-isolation",
        action="store_true",
        help="when bubblewrap is not usable, grade in a plain child process (run_autograder passes it)",
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()
        return code
    except ImpersonationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _quiet_stdout()
        return 141


def _quiet_stdout() -> None:
    """The reader went away (``... | head``): say nothing more, and let exit not complain either."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _run(args: argparse.Namespace) -> int:
    from .course import assign, check, find_root, release, verify

    if args.command == "check":
        report = check(args.exercise, args.folder or args.root)
        print(report)
        print(f"\ntotal: {report.score:g}/{report.max_score:g} on the visible tests")
        return 0 if report.passed else 1
    if args.command == "gradescope-run":
        from .gradescope import run_submission

        doc = run_submission(
            Path(args.submission),
            Path(args.solutions),
            Path(args.results),
            allow_weak_isolation=args.allow_weak_isolation,
        )
        print(f"score {doc['score']}")
        return 0
    if args.root is not None:
        root = Path(args.root)
        if not root.is_dir():
            raise ImpersonationError(f"--root {args.root}: no such folder")
        if not (root / "solutions").is_dir() and not (root / "exercises").is_dir():
            raise ImpersonationError(
                f"--root {args.root}: not a course folder (it holds neither solutions/ nor exercises/)"
            )
        root = root.resolve()
    else:
        root = find_root()
    if args.command == "assign":
        for path in assign(root):
            print(path.relative_to(root))
        return 0
    if args.command == "verify":
        verified = verify(root)
        print(verified)
        return 0 if verified.ok else 1
    if args.command == "release":
        folder, archive = release(root, Path(args.out), force=args.force)
        print(f"student bundle: {folder} and {archive}")
        return 0
    if args.command == "gradescope":
        from .gradescope import build_autograder

        print(build_autograder(root, Path(args.out).resolve()))
        return 0
    return _grade(args, root)


def _grade(args: argparse.Namespace, root: Path) -> int:
    from .assignment import Assignment
    from .classroom import grade_class
    from .masters import load_masters
    from .roster import Roster
    from .submissions import Resolutions

    if args.assignment and args.exercises:
        raise ImpersonationError("give --assignment or --exercises, not both")
    if args.jobs < 1:
        raise ImpersonationError(f"--jobs {args.jobs}: expected a whole number >= 1")
    masters = load_masters(root / "solutions")
    assignment = (
        Assignment.load(args.assignment, masters)
        if args.assignment
        else Assignment.of_exercises([e.strip() for e in args.exercises.split(",") if e.strip()], masters)
        if args.exercises
        else None
    )
    roster = Roster.load(args.roster) if args.roster else None
    resolutions = Resolutions.load(args.resolve)
    stop = threading.Event()
    with _scratch_root() as scratch, _interrupts(stop):
        try:
            run = grade_class(
                Path(args.submissions),
                Path(args.out),
                root / "solutions",
                force=args.force,
                jobs=args.jobs,
                assignment=assignment,
                roster=roster,
                resolutions=resolutions,
                stop=stop,
                allow_weak_isolation=args.allow_weak_isolation,
            )
        except KeyboardInterrupt:  # before grading began: nothing to keep
            _end_children()
            shutil.rmtree(scratch, ignore_errors=True)
            print(
                f"interrupted; every student graded so far is kept in {Path(args.out) / 'students'}: "
                f"run the same command again to finish",
                file=sys.stderr,
            )
            return 130
        print(console_summary(run, Path(args.out)))
        if run.interrupted:
            from multiprocessing import util

            _end_children()
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(util.get_temp_dir(), ignore_errors=True)  # its finalizer will not run
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)  # graders still finishing a student in other threads are not waited for
    unmatched = run.matching and (run.matching.unmatched or run.matching.ambiguous)
    return 1 if run.students_with_problems or unmatched else 0


def console_summary(run, out: Path) -> str:
    """The table printed at the end of every grade run."""
    a = run.assignment
    due = f", due {a.due.isoformat()}" if a.due else ""
    lines = [
        "",
        f"{'INTERRUPTED: ' if run.interrupted else ''}{a.title}: {', '.join(a.exercises)}{due}",
        f"  students found    {len(run.submissions)}",
        f"  graded now        {len(run.graded)}",
        f"  unchanged (kept)  {len(run.reused)}" + ("  (use --force to grade them again)" if run.reused else ""),
    ]
    if run.interrupted:
        lines.append(
            f"  not graded        {len(run.submissions) - len(run.results)} (interrupted; run again to finish)"
        )
    if run.removed:
        lines.append(f"  no longer in the class, results moved to removed/: {', '.join(run.removed)}")
    late = [s for s, g in run.grades.items() if g.lateness.days]
    if late:
        lines.append(
            f"  late              {len(late)}: "
            + ", ".join(f"{s} ({run.grades[s].lateness.days} d)" for s in sorted(late))
        )
    if run.grades:
        totals = sorted(g.total for g in run.grades.values())
        most = max(g.max for g in run.grades.values())
        lines.append(
            f"  total             mean {sum(totals) / len(totals):.1f}, median "
            f"{totals[len(totals) // 2]:g}, max possible {most:g}"
        )
    for m in run.masters:
        handed = [s for s in run.grades if m.module in run.submissions[s].files]
        scores = [run.grades[s].exercises[m.id][0] for s in handed]
        worth = next((g.exercises[m.id][1] for g in run.grades.values() if m.id in g.exercises), 0)
        mean = f"mean {sum(scores) / len(scores):.1f}" if scores else "mean -"
        lines.append(
            f"  {m.id:<5} {worth:>4g} pts  handed in {len(handed)}/{len(run.submissions)}, {mean}, "
            f"full marks {sum(x == worth for x in scores)}"
        )
    problems = run.students_with_problems
    lines.append(f"problems ({len(problems)} students)" + (":" if problems else ": none"))
    for s in problems:
        for p in run.problems(s):
            lines.append(f"  {s}: {p}")
    warned = [(s, w) for s, sub in sorted(run.submissions.items()) for w in sub.warnings]
    if warned:
        lines.append(f"warnings ({len(warned)}; accepted, see the feedback and manifest.json):")
        lines += [f"  {s}: {w}" for s, w in warned[:30]]
        if len(warned) > 30:
            lines.append(f"  ... and {len(warned) - 30} more in manifest.json")
    lines += [f"ignored: {w}" for w in run.stray]
    m = run.matching
    if m:
        lines += [f"not in the roster (not graded): {u}" for u in m.unmatched]
        lines += [f"matches several students in the roster (not graded): {u}" for u in m.ambiguous]
        if m.missing:
            lines.append(f"no submission ({len(m.missing)}): " + ", ".join(f"{s.id} {s.name}" for s in m.missing))
    lines.append(f"gradebook: {out / 'gradebook.csv'}" + (" (PARTIAL)" if run.interrupted else ""))
    if not run.interrupted:
        lines.append(
            f"summary: {out / 'summary.md'}; item analysis: {out / 'item_analysis.html'}; exports: {out / 'export'}"
        )
    return "\n".join(lines)


@contextlib.contextmanager
def _scratch_root():
    """Every temporary folder of this run lives in one folder removed at the end, whatever happens."""
    from multiprocessing import util

    util.get_temp_dir()  # multiprocessing's own folder stays outside: its cleanup runs at exit, after ours
    scratch = tempfile.mkdtemp(prefix="rpc-grade-run-")
    os.chmod(scratch, 0o711)  # the sandbox user may enter its own folder, not list the others
    before = tempfile.tempdir
    tempfile.tempdir = scratch
    try:
        yield scratch
    finally:
        tempfile.tempdir = before
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def _interrupts(stop: threading.Event):
    """Ctrl-C and SIGTERM stop the run the same way: KeyboardInterrupt in the main thread."""

    def handler(signum, frame):
        if stop.is_set():
            return  # already stopping: finish writing what we have
        stop.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _end_children() -> None:
    """Kill every process this run started (sandbox children, the fork server, their children)."""
    import multiprocessing

    for p in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            p.kill()
    for pid in reversed(_descendants(os.getpid())):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
