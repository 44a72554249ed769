"""Red team on the shared student process (one per package view, visible parts before hidden ones,
requests sent in batches, answers shared): attacks on the order of parts, the reply channel and time.

Each test says what it would catch. Cases that write their own frames are in tests/hostile/red_*.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from rpc_impersonation.grading.classroom import grade_class
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.report import gradescope_results, markdown_feedback
from rpc_impersonation.grading.runner import Budget, grade_submission
from test_grading_sessions import RECORDS  # exercise 1 keeping every input where exercise 3 can read it

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
SHARED = ("ex1", "ex3", "ex4")  # one view (checked in test_grading_sessions.py)
QUICK = Budget(per_call=2.0, per_exercise=15.0, import_time=5.0)
HIDDEN_ONLY = "anonymous"  # a level only exercise 1's hidden tests ask about
ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("bwrap"),
    reason="one sandbox serving classmate after classmate (bubblewrap, a uid per worker) needs root",
)


def questions(exercise: str, hidden: bool) -> int:
    """How many distinct questions a part of ``exercise`` puts to the student's code (each asked once)."""
    return len({json.dumps(t.data["args"]) for t in MASTERS[exercise].tests() if t.hidden == hidden})


def test_the_hostile_cases_count_the_calls_they_get():
    """The cases act on exercise 1's last call (8 visible, then 32 hidden questions)."""
    assert (questions("ex1", False), questions("ex1", True)) == (8, 32)


def grade(*exercises: str, **modules: str):
    """Grade ``exercises`` (solutions where no source is given); results by exercise id."""
    files = {MASTERS[e].module: modules.get(e, MASTERS[e].solution_code) for e in exercises}
    return {r.exercise: r for r in grade_submission([MASTERS[e] for e in exercises], files, budget=QUICK)}


def shown(results) -> str:
    """All a student reads: the feedback file and Gradescope's results (hidden tests as students see them)."""
    listed = list(results.values())
    return markdown_feedback("eve", listed) + json.dumps(gradescope_results(listed))


def hostile(case: str, exercise: str) -> str:
    return (HOSTILE / case / f"{MASTERS[exercise].module}.py").read_text()


def one_exercise_class(tmp: Path, students: dict[str, str], exercise: str = "ex1"):
    """Grade a class (one worker: the students share its sandbox, in name order); results by student."""
    solutions = tmp / "solutions"
    solutions.mkdir()
    shutil.copy(MASTERS[exercise].path, solutions / MASTERS[exercise].path.name)
    for name, text in students.items():
        (tmp / "submissions" / name).mkdir(parents=True)
        (tmp / "submissions" / name / f"{MASTERS[exercise].module}.py").write_text(text)
    with open(os.devnull, "w") as quiet:
        results = grade_class(tmp / "submissions", tmp / "out", solutions, jobs=1, budget=QUICK, progress_stream=quiet)
    return {s: rs[0] for s, rs in results.items()}


# --- broke, fixed: the zygote's frames forged on the reply pipe --------------------------------------------------
@ROOT_ONLY
def test_a_forged_ended_frame_costs_the_next_classmate_nothing(tmp_path):
    """Before the fix bea scored 0: the grader believed eve's process had ended, left it running, and read
    what it kept writing as bea's replies (and could spin for ever emptying the pipe it kept filling)."""
    solution = MASTERS["ex1"].solution_code
    results = one_exercise_class(
        tmp_path, {"aaa_eve": hostile("red_forged_ended_frame", "ex1"), "bea": solution, "cid": solution}
    )
    right = results["cid"].score
    assert right > 0 and results["bea"].score == right, results["bea"].problem
    assert results["aaa_eve"].score == 0  # its own reply stream is broken: that costs only itself
    assert "only the sandbox itself may send" in " ".join(t.message for t in results["aaa_eve"].tests)


# --- broke, fixed: what goes wrong during the hidden part is shown without what the student's code sent ---------
def test_an_unreadable_hidden_reply_shows_nothing_the_code_chose():
    """Before the fix the problem line (and every visible test's message) read "a reply of 9017777 bytes":
    a number the code picked from a hidden input, at the price of this one exercise."""
    encodes = (
        MASTERS["ex1"].solution_code
        + """
import os, struct, time
_right = can_do


def can_do(level, capability, placement):
    if level == "anonymous":
        os.write(4, struct.pack(">I", 9000777 + len(capability) * 1000))
        time.sleep(3)
    return _right(level, capability, placement)
"""
    )
    results = grade("ex1", "ex3", ex1=encodes)
    ex1 = results["ex1"]
    assert ex1.score == 0 and "during the hidden tests" in ex1.problem
    assert "777 bytes" not in shown(results)
    assert any("777 bytes" in t.message for t in ex1.tests if t.hidden)  # the instructor keeps it
    assert results["ex3"].score > 0


