"""One student process per package view: what the exercises sharing it may and may not see of each other.

Exercises 1, 3 and 4 share a view (the same allowed modules), so the grader serves them from one
process: every visible part first, then every hidden part; requests of a part go together. These tests
attack that: hidden inputs passed from one exercise to another's visible output, a timeout, a crash in
the middle of a batch, a sabotaging import, output attributed to the wrong exercise.
"""

from functools import cache
from pathlib import Path

import pytest

from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.runner import Budget, grade_submission

ROOT = Path(__file__).resolve().parent.parent
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
SHARED = ("ex1", "ex3", "ex4")  # one view: checked below, so these tests fail loudly if the views change
QUICK = Budget(per_call=2.0, per_exercise=15.0, import_time=5.0)
#: the first hidden case of exercise 1: only hidden tests ask about the Anonymous level
HIDDEN_ONLY = "anonymous"


def test_the_exercises_used_here_share_one_view():
    assert len({MASTERS[e].allow for e in SHARED}) == 1
    assert not any(HIDDEN_ONLY in str(t.data["args"]) for t in MASTERS["ex1"].tests() if not t.hidden)
    assert any(HIDDEN_ONLY in str(t.data["args"]) for t in MASTERS["ex1"].tests() if t.hidden)


def grade(**modules: str):
    """Grade exercises 1, 3 and 4 with the given sources (solutions where not given); results by id."""
    files = {MASTERS[e].module: modules.get(e, MASTERS[e].solution_code) for e in SHARED}
    return {r.exercise: r for r in grade_submission([MASTERS[e] for e in SHARED], files, budget=QUICK)}


@cache
def full() -> dict[str, float]:
    return {e: r.score for e, r in grade().items()}


def shown(result) -> str:
    """Everything of an exercise's result its student reads: output, problem, visible tests' messages."""
    return " ".join([result.output, result.problem, *(t.message for t in result.tests if not t.hidden)])


# Exercise 1 keeps every input it gets where exercise 3's module can read it (the process is shared).
RECORDS = (
    MASTERS["ex1"].solution_code
    + """
import builtins
builtins.SEEN = getattr(builtins, "SEEN", [])
_right = can_do


def can_do(level, capability, placement):
    builtins.SEEN.append(level)
    return _right(level, capability, placement)
"""
)
# Exercise 3 shows everything recorded so far, in its output and in its failure messages.
SHOWS = (
    MASTERS["ex3"].solution_code
    + """
import builtins


def least_level(task):
    seen = " ".join(getattr(builtins, "SEEN", []))
    print("seen so far:", seen)
    raise ValueError("seen so far: " + seen)
"""
)


def test_hidden_inputs_of_one_exercise_never_reach_what_another_shows():
    results = grade(ex1=RECORDS, ex3=SHOWS)
    assert results["ex1"].score == full()["ex1"] > 0
    assert "seen so far" in shown(results["ex3"])  # the channel works ...
    assert HIDDEN_ONLY not in shown(results["ex3"])  # ... but carries no hidden input into view
    hidden_messages = " ".join(t.message for t in results["ex3"].tests if t.hidden)
    assert HIDDEN_ONLY in hidden_messages  # (only later, where the instructor alone reads)


def test_a_timeout_in_one_exercise_costs_the_others_nothing():
    looping = (
        MASTERS["ex1"].solution_code + "\n\ndef can_do(level, capability, placement):\n    while True:\n        pass\n"
    )
    results = grade(ex1=looping)
    assert results["ex1"].score == 0
    assert any("timed out after 2.0 s while running can_do" in t.message for t in results["ex1"].tests)
    assert all("not run" in t.message or "timed out" in t.message for t in results["ex1"].tests)
    assert (results["ex3"].score, results["ex4"].score) == (full()["ex3"], full()["ex4"])


def test_a_crash_in_the_middle_of_the_requests_costs_only_its_own_test():
    first_hidden = next(t for t in MASTERS["ex1"].tests() if t.hidden)
    crashing = (
        MASTERS["ex1"].solution_code
        + f"""
import os
_right = can_do


def can_do(level, capability, placement):
    if [level, capability, placement] == {first_hidden.data["args"]!r}:
        os._exit(3)
    return _right(level, capability, placement)
"""
    )
    results = grade(ex1=crashing)
    crashed = [t for t in results["ex1"].tests if t.status != "passed"]
    assert [t.name for t in crashed] == [first_hidden.name]
    assert "exit code 3" in crashed[0].message
    assert results["ex1"].score == full()["ex1"] - first_hidden.points
    assert (results["ex3"].score, results["ex4"].score) == (full()["ex3"], full()["ex4"])


