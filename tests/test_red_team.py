"""Red team: attacks on the grading sandbox beyond issue 11's list (cases in tests/hostile/red_*).

A test marked ``xfail(strict=True)`` reproduces a hole that is open today: once the hole is fixed the
test passes, strict xfail turns that into a failure, and the mark must be removed. The other tests
are attacks the sandbox resisted; they keep it that way.
"""

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rpc_impersonation.grading.classroom import grade_class
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.runner import Budget, grade_exercise

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
QUICK = Budget(per_call=2.0, per_exercise=15.0, import_time=5.0)
ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("bwrap"),
    reason="the full sandbox (bubblewrap, an unprivileged uid per worker) needs root",
)


def solution_score(exercise: str = "ex1") -> float:
    """What the master's own solution scores (visible cases with stored answers count 0, so this is not the
    maximum); the correct classmates below are compared with it."""
    return grade_exercise(MASTERS[exercise], MASTERS[exercise].solution_code, budget=QUICK).score


def hostile(case: str, exercise: str = "ex1", **replace: str) -> str:
    text = (HOSTILE / case / f"{MASTERS[exercise].module}.py").read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def one_exercise_class(tmp: Path, students: dict[str, str], exercise: str = "ex1"):
    solutions = tmp / "solutions"
    solutions.mkdir()
    shutil.copy(MASTERS[exercise].path, solutions / MASTERS[exercise].path.name)
    subs = tmp / "submissions"
    for name, text in students.items():
        (subs / name).mkdir(parents=True)
        (subs / name / f"{MASTERS[exercise].module}.py").write_text(text)
    results = grade_class(subs, tmp / "out", solutions, jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w"))
    return {s: sum(r.score for r in rs) for s, rs in results.items()}, results


# --- held (was a HOLE before 8a1ae39): a forged "stopped" frame no longer reaches the next classmate ----------
@ROOT_ONLY
def test_red_forged_stopped_frame_costs_the_next_classmate_nothing(tmp_path):
    totals, results = one_exercise_class(
        tmp_path, {"aaa_eve": hostile("red_forged_stopped_frame"), "bea": MASTERS["ex1"].solution_code}
    )
    assert totals["aaa_eve"] == 0  # its own reply stream is broken: that costs only itself
    assert totals["bea"] == solution_score() > 0, results["bea"][0].problem


def test_red_forged_frames_cannot_carry_hidden_inputs_into_a_visible_problem():
    """Held since 8a1ae39; before it, ex3's problem line listed ex1's hidden inputs."""
    from rpc_impersonation.grading.report import gradescope_results, markdown_feedback
    from rpc_impersonation.grading.runner import grade_submission

    case = HOSTILE / "red_desync_leaks_hidden"
    files = {p.stem: p.read_text() for p in case.glob("*.py")}
    results = grade_submission([MASTERS["ex1"], MASTERS["ex3"]], files, budget=QUICK)
    shown = markdown_feedback("eve", results) + json.dumps(gradescope_results(results))
    assert "SMUGGLED" not in shown and "anon/" not in shown, results[1].problem[:300]


# --- held (was a HOLE): the nesting pre-scan was quadratic on a crafted frame; json.loads alone now -------
def test_red_unterminated_string_frame_is_refused_with_a_reason():
    """Held: the crafted frame reaches the grader and scores 0 with a reason (here at a small size)."""
    result = grade_exercise(
        MASTERS["ex1"], hostile("red_slow_frame_scan", **{"PAIRS = (256 * 1024 - 8) // 2": "PAIRS = 500"}), budget=QUICK
    )
    assert result.score == 0
    assert "unreadable reply" in result.problem, result.problem


def test_red_a_full_size_crafted_frame_is_decoded_quickly():
    pairs = (256 * 1024 - 8) // 2
    code = (
        "import time; from rpc_impersonation.grading.sandbox import decode_frame, SandboxFault\n"
        f"data = b'\"' + b'\\\\\"' * {pairs}\n"
        "try:\n    decode_frame(data)\nexcept SandboxFault:\n    pass\nprint('decoded')\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=4,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("decode_frame took more than 4 s on one 256 KiB frame")
    assert "decoded" in done.stdout, done.stderr[-1000:]


# --- held (was a HOLE): the per-uid keyring carried hidden inputs into a visible output; seccomp denies it ----
def _clear_keyrings(base: int, count: int = 64) -> None:
    """Empty the user keyring of every worker uid (as that uid: root cannot name another uid's @u)."""
    for uid in range(base, base + count):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                ctypes.CDLL(None, use_errno=True).syscall(250, 7, -4)  # keyctl(KEYCTL_CLEAR, @u)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)


@ROOT_ONLY
def test_red_hidden_inputs_cannot_be_smuggled_through_the_kernel_keyring():
    from rpc_impersonation.grading.report import gradescope_results, markdown_feedback
    from rpc_impersonation.grading.runner import grade_submission
    from rpc_impersonation.grading.sandbox import Isolation

    case = HOSTILE / "red_keyring_smuggles_hidden"
    files = {p.stem: p.read_text() for p in case.glob("*.py")}
    base = Isolation("bubblewrap").uid_base
    _clear_keyrings(base)
    try:
        results = grade_submission([MASTERS["ex1"], MASTERS["ex3"]], files, budget=QUICK)
    finally:
        _clear_keyrings(base)
    shown = markdown_feedback("eve", results) + json.dumps(gradescope_results(results))
    assert "least_level(" in shown  # the receiving end ran
    # the hidden tests' names say "anonymous" on purpose; their *inputs*, as ex1 stored them, must not show
    assert "|anonymous," not in shown, shown[shown.find("|anonymous,") - 300 :][:600]


# --- held (was a HOLE): a notebook that is JSON but not a notebook stopped the whole class run ------------
@pytest.mark.parametrize(
    "notebook", ["list.ipynb", "nested.ipynb", "cells_not_a_list.ipynb", "cell_not_an_object.ipynb"]
)
def test_red_a_broken_notebook_costs_only_its_author(tmp_path, notebook):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(MASTERS["ex1"].path, solutions / MASTERS["ex1"].path.name)
    subs = tmp_path / "submissions"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / "ex1_level_capabilities.py").write_text(MASTERS["ex1"].solution_code)
    shutil.copy(HOSTILE / "red_broken_notebooks" / notebook, subs / "eve.ipynb")
    results = grade_class(
        subs, tmp_path / "out", solutions, jobs=1, budget=QUICK, progress_stream=open(os.devnull, "w")
    )
    assert sum(r.score for r in results["ada"]) == solution_score() > 0 and sum(r.score for r in results["eve"]) == 0
    assert "not a readable notebook" in results["eve"][0].problem
    assert (tmp_path / "out" / "gradebook.csv").exists()


def test_red_gradescope_a_nested_notebook_costs_only_itself(tmp_path):
    from rpc_impersonation.grading.gradescope import run_submission

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(MASTERS["ex1"].path, solutions / MASTERS["ex1"].path.name)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "ex1_level_capabilities.py").write_text(MASTERS["ex1"].solution_code)
    shutil.copy(HOSTILE / "red_broken_notebooks" / "nested.ipynb", submission / "answers.ipynb")
    doc = run_submission(submission, solutions, tmp_path / "results.json")
    assert doc["score"] == solution_score() > 0 and "not a readable notebook" in doc["output"], doc["output"][:300]