def test_a_module_imported_after_hidden_tests_ran_cannot_show_them_in_its_import_error():
    """Exercise 4's last visible call ends the process, so the hidden part starts a fresh one: exercise 1's
    hidden tests run in it, then exercise 3's module is imported there, reads what exercise 1 recorded
    and fails with it. Before the fix exercise 3's problem line listed exercise 1's hidden inputs."""
    fails_with_them = (
        MASTERS["ex3"].solution_code
        + """
import builtins
if "anonymous" in getattr(builtins, "SEEN", ()):  # only hidden tests ask about it
    raise ValueError("LEAK " + " ".join(builtins.SEEN))
"""
    )
    ends = (
        MASTERS["ex4"].solution_code
        + f"""
import os
_right = effective_level
_calls = [0]


def effective_level(*args):
    _calls[0] += 1
    if _calls[0] == {questions("ex4", False)}:
        os._exit(3)
    return _right(*args)
"""
    )
    results = grade(*SHARED, ex1=RECORDS, ex3=fails_with_them, ex4=ends)
    seen = shown({e: results[e] for e in ("ex1", "ex3")})  # (ex4's visible cases ask about Anonymous)
    assert "LEAK" not in seen and HIDDEN_ONLY not in seen, results["ex3"].problem
    ex3 = results["ex3"]
    assert "could not be imported for the hidden tests" in ex3.problem
    assert any(HIDDEN_ONLY in t.message for t in ex3.tests if t.hidden)  # kept for the instructor
    assert all(t.status == "passed" for t in ex3.tests if not t.hidden)  # its visible part ran before


# --- held: guarantees the attacks above and below did not break ------------------------------------------------
def test_hidden_inputs_left_behind_do_not_reach_the_next_views_process():
    """Exercise 1 (first view) leaves its hidden inputs in /tmp, an abstract socket served by a process of
    its own, the keyring and the reply pipe; exercise 5 (next view, started after) looks for them and
    fails with what it found. Would catch: views sharing a process, a /tmp, a network namespace or a pipe,
    a daemon outliving its view, a keyring open to the slot's uid."""
    results = grade(
        "ex1",
        "ex5",
        ex1=hostile("red_cross_view_channels", "ex1"),
        ex5=hostile("red_cross_view_channels", "ex5"),
    )
    assert "LOOKED FOR LEAKS" in results["ex5"].problem  # the channel to the student works ...
    assert HIDDEN_ONLY not in shown(results) and "SMUGGLED" not in shown(results)  # ... and carries nothing


@ROOT_ONLY
def test_hidden_inputs_left_behind_do_not_reach_the_next_classmate(tmp_path):
    """The same, for a colluding classmate graded next in the same sandbox (same network namespace)."""
    looks = hostile("red_cross_view_channels", "ex5")
    results = one_exercise_class(tmp_path, {"aaa_eve": hostile("red_cross_view_channels", "ex1"), "bob": looks})
    assert "LOOKED FOR LEAKS" in results["bob"].problem
    assert HIDDEN_ONLY not in results["bob"].problem and "SMUGGLED" not in results["bob"].problem


def test_a_batch_whose_later_call_loops_keeps_the_earlier_answers_and_is_cut_at_the_call_limit():
    """The hidden batch's first five answers come at once, the sixth loops. Would catch: earlier replies
    lost with the process, a loop waited out to the exercise's budget instead of the call's, a timeout that
    costs a test of another exercise or leaves it a process still looping."""
    loops = (
        MASTERS["ex1"].solution_code
        + f"""
_right = can_do
_calls = [0]


def can_do(level, capability, placement):
    _calls[0] += 1
    while _calls[0] == {questions("ex1", False) + 6}:
        pass
    return _right(level, capability, placement)
"""
    )
    full = grade(*SHARED)
    results = grade(*SHARED, ex1=loops)
    hidden = [t for t in results["ex1"].tests if t.hidden]
    assert [t.status for t in hidden[:5]] == ["passed"] * 5
    assert "timed out after 2.0 s" in hidden[5].message
    assert all(t.message.startswith("not run") for t in hidden[6:])
    assert {e: results[e].score for e in ("ex3", "ex4")} == {e: full[e].score for e in ("ex3", "ex4")}
