"""The grader against a determined student: one test per class of attack of issue 11 (and more).

Each test grades a submission from tests/hostile (or a class holding one) and checks that it gains
nothing, harms nobody, and that the class run completes with a gradebook.
"""

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from functools import cache
from pathlib import Path

import pytest

import rpc_impersonation
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.classroom import grade_class
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.runner import Budget, grade_exercise

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
QUICK = Budget(per_call=2.0, per_exercise=15.0, import_time=5.0)
#: exercise 1's graded maximum (its visible cases are practice and count 0)
EX1_FULL = sum(t.points for t in MASTERS["ex1"].tests())
ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("bwrap"),
    reason="the full sandbox (bubblewrap, an unprivileged uid per worker) needs root",
)


@cache
def solution_score(exercise: str = "ex1") -> float:
    """What the master's own solution scores (the hostile cases that answer correctly copy its logic);
    compared with this rather than the maximum, so these tests do not depend on the exercise content."""
    return grade_exercise(MASTERS[exercise], MASTERS[exercise].solution_code, budget=QUICK).score


def hostile(case: str, exercise: str = "ex1", **replace: str) -> str:
    text = (HOSTILE / case / f"{MASTERS[exercise].module}.py").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def grade(case: str, exercise: str = "ex1", **replace: str):
    return grade_exercise(MASTERS[exercise], hostile(case, exercise, **replace), budget=QUICK)


def course(tmp: Path, *exercises: str) -> Path:
    """A solutions folder with only some masters (a class run then grades only those)."""
    folder = tmp / "solutions"
    folder.mkdir(parents=True)
    for e in exercises:
        shutil.copy(MASTERS[e].path, folder / MASTERS[e].path.name)
    return folder


def a_class(tmp: Path, students: dict[str, str], exercise: str = "ex1") -> Path:
    subs = tmp / "submissions"
    for name, text in students.items():
        (subs / name).mkdir(parents=True)
        (subs / name / f"{MASTERS[exercise].module}.py").write_text(text)
    return subs


def totals(results) -> dict[str, float]:
    return {s: sum(r.score for r in rs) for s, rs in results.items()}


def leftovers(marker: str) -> list[int]:
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker.encode() in (p / "cmdline").read_bytes():
                    found.append(int(p.name))
            except OSError:
                pass
    return found


# --- 1. every student of a class is graded against the same tests ------------------------------------------
def test_attack_01_identical_students_get_identical_totals_twenty_times(tmp_path):
    """16 identical correct students, jobs=4, twenty runs: one total and one maximum, every time (a fresh
    master path each run, so no cache from an earlier run can hide a race in collecting the tests).
    Exercise 1 (4 visible and 8 hidden tests, cheap calls) keeps it fast; main lost tests on it too."""
    correct = MASTERS["ex1"].solution_code
    seen, maxima, started = set(), set(), time.monotonic()
    for run in range(20):
        work = tmp_path / f"run{run}"
        solutions = course(work, "ex1")
        subs = a_class(work, {f"s{i:02d}": correct for i in range(16)})
        results = grade_class(
            subs, work / "out", solutions, jobs=4, budget=QUICK, progress_stream=open(os.devnull, "w")
        )
        assert len(results) == 16
        seen |= set(totals(results).values())
        maxima |= {sum(r.max_score for r in rs) for rs in results.values()}
        assert seen == {solution_score()} and maxima == {sum(t.points for t in MASTERS["ex1"].tests())}, (
            run,
            seen,
            maxima,
        )
        assert time.monotonic() - started < 600, "the race test must stay bounded"


# --- 2. the sandbox user can read the whole standard library -------------------------------------------------
def test_attack_02_standard_library_imports_work_in_the_sandbox():
    result = grade("stdlib_at_import")
    assert result.score == solution_score() > 0, (result.problem, [t.message for t in result.tests][:2])


def test_attack_02_the_harness_files_are_not_importable_by_student_code():
    """The harness loads its parts by path (run as python -I, its folder is not on sys.path): the student's
    code finds none of them by importing, so it cannot reach the zygote's code through sys.path."""
    names = ("harness", "harness_wording", "harness_seccomp", "harness_drive", "harness_student", "harness_ending")
    probe = (
        MASTERS["ex1"].solution_code + "\nimport importlib.util as _util\n"
        f"assert [n for n in {names!r} if _util.find_spec(n) is not None] == []\n"
    )
    result = grade_exercise(MASTERS["ex1"], probe, budget=QUICK)
    assert result.score == solution_score() > 0, (result.problem, [t.message for t in result.tests][:2])


