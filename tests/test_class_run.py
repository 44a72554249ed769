"""Running a real class (issue 14): release safety, submission discovery, problems at the console,
assignments/rosters/late work/exports, interrupts, the Gradescope runner, the student bundle, the
command line and item analysis. Each test names the issue item it covers."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.analysis import item_analysis
from rpc_impersonation.grading.assignment import Assignment
from rpc_impersonation.grading.classroom import grade_class
from rpc_impersonation.grading.course import release
from rpc_impersonation.grading.gradescope import run_submission
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.roster import Roster
from rpc_impersonation.grading.runner import Budget, ExerciseResult
from rpc_impersonation.grading.runner import TestResult as Outcome
from rpc_impersonation.grading.submissions import Resolutions, discover

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
EX1, EX3 = MASTERS["ex1"], MASTERS["ex3"]
EX1_MAX = sum(t.points for t in EX1.tests())
MODULES = [m.module for m in MASTERS.values()]
QUICK = Budget(per_call=2.0, per_exercise=12.0, import_time=4.0)
WRONG_EX1 = "def can_do(level, action):\n    return True\n"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def cli(*args, cwd: Path, timeout: float = 240, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rpc_impersonation.grading", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or ENV,
    )


def course_copy(tmp: Path) -> Path:
    course = tmp / "course"
    for part in ("notebooks", "exercises", "solutions", "docs", "assignments"):
        shutil.copytree(ROOT / part, course / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (course / ".git").mkdir()
    (course / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return course


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. release never deletes what it should not ----------------------------------------------------------------


def test_1_release_refuses_a_non_empty_folder_and_anything_holding_or_inside_the_course(tmp_path):
    course = course_copy(tmp_path)
    notebooks_before = sorted(p.name for p in (course / "notebooks").iterdir())
    mine = write(tmp_path / "mystuff" / "thesis.tex", "precious")
    done = cli("release", tmp_path / "mystuff", cwd=course)
    assert done.returncode == 2 and "is not empty" in done.stderr and "Traceback" not in done.stderr
    assert mine.read_text() == "precious"
    done = cli("release", tmp_path / "mystuff", "--force", cwd=course)
    assert done.returncode == 2 and "not an earlier student bundle" in done.stderr and mine.exists()
    for target, root in (("notebooks", course), (str(course), course), ("dist/bundle", course)):
        done = cli("--root", root, "release", target, cwd=course)
        assert done.returncode == 2 and "course folder" in done.stderr, (target, done.stderr)
        done = cli("release", target, "--force", "--root", root, cwd=course)
        assert done.returncode == 2 and "course folder" in done.stderr, (target, done.stderr)
    assert sorted(p.name for p in (course / "notebooks").iterdir()) == notebooks_before
    assert (course / ".git" / "HEAD").exists() and (course / "solutions" / f"{EX1.module}.py").exists()
    # the course's parent holds the course: refused too
    with pytest.raises(ImpersonationError, match="holds the course folder"):
        release(course, tmp_path, force=True)
    # a fresh folder works; replacing it needs --force, and only an earlier bundle is replaced
    assert cli("release", tmp_path / "dist" / "bundle", cwd=course).returncode == 0
    assert cli("release", tmp_path / "dist" / "bundle", cwd=course).returncode == 2
    assert cli("release", tmp_path / "dist" / "bundle", "--force", cwd=course).returncode == 0
    assert (tmp_path / "dist" / "bundle.zip").exists() and (course / "notebooks" / "00_start_here.ipynb").exists()


# --- 2. discovery: explicit, one file per (student, exercise) ----------------------------------------------------


def messy_class(subs: Path) -> None:
    # folder + zip with a different ex1: a conflict, never merged
    write(subs / "ana" / f"{EX1.module}.py", EX1.solution_code)
    with zipfile.ZipFile(subs / "ana.zip", "w") as z:
        z.writestr(f"{EX1.module}.py", WRONG_EX1)
        z.writestr(f"{EX3.module}.py", EX3.solution_code)
    # old/ and final/ holding the same module
    write(subs / "ben" / "old" / f"{EX1.module}.py", WRONG_EX1)
    write(subs / "ben" / "final" / f"{EX1.module}.py", EX1.solution_code)
    # near misses: a "(1)" copy, wrong case, a short name
    write(subs / "cat" / "ex1_level_capabilities (1).py", EX1.solution_code)
    write(subs / "cat" / "Ex3_Least_QOS.py", EX3.solution_code)
    write(subs / "cat" / "ex4.py", MASTERS["ex4"].solution_code)
    write(subs / "cat" / "ex5_typo.py", "x = 1\n")
    # Canvas names (one student, two files, a -1 copy and a LATE marker)
    write(subs / f"lovelace_ada_23001_9901_{EX1.module}.py", EX1.solution_code)
    write(subs / "lovelace_ada_LATE_23001_9902_ex3_least_qos-1.py", EX3.solution_code)
    # Moodle: a folder per student
    write(subs / "Bea Moreau_23002_assignsubmission_file_" / f"{EX1.module}.py", EX1.solution_code)
    (subs / "Cy Tanaka_23003_assignsubmission_file_").mkdir()
    with zipfile.ZipFile(subs / "Cy Tanaka_23003_assignsubmission_file_" / "hw1.zip", "w") as z:
        z.writestr(f"hw1/{EX3.module}.py", EX3.solution_code)
    # junk that is no student
    write(subs / "__MACOSX" / "ana" / f"._{EX1.module}.py", "binary junk")
    write(subs / ".DS_Store", "junk")
    write(subs / "dan" / "__MACOSX" / f"{EX1.module}.py", WRONG_EX1)
    write(subs / "dan" / f"{EX1.module}.py", EX1.solution_code)


def test_2_discovery_resolves_one_file_per_exercise_and_flags_conflicts(tmp_path):
    subs = tmp_path / "subs"
    messy_class(subs)
    found = {s.student: s for s in discover(subs, MODULES)}
    assert "__MACOSX" not in found and "DS_Store" not in found
    ana = found["ana"]
    assert EX1.module not in ana.files and any("ex1: conflicting files" in p for p in ana.problems)
    assert ana.files[EX3.module] == EX3.solution_code and "more than once" in " ".join(ana.warnings)
    ben = found["ben"]
    assert (
        EX1.module not in ben.files and "ben/final/" in " ".join(ben.problems) and "ben/old/" in " ".join(ben.problems)
    )
    cat = found["cat"]
    assert set(cat.files) == {EX1.module, EX3.module, MASTERS["ex4"].module}
    assert any("(1).py accepted as" in w for w in cat.warnings) and any("short name" in w for w in cat.warnings)
    assert any("ex5_typo.py ignored" in w and "did you mean ex5_" in w for w in cat.warnings)
    ada = found["lovelace_ada"]
    assert ada.lms_id == "23001" and ada.lms_late and set(ada.files) == {EX1.module, EX3.module}
    bea = found["Bea_Moreau"]
    assert bea.lms_id == "23002" and bea.files[EX1.module] == EX1.solution_code
    assert found["dan"].files[EX1.module] == EX1.solution_code and not found["dan"].problems
    cy = found["Cy_Tanaka"]
    assert cy.sources == {EX3.module: f"Cy Tanaka_23003_assignsubmission_file_/hw1.zip:hw1/{EX3.module}.py"}
    # the instructor names the winner; a submission time; an unknown label is itself a problem
    rules = write(
        tmp_path / "resolve.toml",
        '[students.ben]\nex1 = "ben/final/ex1_level_capabilities.py"\n'
        'submitted = 2026-03-07T10:00:00+01:00\n[students.ana]\nex1 = "ana/nope.py"\n',
    )
    found = {s.student: s for s in discover(subs, MODULES, Resolutions.load(rules))}
    assert found["ben"].files[EX1.module] == EX1.solution_code and not found["ben"].problems
    assert found["ben"].submitted == datetime(2026, 3, 7, 9, 0, tzinfo=timezone.utc)
    assert "not one of" in found["ana"].problems[0]


def test_2_symlinks_and_escaping_zip_members_are_refused_never_read(tmp_path):
    subs = tmp_path / "subs"
    secret = write(tmp_path / "secret" / f"{EX1.module}.py", "SECRET = 'master'\n")
    (subs / "eve").mkdir(parents=True)
    os.symlink(secret, subs / "eve" / f"{EX1.module}.py")
    os.symlink(secret.parent, subs / "eve" / "linked_dir")
    os.symlink(secret, subs / f"mal__{EX3.module}.py")
    with zipfile.ZipFile(subs / "zed.zip", "w") as z:
        z.writestr(f"../{EX1.module}.py", "x = 1\n")
        z.writestr(f"/abs/{EX3.module}.py", "x = 1\n")
        link = zipfile.ZipInfo(f"{MASTERS['ex4'].module}.py")
        link.external_attr = 0o120777 << 16
        z.writestr(link, str(secret))
    found = {s.student: s for s in discover(subs, MODULES)}
    assert found["eve"].files == {} and sum("symbolic link; refused" in p for p in found["eve"].problems) == 2
    assert found["mal"].files == {} and "symbolic link" in found["mal"].problems[0]
    assert found["zed"].files == {} and len(found["zed"].problems) == 3
    assert all("refused (not read)" in p for p in found["zed"].problems)
    assert "SECRET" not in json.dumps([s.files for s in found.values()])


# --- 3. problems at the console and in the gradebook; 4. assignment, roster, late work, exports --------------------

ROSTER = """id,name,email,lms_id,section
s1001,Ada Lovelace,ada.lovelace@example.edu,23001,A
s1002,Bea Moreau,bea.moreau@example.edu,23002,A
s1003,Cy Tanaka,cy.tanaka@example.edu,,B
s1004,Dee Okafor,dee.okafor@example.edu,,B
s1005,Eli Novak,eli.novak@example.edu,,B
"""


def term_class(subs: Path) -> None:
    t = datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc).timestamp()
    for path in (
        write(subs / f"lovelace_ada_23001_9901_{EX1.module}.py", EX1.solution_code),
        write(subs / f"lovelace_ada_23001_9902_{EX3.module}.py", EX3.solution_code),
    ):
        os.utime(path, (t, t))  # on time (due 22:59 UTC)
    late = datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc).timestamp()
    path = write(subs / "Bea Moreau_23002_assignsubmission_file_" / f"{EX1.module}.py", EX1.solution_code)
    os.utime(path, (late, late))  # 2 started days late
    write(subs / "cy.tanaka.zip", "")  # the email's local part, but not a zip
    (subs / "cy.tanaka.zip").write_bytes(b"not a zip")
    write(subs / "dee.okafor@example.edu.ipynb", "{this is not json")
    write(subs / "stranger" / f"{EX1.module}.py", WRONG_EX1)  # matches nobody in the roster


def test_3_4_a_term_run_shows_problems_applies_points_and_late_policy_and_exports(tmp_path):
    course = course_copy(tmp_path)
    subs = tmp_path / "subs"
    term_class(subs)
    write(tmp_path / "roster.csv", ROSTER)
    out = tmp_path / "results"
    done = cli(
        "grade",
        "--assignment",
        course / "assignments" / "hw1.toml",
        "--roster",
        tmp_path / "roster.csv",
        subs,
        out,
        cwd=course,
    )
    assert done.returncode == 1, done.stderr
    console = done.stdout
    assert "cy.tanaka.zip is not a readable zip file" in console
    assert "dee.okafor@example.edu.ipynb is not a readable notebook" in console
    assert "not in the roster (not graded): stranger" in console and "no submission (1): s1005 Eli Novak" in console
    assert "graded now        4" in console and "Traceback" not in done.stderr
    rows = {r["id"] or r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows["s1001"]) >= {"id", "name", "email", "ex1", "ex3", "late_days", "total", "problems"}
    assert "ex2" not in rows["s1001"]  # exactly the assignment's exercises
    assert rows["s1001"]["ex1"] == "10" and rows["s1001"]["ex3"] == "10" and rows["s1001"]["total"] == "20"
    assert rows["s1001"]["email"] == "ada.lovelace@example.edu" and rows["s1001"]["max"] == "20"
    assert rows["s1002"]["late_days"] == "2" and rows["s1002"]["total"] == "8"  # 10 - 20 %
    assert "not a readable zip" in rows["s1003"]["problems"] and "not a readable notebook" in rows["s1004"]["problems"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["students"]["s1001"]["files"] == {
        EX1.module: f"lovelace_ada_23001_9901_{EX1.module}.py",
        EX3.module: f"lovelace_ada_23001_9902_{EX3.module}.py",
    }
    assert manifest["not_in_roster"] == ["stranger"] and manifest["no_submission"] == ["s1005"]
    canvas = list(csv.reader((out / "export" / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1: levels and QOS"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][5] == "20"
    assert ["Lovelace, Ada", "23001", "s1001", "ada.lovelace@example.edu", "A", "20"] in canvas
    assert ["Novak, Eli", "", "s1005", "eli.novak@example.edu", "B", "0"] in canvas
    moodle = list(csv.DictReader((out / "export" / "moodle.csv").open()))
    assert {r["Email address"]: r["Homework 1: levels and QOS"] for r in moodle}["bea.moreau@example.edu"] == "8"
    feedback = (out / "feedback" / "s1002.md").read_text()
    assert "2 day(s) late" in feedback and "8 / 20" in feedback
    summary = (out / "summary.md").read_text()
    assert "item_analysis.html" in summary and "Problems to look at" in summary
    html = (out / "item_analysis.html").read_text()
    assert "<svg" in html and "Discrimination" in html and 'src="http' not in html


def test_3_empty_class_is_an_error_and_removed_students_results_move_aside(tmp_path):
    course = course_copy(tmp_path)
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "notes.txt", "hello")
    done = cli("grade", tmp_path / "empty", tmp_path / "r", cwd=course)
    assert done.returncode == 2 and "no submissions in" in done.stderr and "notes.txt" in done.stderr
    assert not (tmp_path / "r" / "gradebook.csv").exists()
    subs = tmp_path / "subs"
    write(subs / "kim" / f"{EX1.module}.py", EX1.solution_code)
    write(subs / "lee" / f"{EX1.module}.py", WRONG_EX1)
    out = tmp_path / "results"
    grade_class(
        subs, out, ROOT / "solutions", budget=QUICK, assignment=Assignment.of_exercises(["ex1"], list(MASTERS.values()))
    )
    shutil.rmtree(subs / "lee")
    run = grade_class(
        subs, out, ROOT / "solutions", budget=QUICK, assignment=Assignment.of_exercises(["ex1"], list(MASTERS.values()))
    )
    assert run.removed == ["lee"] and run.reused == ["kim"] and run.graded == []
    assert not (out / "feedback" / "lee.md").exists() and (out / "removed" / "feedback" / "lee.md").exists()
    assert "lee" not in (out / "gradebook.csv").read_text()


def test_3_tests_failed_most_often_ignore_missing_submissions_and_the_plot_has_integer_ticks(tmp_path):
    subs = tmp_path / "subs"
    write(subs / "kim" / f"{EX1.module}.py", EX1.solution_code)
    write(subs / "lee" / f"{EX3.module}.py", EX3.solution_code)
    out = tmp_path / "results"

    def grade():
        grade_class(
            subs,
            out,
            ROOT / "solutions",
            budget=QUICK,
            assignment=Assignment.of_exercises(["ex1", "ex3"], list(MASTERS.values())),
        )

    grade()
    summary = (out / "summary.md").read_text()
    assert "Tests failed most often" not in summary  # nobody who handed an exercise in failed a test
    assert "| 1 |" in summary  # handed in: one student each
    # the plot: y-label and whole-number ticks
    from rpc_impersonation.grading import class_reports

    captured = {}
    original = class_reports._plot

    def spy(path, run):
        import matplotlib.figure

        real_savefig = matplotlib.figure.Figure.savefig

        def savefig(fig, *a, **k):
            captured["axes"] = fig.axes
            return real_savefig(fig, *a, **k)

        matplotlib.figure.Figure.savefig = savefig
        try:
            original(path, run)
        finally:
            matplotlib.figure.Figure.savefig = real_savefig

    class_reports._plot = spy
    try:
        grade()
    finally:
        class_reports._plot = original
    for ax in captured["axes"]:
        assert ax.get_ylabel() == "students"
        assert all(float(t).is_integer() for t in ax.get_yticks()) and all(
            float(t).is_integer() for t in ax.get_xticks()
        )


def test_4_assignment_and_roster_files_are_checked_with_clear_errors(tmp_path):
    masters = list(MASTERS.values())
    bad = {
        'exercises = ["ex1", "ex42"]\n': "unknown exercise 'ex42'",
        'exercises = ["ex1"]\ndue = 2026-03-06T23:59:00\n': "with a time zone",
        'exercises = ["ex1"]\n[points]\nex3 = 5\n': "points.ex3: not one of",
        'exercises = ["ex1"]\n[late]\npenalty_per_day = 10\n': "needs a due date",
        'exercises = ["ex1"]\ndue = 2026-03-06T23:59:00Z\n[late]\npenalty = 3\n': "unknown key(s) ['penalty']",
        'exercise = ["ex1"]\n': "unknown key(s) ['exercise']",
        "exercises = [\n": "not valid TOML",
    }
    for text, message in bad.items():
        with pytest.raises(ImpersonationError, match=re.escape(message)):
            Assignment.load(write(tmp_path / "a.toml", text), masters)
    for text, message in {
        "id,name\n1,A\n": "missing column(s) ['email']",
        "id,name,email\n1,A,a@x\n1,B,b@x\n": "line 3: id '1' is already used on line 2",
        "id,name,email\n1,A,nobody\n": "line 2: email 'nobody'",
    }.items():
        with pytest.raises(ImpersonationError, match=re.escape(message)):
            Roster.load(write(tmp_path / "r.csv", text))
    a = Assignment.load(ROOT / "assignments" / "hw1.toml", masters)
    due = a.due
    from datetime import timedelta

    assert a.lateness(10, due + timedelta(minutes=14)).days == 0  # grace
    assert a.lateness(10, due + timedelta(minutes=16)).penalty == 1  # 1 started day: 10 %
    assert a.lateness(10, due + timedelta(days=6)).refused  # past the cutoff
    assert "unknown" in a.lateness(10, None).note


# --- 5. interrupts, ordinary errors, honest messages ---------------------------------------------------------------


@pytest.mark.parametrize("sig,group", [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "sigterm"])
def test_5_an_interrupt_stops_within_a_second_keeps_graded_students_and_writes_a_partial_gradebook(
    tmp_path, sig, group
):
    """Ctrl-C reaches the whole process group (the sandboxes too); SIGTERM only the grader."""
    course = course_copy(tmp_path)
    subs = tmp_path / "subs"
    for name in ("a1", "a2"):
        write(subs / name / f"{EX1.module}.py", EX1.solution_code)
    for i in range(6):
        shutil.copytree(HOSTILE / "infinite_loop", subs / f"z{i}")
    # the sandbox user must be able to reach the scratch folders: not under pytest's private tmp_path
    scratch = Path(tempfile.mkdtemp(prefix="class-run-tmpdir-", dir="/tmp"))
    os.chmod(scratch, 0o755)
    out = tmp_path / "results"
    env = {**ENV, "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpc_impersonation.grading", "grade", "--exercises", "ex1", "--jobs", "2", subs, out],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not all((out / "students" / f"{n}.json").exists() for n in ("a1", "a2")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # the loopers are running now
        sent = time.monotonic()
        (os.killpg if group else os.kill)(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        leftovers = list(scratch.iterdir())
        shutil.rmtree(scratch, ignore_errors=True)
    assert proc.returncode == 130, stderr
    assert took < 1.5, f"took {took:.2f} s to stop"
    assert "Traceback" not in stderr, stderr
    assert "INTERRUPTED" in stdout and "(PARTIAL)" in stdout, stderr
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["a1"]["total"] == rows["a2"]["total"] == f"{EX1_MAX:g}"
    assert any("interrupted" in r["problems"] for r in rows.values())
    assert "PARTIAL" in (out / "summary.md").read_text() and not (out / "export" / "grades.csv").exists()
    assert leftovers == []  # no temporary folder left holding student code
    time.sleep(0.3)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _in_session(p, proc.pid)]


def _in_session(p: Path, sid: int) -> bool:
    try:
        fields = (p / "stat").read_bytes().rsplit(b")", 1)[1].split()
        return int(fields[4]) == sid and fields[0] != b"Z"
    except (OSError, ValueError, IndexError):
        return False


def test_5_ordinary_errors_have_no_traceback_and_nothing_to_do_is_said_plainly(tmp_path):
    course = course_copy(tmp_path)
    subs = tmp_path / "subs"
    write(subs / "kim" / f"{EX1.module}.py", EX1.solution_code)
    out_file = write(tmp_path / "results.txt", "a file")
    done = cli("grade", "--exercises", "ex1", subs, out_file, cwd=course)
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr
    done = cli("grade", "--exercises", "ex1", subs, subs / "results", cwd=course)
    assert done.returncode == 2 and "inside the submissions folder" in done.stderr
    done = cli("grade", "--exercises", "ex1", subs, course, cwd=course)
    assert done.returncode == 2 and "looks like a course" in done.stderr
    done = cli("grade", "--exercises", "ex1,ex99", subs, tmp_path / "r", cwd=course)
    assert done.returncode == 2 and "unknown exercise 'ex99'" in done.stderr
    done = cli("grade", subs, tmp_path / "r", "--roster", tmp_path / "nope.csv", cwd=course)
    assert done.returncode == 2 and "nope.csv" in done.stderr and "Traceback" not in done.stderr
    first = cli("grade", "--exercises", "ex1,ex3", subs, tmp_path / "r", cwd=course)  # nobody handed in ex3
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert "nobody handed it in" in (tmp_path / "r" / "item_analysis.html").read_text()
    again = cli("grade", "--exercises", "ex1,ex3", subs, tmp_path / "r", cwd=course)
    assert again.returncode == 0 and "graded now        0" in again.stdout and "unchanged (kept)  1" in again.stdout
    assert "graded 1 students" not in again.stdout
    # a closed pipe is no error
    for module, args in (
        ("rpc_impersonation", ["explain", "double_hop", "--json"]),
        ("rpc_impersonation.grading", ["--help"]),
    ):
        shell = subprocess.run(
            f"{sys.executable} -m {module} {' '.join(args)} | head -c 20",
            shell=True,
            cwd=course,
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
        assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr, shell.stderr


# --- 6. the Gradescope runner never crashes on a stray file -------------------------------------------------------


def test_6_gradescope_runner_survives_a_non_json_notebook_and_a_symlink(tmp_path):
    sub = tmp_path / "submission"
    write(sub / f"{EX1.module}.py", EX1.solution_code)
    write(sub / "scratch.ipynb", "this is not json")
    os.symlink(ROOT / "solutions" / f"{EX3.module}.py", sub / f"{EX3.module}.py")
    results = tmp_path / "results" / "results.json"
    doc = run_submission(sub, ROOT / "solutions", results)
    saved = json.loads(results.read_text())
    assert saved == doc
    assert "scratch.ipynb is not a readable notebook" in doc["output"] and "symbolic link" in doc["output"]
    by_ex = {}
    for t in doc["tests"]:
        by_ex[t["name"].split(":")[0]] = by_ex.get(t["name"].split(":")[0], 0) + t["score"]
    assert by_ex["ex1"] == EX1_MAX and by_ex["ex3"] == 0


# --- 7. the student bundle, --help, --root, --version --------------------------------------------------------------


def test_7_the_bundle_tells_students_how_to_submit_and_holds_only_what_is_for_them(tmp_path):
    folder, archive = release(ROOT, tmp_path / "bundle")
    readme = (folder / "README.md").read_text()
    assert "How to submit" in readme and "# file: exN_topic.py" in readme and "zip" in readme
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*")}
    assert not any(n.endswith(".cfg") or n.startswith("notebooks/source") or "solutions" in n for n in names)
    dead = []
    for nb in folder.glob("notebooks/*.ipynb"):
        for target in re.findall(r"\]\(([^)\s#]+)", nb.read_text()):
            if "://" not in target and not (nb.parent / target).exists():
                dead.append(f"{nb.name} -> {target}")
    assert dead == []
    with zipfile.ZipFile(archive) as z:
        assert "bundle/README.md" in z.namelist() and not any(n.endswith("sanitize.cfg") for n in z.namelist())


def test_7_help_explains_every_argument_and_root_goes_anywhere(tmp_path):
    course = course_copy(tmp_path)
    top = cli("--help", cwd=tmp_path)
    assert top.returncode == 0 and "--root" in top.stdout and "--version" in top.stdout
    from rpc_impersonation.grading.__main__ import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) >= {"check", "assign", "verify", "release", "grade", "gradescope", "gradescope-run"}
    for name, sub in [("(top)", parser), *commands.items()]:
        for action in sub._actions:
            assert action.help and action.help.strip(), f"{name}: {action.option_strings or action.dest} has no help"
    grade = cli("grade", "--help", cwd=tmp_path).stdout
    for word in ("submissions", "out", "--root", "--assignment", "--roster", "--resolve", "--exercises"):
        assert re.search(rf"^\s+{re.escape(word)}\b.*\S", grade, flags=re.M), word
    version = cli("--version", cwd=tmp_path)
    assert version.returncode == 0 and re.search(r"\d+\.\d+", version.stdout)
    before = cli("--root", course, "assign", cwd=tmp_path)
    after = cli("assign", "--root", course, cwd=tmp_path)
    assert before.returncode == after.returncode == 0 and before.stdout == after.stdout
    wrong = cli("assign", "--root", tmp_path, cwd=tmp_path)
    assert wrong.returncode == 2 and "not a course folder" in wrong.stderr


# --- item analysis -----------------------------------------------------------------------------------------------


def _result(
    exercise: str, passed: dict[str, bool], message: str = "expected 1, your code returned 2"
) -> ExerciseResult:
    return ExerciseResult(
        exercise,
        exercise,
        [
            Outcome(n, 1 if ok else 0, 1, "passed" if ok else "failed", "" if ok else message)
            for n, ok in passed.items()
        ],
    )


def test_item_analysis_shares_discrimination_and_wrong_answers_leave_out_missing_work():
    results, handed = {}, {}
    for i in range(10):
        strong = i >= 5
        results[f"s{i}"] = [
            _result("ex1", {"easy": True, "hard": strong, "harder": i >= 6, "medium": i >= 4, "noise": i % 2 == 0})
        ]
        handed[f"s{i}"] = {"ex1"}
    results["absent"] = [
        _result(
            "ex1", {"easy": False, "hard": False, "harder": False, "medium": False, "noise": False}, "ex1 is missing"
        )
    ]
    handed["absent"] = set()
    stats = {s.test: s for s in item_analysis(results, handed)}
    assert stats["easy"].attempted == 10 and stats["easy"].failed == 0 and stats["easy"].point_biserial is None
    assert stats["hard"].failing_share == 0.5 and stats["hard"].upper_lower == 1.0
    assert stats["hard"].point_biserial > 0.5 > abs(stats["noise"].point_biserial)
    assert stats["hard"].wrong == [("expected 1, your code returned 2", 5)]
    assert all("missing" not in text for s in stats.values() for text, _ in s.wrong)


# --- docs/grading.md "Running a term": every command is run ------------------------------------------------------


def term_blocks() -> list[str]:
    doc = (ROOT / "docs" / "grading.md").read_text()
    section = doc.split("### Running a term", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def canvas_download(path: Path) -> None:
    def member(name: str, text: str, when: tuple) -> tuple:
        return zipfile.ZipInfo(name, date_time=when), text

    on_time, late = (2026, 3, 6, 20, 0, 0), (2026, 3, 8, 10, 0, 0)
    files = [
        member(f"lovelace_ada_23001_9901_{EX1.module}.py", EX1.solution_code, on_time),
        member(f"lovelace_ada_23001_9902_{EX3.module}.py", EX3.solution_code, on_time),
        member(f"moreau_bea_23002_9921_{EX1.module}.py", EX1.solution_code, late),
        member(f"moreau_bea_23002_9922_{EX3.module}.py", WRONG_EX1, late),
        member(f"tanaka_cy_23003_9931_{EX1.module}.py", WRONG_EX1, on_time),
        member("tanaka_cy_23003_9932_ex1_level_capabilities-1.py", EX1.solution_code, on_time),
        member(f"tanaka_cy_23003_9933_{EX3.module}.py", EX3.solution_code, on_time),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for info, text in files:
            z.writestr(info, text)


def test_the_term_walkthrough_in_the_docs_runs_command_by_command(tmp_path):
    blocks = term_blocks()
    assert len(blocks) >= 9
    course = course_copy(tmp_path)
    canvas_download(tmp_path / "term" / "downloads" / "hw1-canvas.zip")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    env = {**ENV, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TZ": "UTC"}
    outputs = []
    for block in blocks:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout)
    first_grade = next(o for o in outputs if "students found" in o)
    assert "exit status 1: some students need attention" in first_grade
    assert "s1003: ex1: conflicting files tanaka_cy_23003_9931_" in first_grade
    assert "s1002 (2 d)" in first_grade and "no submission (1): s1004 Dee Okafor" in first_grade
    resolved = [o for o in outputs if "students found" in o][1]
    assert "problems (0 students): none" in resolved and "late " not in resolved
    canvas = list(csv.reader(io.StringIO(next(o for o in outputs if o.startswith("Student,ID")))))
    assert ["Tanaka, Cy", "23003", "s1003", "cy.tanaka@example.edu", "B", "20"] in canvas
    assert ["Moreau, Bea", "23002", "s1002", "bea.moreau@example.edu", "A", "10"] in canvas
    assert ["Okafor, Dee", "23004", "s1004", "dee.okafor@example.edu", "B", "0"] in canvas
    assert (tmp_path / "term" / "hw1-bundle" / "README.md").exists()
    # the last block after a fix to a master: everyone who handed in ex3 is regraded
    regrade = outputs[-1]
    assert "graded now        0" in regrade and "unchanged (kept)  3" in regrade
    master = course / "solutions" / f"{EX3.module}.py"
    master.write_text(master.read_text() + "\n# fixed a hidden test\n")
    again = subprocess.run(
        ["bash", "-e", "-c", blocks[-1].split("\n", 1)[1]],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0 and "graded now        3" in again.stdout, again.stdout + again.stderr


def test_4_every_example_assignment_of_the_course_loads():
    masters = list(MASTERS.values())
    loaded = [Assignment.load(p, masters) for p in sorted((ROOT / "assignments").glob("*.toml"))]
    assert len(loaded) >= 2 and len({a.id for a in loaded}) == len(loaded)
    assert all(a.due is not None and a.due.tzinfo is not None for a in loaded)
    assert Roster.load(ROOT / "assignments" / "roster.example.csv").students[0].id == "s1001"