# --- held (was a HOLE): names that sanitised alike were merged: students vanished from the gradebook -----------
def test_red_students_whose_names_sanitise_alike_are_not_merged():
    from rpc_impersonation.errors import ImpersonationError
    from rpc_impersonation.grading.classroom import discover

    try:
        found = discover(HOSTILE / "red_name_collision")
    except ImpersonationError as exc:  # refusing loudly, naming the clash, is a fix too
        assert "张伟" in str(exc) or "José" in str(exc), str(exc)
        return
    assert len(found) == 4, [(s.student, s.files) for s in found]
    assert len({s.student for s in found}) == 4
    assert {"张伟", "李娜", "José"} <= {s.student for s in found}


def test_red_names_that_still_sanitise_alike_get_a_hash_and_a_warning(tmp_path):
    from rpc_impersonation.grading.submissions import discover

    code = MASTERS["ex1"].solution_code
    for name, text in (("Ada Lovelace", code), ("Ada_Lovelace", "WRONG = 1\n"), ("ada", code)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "ex1_level_capabilities.py").write_text(text)
    (tmp_path / "ada.zip").write_bytes(b"")  # the same name twice is one student handing in twice
    found = {s.display: s for s in discover(tmp_path)}
    assert len(found) == 3, list(found)
    first, second = found["Ada Lovelace"], found["Ada_Lovelace"]
    assert first.student != second.student and first.student.startswith("Ada_Lovelace-"), first.student
    assert "same results key 'Ada_Lovelace'" in first.warnings[0] and "Ada_Lovelace" in first.warnings[0]
    assert first.files["ex1_level_capabilities"] == code and "WRONG" in second.files["ex1_level_capabilities"]
    assert found["ada"].student == "ada" and len(found["ada"].entries) == 2