@ROOT_ONLY
def test_attack_02_an_unreadable_runtime_fails_loudly_not_with_zeros(monkeypatch):
    """Without bubblewrap the student's uid cannot enter a Python under /root: the run must refuse."""
    if not sys.base_prefix.startswith("/root"):
        pytest.skip("this Python is readable by every user; nothing to refuse")
    from rpc_impersonation.grading import sandbox

    monkeypatch.setattr(sandbox, "_CHOSEN", {})
    monkeypatch.setenv("RPC_GRADING_ISOLATION", "process")
    with pytest.raises(ImpersonationError, match="cannot import"):
        sandbox.choose_isolation(untrusted=True, allow_weak=True)


# --- 3. a change to a master regrades ------------------------------------------------------------------------
def test_attack_03_changing_a_master_regrades_on_resume(tmp_path):
    solutions = course(tmp_path, "ex3")
    subs = a_class(tmp_path, {"ada": MASTERS["ex3"].solution_code}, "ex3")
    first = grade_class(subs, tmp_path / "out", solutions, jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w"))
    master = solutions / MASTERS["ex3"].path.name
    master.write_text(
        master.read_text().replace(
            'misconception="more-is-safer", hidden=hidden)', 'misconception="more-is-safer", hidden=hidden, points=5)'
        )
    )
    again = grade_class(subs, tmp_path / "out", solutions, jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w"))
    hidden_least_level = sum(t.hidden and t.data["call"] == "least_level" for t in MASTERS["ex3"].tests())
    assert totals(first)["ada"] + 4 * hidden_least_level == totals(again)["ada"] == again["ada"][0].max_score


# --- 4, 5, 6. nothing a submission sends can crash the class ------------------------------------------------
@pytest.mark.parametrize(
    "case,reason",
    [
        ("deep_nesting", "nested"),
        ("replaces_serializer", "cannot read"),
        ("scribbles_on_fds", "a reply of"),
    ],
)
def test_attacks_04_05_06_unreadable_replies_score_zero_and_the_class_completes(tmp_path, case, reason):
    subs = a_class(tmp_path, {"aaa_hostile": hostile(case), "zed": MASTERS["ex1"].solution_code})
    results = grade_class(
        subs, tmp_path / "out", course(tmp_path, "ex1"), jobs=2, budget=QUICK, progress_stream=open(os.devnull, "w")
    )
    assert totals(results) == {"aaa_hostile": 0, "zed": solution_score()}
    problem = results["aaa_hostile"][0].problem
    assert reason in problem or any(reason in t.message for t in results["aaa_hostile"][0].tests), problem
    assert (tmp_path / "out" / "gradebook.csv").exists()


# --- 7. the masters are out of reach --------------------------------------------------------------------------
def test_attack_07_a_submission_cannot_import_the_master():
    result = grade("imports_the_master", **{'os.environ.get("HOSTILE_TARGET", "")': repr(str(ROOT))})
    assert result.score < result.max_score
    assert any("your code returned True" in t.message for t in result.tests)


# --- 8. classmates' submissions are out of reach -------------------------------------------------------------
def test_attack_08_a_submission_cannot_run_a_classmates_module(tmp_path):
    """Through the command line: the grader's arguments name the submissions folder."""
    work = Path(os.path.realpath(tmp_path))
    for folder in [work, *work.parents]:  # an instructor's ordinary folder: readable by every user
        if folder != Path("/") and folder.stat().st_mode & 0o005 != 0o005:
            folder.chmod(folder.stat().st_mode | 0o005)
    course(work, "ex1")
    subs = a_class(work, {"ada": MASTERS["ex1"].solution_code, "eve": hostile("copies_a_classmate")})
    for p in subs.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    subs.chmod(0o755)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rpc_impersonation.grading",
            "grade",
            str(subs),
            str(work / "out"),
            "--root",
            str(work),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(rpc_impersonation.__file__).parent.parent)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO((work / "out" / "gradebook.csv").read_text())))
    score = {r["student"]: float(r["total"]) for r in rows}
    assert score["ada"] == solution_score() and score["eve"] < score["ada"], rows