def test_a_module_that_sabotages_the_package_and_fails_to_import_leaves_the_others_alone():
    sabotage = (
        "import rpc_impersonation.constants as c\n"
        "for name in dir(c):\n"
        "    if not name.startswith('_'):\n"
        "        setattr(c, name, None)\n"
        "raise RuntimeError('broken on purpose')\n"
    )
    results = grade(ex1=sabotage)
    assert results["ex1"].score == 0 and "broken on purpose" in results["ex1"].problem
    assert (results["ex3"].score, results["ex4"].score) == (full()["ex3"], full()["ex4"])


@pytest.mark.parametrize("where", ["import", "call"])
def test_output_goes_to_the_exercise_that_printed_it(where):
    def printing(e: str, function: str) -> str:
        text = MASTERS[e].solution_code
        if where == "import":
            return text + f"\nprint('printed by {e}')\n"
        return (
            text + f"\n_inner_{e} = {function}\n\ndef {function}(*args):\n    print('printed by {e}')\n"
            f"    return _inner_{e}(*args)\n"
        )

    results = grade(ex1=printing("ex1", "can_do"), ex3=printing("ex3", "least_level"))
    assert "printed by ex1" in results["ex1"].output and "printed by ex3" not in results["ex1"].output
    assert "printed by ex3" in results["ex3"].output and "printed by ex1" not in results["ex3"].output
    assert results["ex4"].output == ""
    assert {e: r.score for e, r in results.items()} == full()


def test_one_answer_serves_every_test_that_judges_it():
    """Exercise 8's tests judge one field each of a trace: the student's trace runs once per distinct
    question of a part (the visible part's output, which the student sees, counts the runs)."""
    m = MASTERS["ex8"]
    visible = [t for t in m.tests() if not t.hidden]
    questions = {(t.data["call"], str(t.data["args"])) for t in visible}
    assert len(questions) < len(visible)  # several tests judge the same trace
    counting = (
        m.solution_code
        + """
_right = trace


def trace(world, client, hops):
    print("traced")
    return _right(world, client, hops)
"""
    )
    plain = grade_submission([m], {m.module: m.solution_code}, budget=QUICK)[0]
    counted = grade_submission([m], {m.module: counting}, budget=QUICK)[0]
    assert counted.score == plain.score > 0
    assert counted.output.count("traced") == len(questions)


def test_an_exercise_that_runs_out_of_time_mid_batch_leaves_the_next_one_a_clean_process():
    """Exercise 1's calls are slow: its time budget ends while replies it asked for in one batch are still
    coming. Those go with the process; exercise 3 (same view) is graded in a fresh one, fully."""
    slow = (
        MASTERS["ex1"].solution_code
        + """
import time
_right = can_do


def can_do(level, capability, placement):
    time.sleep(0.15)
    return _right(level, capability, placement)
"""
    )
    budget = Budget(per_call=2.0, per_exercise=3.0, import_time=5.0)
    files = {MASTERS[e].module: MASTERS[e].solution_code for e in SHARED}
    files[MASTERS["ex1"].module] = slow
    results = {r.exercise: r for r in grade_submission([MASTERS[e] for e in SHARED], files, budget=budget)}
    ex1 = results["ex1"]
    assert any(t.status == "passed" for t in ex1.tests if t.hidden) and 0 < ex1.score < full()["ex1"]
    assert any("time limit for this exercise" in t.message for t in ex1.tests)
    assert not any("timed out after" in t.message for t in ex1.tests)  # no call took its whole 2 s
    assert (results["ex3"].score, results["ex4"].score) == (full()["ex3"], full()["ex4"])


def test_a_sandbox_whose_stop_times_out_is_replaced_not_reused(monkeypatch):
    """If stopping a process ever outlasts its limit, the sandbox's late "stopped" must not be taken for the
    next process's first frame (that would zero the next exercise, or a classmate's): the sandbox is closed
    and the next exercise gets a new one."""
    from rpc_impersonation.grading import sandbox_process
    from rpc_impersonation.grading.frames import SandboxFault

    expected = full()  # the isolation is chosen (its preflight stops a process too) before the stop is slowed
    real_stop, calls = sandbox_process.Sandbox.stop, []

    def slow_stop(self, timeout=5.0):
        if not calls:  # the first stop: asked for, but its answer comes too late
            calls.append(self)
            self._send({"op": "stop"})
            raise SandboxFault("no answer in time", kind="timeout")
        return real_stop(self, timeout)

    monkeypatch.setattr(sandbox_process.Sandbox, "stop", slow_stop)
    looping = (
        MASTERS["ex1"].solution_code + "\n\ndef can_do(level, capability, placement):\n    while True:\n        pass\n"
    )
    results = grade(ex1=looping)
    assert calls and calls[0].closed
    assert results["ex1"].score == 0
    assert (results["ex3"].score, results["ex4"].score) == (expected["ex3"], expected["ex4"])