# --- held (was a HOLE): a sparse multi-GiB file in a folder submission was read whole ------------------------
def test_red_a_giant_sparse_file_is_not_read_whole(tmp_path):
    eve = tmp_path / "submissions" / "eve"
    eve.mkdir(parents=True)
    with open(eve / "ex1_level_capabilities.py", "wb") as f:
        f.truncate(4 << 30)  # sparse: no disk space used
    code = (
        "import resource, sys; from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from rpc_impersonation.grading.classroom import discover\n"
        "subs = discover(Path(sys.argv[1]))\n"
        "print('problems:', subs[0].problems)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "submissions")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0 and "larger than" in done.stdout, done.stderr[-600:]


# --- held (was a HOLE): the staged submissions were readable by every local user of the grading machine ---------
@ROOT_ONLY
def _read_as(uid: int, path: Path) -> bytes:
    """What user ``uid`` (no groups) reads of ``path``: its first bytes or 'refused: ...'."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            try:
                os.write(write, path.read_bytes()[:100])
            except OSError as exc:
                os.write(write, f"refused: {exc.strerror}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    seen = os.read(read, 200)
    os.close(read)
    return seen


def test_red_staged_submissions_are_not_readable_by_other_local_users():
    from rpc_impersonation.grading.sandbox import choose_isolation

    isolation = choose_isolation(untrusted=True)
    slot = isolation.slot()
    try:
        slot.write("ex1_level_capabilities", "ANSWER = 'ada'\n")
        path = slot.folder / "ex1_level_capabilities.py"
        by_nobody, by_other_slot = _read_as(65534, path), _read_as(slot.uid + 1, path)
        by_own_uid = _read_as(slot.uid, path)
        mode = path.stat().st_mode & 0o777
    finally:
        slot.close()
        isolation.close()
    assert b"ANSWER" not in by_nobody and b"ANSWER" not in by_other_slot, (str(path), by_nobody, by_other_slot)
    assert by_own_uid.startswith(b"ANSWER"), by_own_uid  # the student's own sandbox uid still reads it
    assert mode & 0o007 == 0, oct(mode)


# --- held (was a HOLE): a lone surrogate in a message ended the class run (feedback written as UTF-8) --------
def test_red_a_lone_surrogate_costs_only_its_author(tmp_path):
    # and a folder whose name is not UTF-8 (b"caf\xe9": Python names it with a lone surrogate)
    totals, _ = one_exercise_class(
        tmp_path,
        {
            "aaa_eve": hostile("red_lone_surrogate"),
            "bea": MASTERS["ex1"].solution_code,
            "caf\udce9": MASTERS["ex1"].solution_code,
        },
    )
    assert totals == {"aaa_eve": 0, "bea": solution_score(), "caf": solution_score()} and totals["bea"] > 0
    assert (tmp_path / "out" / "gradebook.csv").exists()
    for path in [
        *(tmp_path / "out").rglob("*.md"),
        *(tmp_path / "out").rglob("*.csv"),
        *(tmp_path / "out").rglob("*.json"),
    ]:
        path.read_text(encoding="utf-8")


def test_red_a_lone_surrogate_does_not_break_the_self_check(tmp_path):
    shutil.copytree(ROOT / "exercises" / "checks", tmp_path / "exercises" / "checks")
    shutil.copy(HOSTILE / "red_lone_surrogate" / "ex1_level_capabilities.py", tmp_path / "exercises")
    done = subprocess.run(
        [sys.executable, "-m", "rpc_impersonation.grading", "check", "ex1", "--folder", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert "Traceback" not in done.stderr, done.stderr[-800:]
    assert "ex1" in done.stdout


# --- held: a user namespace inside the sandbox lifts no mount and mounts no /proc ----------------------------
@ROOT_ONLY
def test_red_a_user_namespace_lifts_no_mount():
    result = grade_exercise(MASTERS["ex1"], hostile("red_userns_unmounts"), budget=QUICK)
    message = result.tests[0].message
    assert "'/students': []" in message and "'/tmp': []" in message, message
    assert "'/student': ['ex1_level_capabilities.py']" in message
    assert "'proc mounted': False" in message and "'ptrace init': False" in message, message


# --- held: zip members are read by base name into memory, never extracted; bombs and liars refused ---------------
def test_red_zip_tricks_are_read_safely(tmp_path):
    from rpc_impersonation.grading.classroom import discover

    for z in (HOSTILE / "red_zip_tricks").glob("*.zip"):
        shutil.copy(z, tmp_path / z.name)
    found = {s.student: s for s in discover(tmp_path)}
    assert not Path("/tmp/red_zip_escape").exists() and not Path("/tmp/red_zip_escape_abs").exists()
    assert found["bomb"].files == {} and "more than 5 MiB" in found["bomb"].problems[0]
    assert found["liar"].files == {} and "not a readable zip" in found["liar"].problems[0]
    # members with '..' or an absolute path are refused by name (discovery reads members into memory only)
    assert found["traversal"].files == {}, found["traversal"].files
    assert len(found["traversal"].problems) == 2 and all(
        "absolute path or '..'; refused" in p for p in found["traversal"].problems
    )


# --- held: signals at the sandbox's root processes, raised limits, setuid, chroot --------------------------------
@ROOT_ONLY
def test_red_signals_and_limits_gain_nothing():
    result = grade_exercise(MASTERS["ex1"], hostile("red_signals_and_limits"), budget=QUICK)
    message = result.tests[0].message
    assert "worked" not in message, message
    assert "'stop zygote': 'PermissionError'" in message and "'setuid 0': 'PermissionError'" in message, message


# --- held: nothing of the grader's environment, descriptors or disk is reachable ----------------------------------
@ROOT_ONLY
def test_red_nothing_of_the_grader_is_reachable():
    result = grade_exercise(MASTERS["ex1"], hostile("red_probe_environment"), budget=QUICK)
    message = result.tests[0].message
    assert "'env': ['HOME', 'LANG', 'PATH', 'TMPDIR']" in message and "'proc': False" in message, message
    assert "'students': []" in message and "'writable': ['/tmp']" in message, message
    # 0-2 lead to /dev/null, 3 and 4 are the data pipes, then sys.stdin's /dev/null: nothing of the grader's
    assert "'fds': [[0, 'chr'], [1, 'chr'], [2, 'chr'], [3, 'pipe'], [4, 'pipe'], [5, 'chr']]" in message, message


# --- held (was a HOLE before 8a1ae39): fds 0-2 lead to /dev/null; writing to fd 1 costs nothing ------------------
@ROOT_ONLY
def test_red_writing_to_fd1_does_not_corrupt_the_reply_stream():
    result = grade_exercise(MASTERS["ex1"], hostile("red_writes_to_fd1"), budget=QUICK)
    assert result.score == solution_score() > 0, result.problem


def _nested(levels: int) -> list:
    """A list holding ``levels`` nested lists in all (the frame's dict is one level more)."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


# --- held: what the reply parser refuses or repairs (no pre-scan, no crash, nothing unencodable) ------------------
def test_red_reply_frames_that_are_deep_huge_or_carry_lone_surrogates():
    from rpc_impersonation.grading.sandbox import MAX_DEPTH, SandboxFault, decode_frame

    refused = {
        "deep list": b"[" * 100_000 + b"]" * 100_000,
        "just past the depth cap": json.dumps({"op": "ok", "output": "", "v": _nested(MAX_DEPTH)}).encode(),
        "a 5000-digit integer": b'{"op": "ok", "output": "", "v": ' + b"9" * 5000 + b"}",
        "bad UTF-8": b'{"op": "ok", "output": "\xff"}',
    }
    for frame in refused.values():
        with pytest.raises(SandboxFault):
            decode_frame(frame)
    at_cap = decode_frame(json.dumps({"op": "ok", "output": "", "v": _nested(MAX_DEPTH - 1)}).encode())  # dict+63
    assert at_cap["op"] == "ok"
    repaired = decode_frame(
        json.dumps(
            {
                "op": "error",
                "kind": "ValueError",
                "message": "x\udcff",
                "output": "\ud800y",
                "args": {"k\udc80": ["\udfff"]},
            }
        ).encode()
    )
    assert repaired["message"] == "x\ufffd" and repaired["output"] == "\ufffdy"
    assert repaired["args"] == {"k\ufffd": ["\ufffd"]}
    json.dumps(repaired, ensure_ascii=False).encode("utf-8")  # encodable now


# --- held: the student process's seccomp filter (keyrings, namespaces, tracing, BPF, io_uring) --------------------
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the filter is written for x86_64 system-call numbers")
def test_red_seccomp_filter_denies_what_namespaces_do_not_cover():
    code = """
import ctypes, json, os, subprocess, sys, threading
sys.path.insert(0, sys.argv[1])
import harness
assert harness.install_seccomp()
libc = ctypes.CDLL(None, use_errno=True)
def call(*args):
    r = libc.syscall(*args)
    return r, ctypes.get_errno()
found = {
    "add_key": call(248, b"user", b"k", b"d", 1, -4), "keyctl": call(250, 0, -4, 0),
    "request_key": call(249, b"user", b"k", None, -4), "unshare user": call(272, 0x10000000),
    "clone newuser": call(56, 0x10000000 | 17, 0, 0, 0, 0), "clone3": call(435, 0, 0),
    "ptrace": call(101, 16, 1, 0, 0), "bpf": call(321, 0, 0, 0), "io_uring_setup": call(425, 1, 0),
    "perf_event_open": call(298, 0, 0, -1, -1, 0), "setns": call(308, 0, 0), "mount": call(165, 0, 0, 0, 0, 0),
    "x32 getpid": call(0x40000000 | 39),
}
threading.Thread(target=lambda: None).start()
pid = os.fork()
if pid == 0:
    os._exit(3)
alive = [os.waitpid(pid, 0)[1] >> 8, subprocess.run(["true"]).returncode, os.getpid() > 0]
print(json.dumps([found, alive]))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(ROOT / "src" / "rpc_impersonation" / "grading")],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr[-800:]
    found, alive = json.loads(done.stdout)
    for name, (result, errno) in found.items():
        assert result == -1 and errno == (38 if name == "clone3" else 1), (name, result, errno)
    assert alive == [3, 0, True]  # threads, fork, exec and ordinary calls still work


# --- held: a handler that makes no API call earns nothing for "never as SYSTEM" or "reverts" -------------------
def test_red_a_handler_that_calls_nothing_earns_no_safety_points():
    result = grade_exercise(MASTERS["ex2"], "def handle_request(thread):\n    return 'ERROR_SUCCESS'\n", budget=QUICK)
    safety = [t for t in result.tests if "SYSTEM" in t.name or "reverts" in t.name]
    assert safety and all(t.status == "failed" for t in safety), [(t.name, t.status) for t in safety]
    assert all("never impersonated the caller" in t.message for t in safety if not t.hidden)


# --- held: a refused import names the module, never a machine path -----------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "from rpc_impersonation import engine",
        "from rpc_impersonation import evaluate",
        "from rpc_impersonation.engine import evaluate",
        "import rpc_impersonation.chain",
        "from rpc_impersonation import no_such_name",
    ],
)
def test_red_a_refused_import_shows_no_machine_path(line):
    result = grade_exercise(
        MASTERS["ex1"], f"{line}\n\ndef can_do(level, capability, placement):\n    return True\n", budget=QUICK
    )
    shown = result.problem + result.output + " ".join(t.message for t in result.tests)
    assert result.score == 0 and "not allowed in this exercise" in shown, shown[:400]
    for machine in ("/work", "/tmp", "/root", "/home", "/pkg", "__init__.py", str(ROOT)):
        assert machine not in shown, (machine, shown[:400])


# --- held: what makes JSON not a notebook, each named -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[]", "top level is a JSON list"),
        ("5", "top level is a JSON int"),
        ('{"cells": 5}', "'cells' is a int"),
        ('{"cells": [1]}', "cell 0 is a int"),
        ('{"cells": [{"cell_type": "code", "source": [1, 2]}]}', "cell 0's source"),
        ('{"cells": [{"cell_type": "code", "source": {"a": 1}}]}', "cell 0's source"),
        ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ('{"cells": [', "Expecting value"),
        ("\udcff", "utf-8"),
    ],
)
def test_red_notebook_structure_is_checked(text, named):
    from rpc_impersonation.grading.submissions import notebook_modules

    with pytest.raises(ValueError, match=re.escape(named)):
        notebook_modules(data=text.encode("utf-8", errors="surrogateescape"))