# --- 9. symbolic links in a submission are refused -------------------------------------------------------------
def test_attack_09_a_symlink_to_the_master_is_not_read(tmp_path):
    subs = tmp_path / "submissions"
    (subs / "eve").mkdir(parents=True)
    (subs / "eve" / "ex1_level_capabilities.py").symlink_to(MASTERS["ex1"].path)
    (subs / "mallory").symlink_to(ROOT / "solutions")
    results = grade_class(
        subs, tmp_path / "out", course(tmp_path, "ex1"), jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w")
    )
    assert totals(results)["eve"] == 0 and "symbolic link" in results["eve"][0].problem
    assert totals(results).get("mallory", 0) == 0


# --- 10. what an exercise does not allow cannot be imported at all ----------------------------------------------
def test_attack_10_a_fresh_copy_of_the_evaluator_cannot_be_loaded():
    result = grade("reimports_the_evaluator", "ex8")
    assert result.score == 0, [t.message for t in result.tests][:3]
    assert any("No such file" in t.message or "not allowed" in t.message for t in result.tests)


def test_attack_10_the_allowed_modules_are_all_there_is():
    probe = (
        "import os, rpc_impersonation\n"
        "def can_do(level, capability, placement):\n"
        "    return sorted(os.listdir(os.path.dirname(rpc_impersonation.__file__)))\n"
    )
    result = grade_exercise(MASTERS["ex1"], probe, budget=QUICK)
    listing = result.tests[0].message
    assert "constants.py" in listing and "engine.py" not in listing and "chain.py" not in listing, listing


# --- 11. nothing hidden leaks; every message is capped ---------------------------------------------------------
def test_attack_11_hidden_inputs_never_reach_what_the_student_sees(tmp_path):
    from rpc_impersonation.grading.report import gradescope_results, markdown_feedback

    result = grade("leaks_hidden_inputs")
    assert result.score == 0
    hidden_only = "'anonymous'"  # only the hidden tests of ex1 ask about Anonymous
    assert any(hidden_only in t.message for t in result.tests if t.hidden)  # the instructor sees it
    shown = markdown_feedback("eve", [result]) + json.dumps(gradescope_results([result])) + result.output
    assert hidden_only not in shown and "anonymous" not in result.output
    assert "identify" in result.output  # a visible test's input, printed, is shown


def test_attack_11_huge_values_and_messages_are_capped(tmp_path):
    subs = a_class(tmp_path, {"eve": hostile("huge_value")})
    grade_class(
        subs, tmp_path / "out", course(tmp_path, "ex1"), jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w")
    )
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".csv"):
            assert path.stat().st_size < 64 * 1024, (path, path.stat().st_size)
    doc = json.loads((tmp_path / "out" / "students" / "eve.json").read_text())
    assert all(len(t["message"]) <= 2100 for e in doc["exercises"] for t in e["tests"])


# --- 12. every process a submission starts ends with it --------------------------------------------------------
@ROOT_ONLY
def test_attack_12_no_process_outlives_its_exercise():
    result = grade("daemon_outlives")
    assert result.score == solution_score()
    time.sleep(0.2)
    assert leftovers("987.654") == []


@ROOT_ONLY
def test_attack_12_a_killer_left_behind_costs_the_next_classmate_nothing(tmp_path):
    subs = a_class(
        tmp_path,
        {
            "aaa_killer": hostile("kills_everyone"),
            "bea": MASTERS["ex1"].solution_code,
            "zed": MASTERS["ex1"].solution_code,
        },
    )
    results = grade_class(
        subs, tmp_path / "out", course(tmp_path, "ex1"), jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w")
    )
    assert totals(results)["bea"] == totals(results)["zed"] == solution_score()


@ROOT_ONLY
def test_attack_12_a_fork_bomb_is_capped_and_cleaned_up():
    started = time.monotonic()
    result = grade("fork_bomb")
    assert time.monotonic() - started < 60
    assert result.score == solution_score(), [t.message for t in result.tests][:2]
    time.sleep(0.2)
    assert leftovers("fork_bomb") == [] or all(_uid(p) < 61000 for p in leftovers("fork_bomb"))


def _uid(pid: int) -> int:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return 0


# --- 13. no network ----------------------------------------------------------------------------------------
def test_attack_13_the_network_is_out_of_reach():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections = []

    def accept():
        end = time.monotonic() + 20
        while time.monotonic() < end and not connections:
            try:
                conn, _ = server.accept()
                connections.append(conn)
            except OSError:
                continue

    listener = threading.Thread(target=accept)
    listener.start()
    try:
        result = grade("reaches_network", **{'os.environ.get("HOSTILE_PORT", "0")': repr(str(port))})
    finally:
        listener.join()
        server.close()
    assert connections == []
    assert any("your code returned False" in t.message for t in result.tests)


# --- beyond the list --------------------------------------------------------------------------------------
def test_a_child_holding_the_reply_pipe_does_not_stall_the_grader():
    started = time.monotonic()
    result = grade("holds_reply_pipe")
    assert time.monotonic() - started < 20
    crashed = [t for t in result.tests if t.status == "error"]
    assert crashed and all("process ended" in t.message for t in crashed)
    assert any(t.status == "passed" for t in result.tests)


@ROOT_ONLY
def test_nothing_of_the_host_is_visible_inside():
    probe = (
        "import os\n"
        "def can_do(level, capability, placement):\n"
        "    seen = {}\n"
        "    for path in ('/proc/1/cmdline', '/etc/passwd', '/root', '/work', '/home', '/dev/shm', '/students',\n"
        "                 '/sys'):\n"
        "        seen[path] = os.path.exists(path)\n"
        "    seen['others'] = os.listdir('/students') if os.path.isdir('/students') else []\n"
        "    try:\n"
        "        open('/student/ex1_level_capabilities.py', 'a')\n"
        "        seen['student file writable'] = True\n"
        "    except OSError:\n"
        "        seen['student file writable'] = False\n"
        "    seen['uid'] = os.getuid()\n"
        "    try:\n"
        "        os.kill(1, 9)\n"
        "        seen['killed init'] = True\n"
        "    except OSError:\n"
        "        seen['killed init'] = False\n"
        "    return seen\n"
    )
    result = grade_exercise(MASTERS["ex1"], probe, budget=QUICK)
    message = result.tests[0].message
    for path in ("/proc/1/cmdline", "/etc/passwd", "/work", "/home", "/dev/shm", "/sys"):
        assert f"'{path}': False" in message, message
    assert "'student file writable': False" in message and "'killed init': False" in message
    assert "'uid': 0" not in message and "'others': []" in message


def test_gradescope_runner_always_writes_results_json(tmp_path):
    from rpc_impersonation.grading.gradescope import run_submission

    results = tmp_path / "results.json"
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "ex1_level_capabilities.py").write_text(hostile("deep_nesting"))
    doc = run_submission(tmp_path / "submission", course(tmp_path, "ex1"), results)
    assert json.loads(results.read_text()) == doc and doc["score"] == 0
    # an internal failure (here: no masters at all) still gives a results.json with the reason
    doc = run_submission(tmp_path / "submission", tmp_path / "no-such-folder", results)
    saved = json.loads(results.read_text())
    assert saved["score"] == 0 and "could not grade" in saved["output"] and saved["tests"] == []


def test_gradescope_run_script_writes_results_json_even_when_the_grader_cannot_start(tmp_path):
    from rpc_impersonation.grading.gradescope import RUN

    (tmp_path / "source" / "solutions").mkdir(parents=True)  # no package: python cannot even import it
    (tmp_path / "submission").mkdir()
    script = tmp_path / "run_autograder"
    script.write_text(RUN)
    done = subprocess.run(
        ["bash", str(script)],
        env={**os.environ, "AUTOGRADER_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    saved = json.loads((tmp_path / "results" / "results.json").read_text())
    assert saved["score"] == 0 and "could not run" in saved["output"]


def test_grading_untrusted_code_without_a_sandbox_is_refused(monkeypatch):
    from rpc_impersonation.grading import sandbox

    monkeypatch.setattr(sandbox, "_CHOSEN", {})
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(ImpersonationError, match="allow-weak-isolation|cannot import"):
        sandbox.choose_isolation(untrusted=True, allow_weak=False)
