"""Exercises and grading: one source two views, solutions 100%, stubs 0, hostile submissions, class reports."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rpc_impersonation.grading.classroom import discover, grade_class
from rpc_impersonation.grading.course import check, release, verify
from rpc_impersonation.grading.gradescope import build_autograder
from rpc_impersonation.grading.masters import find_leaks, load_masters
from rpc_impersonation.grading.runner import Budget, grade_exercise

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
QUICK = Budget(per_call=2.0, per_exercise=12.0, import_time=4.0)


def test_at_least_eight_exercises_each_tied_to_a_notebook():
    assert len(MASTERS) >= 8
    for m in MASTERS.values():
        assert (ROOT / "notebooks" / f"{m.notebook}.ipynb").exists(), m.id
        assert any(t.hidden for t in m.tests()) and any(not t.hidden for t in m.tests()), m.id


def test_verify_student_view_current_solutions_full_stubs_zero_no_leaks():
    report = verify(ROOT)
    assert report.ok, str(report)
    assert report.solution_scores and all(s == m > 0 for s, m in report.solution_scores.values())


def test_no_solution_or_hidden_test_reaches_exercises():
    assert find_leaks(ROOT / "exercises") == []
    for m in MASTERS.values():
        hidden_names = {t.name for t in m.tests() if t.hidden}
        visible = (ROOT / "exercises" / "checks" / f"{m.module}.py").read_text()
        assert not any(f'"{name}"' in visible for name in hidden_names)
        assert "BEGIN SOLUTION" not in (ROOT / "exercises" / f"{m.module}.py").read_text()


def test_self_check_on_untouched_exercises_says_not_implemented():
    report = check("all", ROOT)
    assert report.score == 0 and len(report.results) == len(MASTERS)
    assert all(t.status == "not implemented" for r in report.results for t in r.tests)
    assert "not implemented yet" in str(report)


def test_self_check_from_the_command_line(tmp_path):
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    done = subprocess.run(
        [sys.executable, "-m", "rpc_impersonation.grading", "check", "ex3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "least_level is not implemented yet" in done.stdout and "total: 0/" in done.stdout
    assert done.returncode == 1, "check must fail while a visible test fails"
    bad = subprocess.run(
        [sys.executable, "-m", "rpc_impersonation.grading", "check", "ex42"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown exercise 'ex42'; expected one of all, ex1" in bad.stderr


def grade_hostile(case: str, exercise: str = "ex1"):
    master = MASTERS[exercise]
    path = HOSTILE / case / f"{master.module}.py"
    return grade_exercise(master, path.read_text() if path.exists() else None, budget=QUICK)


@pytest.mark.parametrize(
    "case,message",
    [
        ("infinite_loop", "timed out"),
        ("loop_at_import", "timed out after"),
        ("deep_recursion", "recursed too deeply"),
        ("sys_exit", "called sys.exit(3)"),
        ("os_exit", "sandbox process ended"),
        ("interpreter_crash", "sandbox process ended"),
        ("memory_bomb", "ran out of memory"),
        ("syntax_error", "SyntaxError"),
        ("missing_function", "function can_do() is missing"),
        ("wrong_type", "not plain data"),
        ("renamed_file", "ex1_level_capabilities.py is missing"),
    ],
)
def test_hostile_submission_scores_zero_with_a_clear_message(case, message):
    result = grade_hostile(case)
    assert result.score == 0, (case, result.score)
    text = " ".join([result.problem, *(t.message for t in result.tests)])
    assert message in text, (case, text[:500])


def test_monkeypatching_the_engine_gains_nothing():
    """The engine and the grader's modules are not even importable in the sandbox of this exercise."""
    patched, plain = grade_hostile("monkeypatch_engine"), grade_hostile("always_true")
    assert patched.score == 0 and "rpc_impersonation.capabilities is not allowed in this exercise" in patched.problem
    assert 0 < plain.score < plain.max_score
    assert all("Rule R" in t.message for t in plain.tests if t.status == "failed")


def test_print_flood_is_capped_and_still_gets_full_marks():
    result = grade_hostile("print_flood")
    assert result.score == result.max_score
    assert len(result.output) <= 20_200 and "more characters of output dropped" in result.output


def test_partly_right_gets_marks_for_what_works():
    result = grade_hostile("partly_right")
    assert 0 < result.score < result.max_score
    failed = [t for t in result.tests if t.status != "passed"]
    assert failed and all("ValueError" in t.message for t in failed)  # only the anonymous cases raise


def test_unchecked_handler_is_caught_by_the_graders_engine():
    result = grade_hostile("unchecked_handler", "ex2")
    bad = {t.name for t in result.tests if t.status != "passed"}
    assert "unauthenticated client: never works as SYSTEM for the caller" in bad
    assert any(
        t.hidden
        and t.data["name"] == "unauthenticated local client: never works as SYSTEM for the caller"
        and t.name in bad
        for t in MASTERS["ex2"].tests()
    )
    assert "well-behaved client: returns the right code" not in bad


def test_a_handler_cannot_fake_the_engine_it_cannot_even_import():
    result = grade_hostile("handler_fakes_engine", "ex2")
    assert result.score == 0 and "rpc_impersonation.engine is not allowed in this exercise" in result.problem


def test_trace_exercise_refuses_the_chain_evaluator():
    result = grade_hostile("uses_evaluate", "ex8")
    assert result.score == 0
    assert "is not allowed in this exercise" in result.tests[0].message


def class_folder(tmp_path: Path) -> Path:
    subs = tmp_path / "submissions"
    subs.mkdir()
    # a perfect student, as a folder
    good = subs / "ada"
    good.mkdir()
    for m in MASTERS.values():
        (good / f"{m.module}.py").write_text(m.solution_code)
    # the same answers as a zip and as a notebook
    with zipfile.ZipFile(subs / "bea.zip", "w") as z:
        for m in MASTERS.values():
            z.writestr(f"work/{m.module}.py", m.solution_code)
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": f"# file: {m.module}.py\n{m.solution_code}",
        }
        for m in MASTERS.values()
    ]
    (subs / "cy.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    # single modules, one exercise done
    (subs / f"dee__{MASTERS['ex4'].module}.py").write_text(MASTERS["ex4"].solution_code)
    # hostile students, one exercise each
    for case in ("infinite_loop", "os_exit", "syntax_error", "writes_gradebook", "print_flood"):
        folder = subs / f"hostile_{case}"
        shutil.copytree(HOSTILE / case, folder)
    target = tmp_path / "results"
    hostile = subs / "hostile_writes_gradebook" / "ex1_level_capabilities.py"
    hostile.write_text(hostile.read_text().replace('os.environ.get("HOSTILE_TARGET", "")', repr(str(target))))
    (subs / "broken.zip").write_bytes(b"not a zip")
    return subs


def test_grade_a_class_writes_every_report_and_resumes(tmp_path):
    subs = class_folder(tmp_path)
    out = tmp_path / "results"
    progress = tmp_path / "progress.txt"
    with progress.open("w") as stream:
        results = grade_class(subs, out, ROOT / "solutions", budget=QUICK, progress_stream=stream)
    full = sum(r.max_score for r in results["ada"])
    assert sum(r.score for r in results["ada"]) == full
    assert sum(r.score for r in results["bea"]) == full and sum(r.score for r in results["cy"]) == full
    graded_max = {r.exercise: r.max_score for r in results["ada"]}
    assert {r.exercise: r.score for r in results["dee"]}["ex4"] == graded_max["ex4"]
    assert sum(r.score for r in results["hostile_infinite_loop"]) == 0
    assert {r.exercise: r.score for r in results["hostile_print_flood"]}["ex1"] == graded_max["ex1"]
    assert "not a readable zip" in results["broken"][0].problem
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == sorted(results)
    assert "victim" not in (out / "gradebook.csv").read_text()
    assert {r["student"]: r["total"] for r in rows}["ada"] == f"{full:g}"
    for student in results:
        assert (out / "feedback" / f"{student}.md").exists()
        doc = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert {"score", "tests"} <= set(doc) and all({"name", "score", "max_score"} <= set(t) for t in doc["tests"])
    assert (out / "summary.png").stat().st_size > 1000 and "Class summary" in (out / "summary.md").read_text()
    assert progress.read_text().count("grading [") == len(results)
    feedback = (out / "feedback" / "hostile_syntax_error.md").read_text()
    assert "SyntaxError" in feedback
    # resume: nothing changed, nothing graded again; a changed submission is graded again
    with progress.open("w") as stream:
        grade_class(subs, out, ROOT / "solutions", budget=QUICK, progress_stream=stream)
    assert progress.read_text().startswith("isolation: ") and "grading [" not in progress.read_text()
    (subs / "ada" / "ex1_level_capabilities.py").write_text("def can_do(*a):\n    return True\n")
    with progress.open("w") as stream:
        again = grade_class(subs, out, ROOT / "solutions", budget=QUICK, progress_stream=stream)
    assert progress.read_text().count("grading [") == 1
    assert {r.exercise: r.score for r in again["ada"]}["ex1"] < graded_max["ex1"]


def test_discover_accepts_every_form(tmp_path):
    subs = class_folder(tmp_path)
    found = {s.student: s for s in discover(subs)}
    assert len(found["bea"].files) == len(MASTERS) == len(found["cy"].files)
    assert list(found["dee"].files) == [MASTERS["ex4"].module]


def test_release_bundle_has_no_solutions(tmp_path):
    folder, archive = release(ROOT, tmp_path / "bundle")
    assert (folder / "notebooks" / "00_start_here.ipynb").exists()
    assert (folder / "exercises" / "checks" / "ex1_level_capabilities.py").exists()
    assert not (folder / "solutions").exists() and find_leaks(folder) == []
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert "bundle/exercises/ex1_level_capabilities.py" in names
        assert not any("solutions" in n for n in names)
        assert not any("BEGIN SOLUTION" in z.read(n).decode(errors="ignore") for n in names if n.endswith(".py"))


def test_gradescope_autograder_grades_a_submission_locally(tmp_path):
    archive = build_autograder(ROOT, tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "source")
        assert {"setup.sh", "run_autograder"} <= set(z.namelist())
    (root / "submission").mkdir()
    for m in list(MASTERS.values())[:2]:
        (root / "submission" / f"{m.module}.py").write_text(m.solution_code)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["AUTOGRADER_ROOT"] = str(root)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True, capture_output=True)
    masters = root / "source" / "solutions"
    assert masters.stat().st_mode & 0o077 == 0 and all(p.stat().st_mode & 0o077 == 0 for p in masters.iterdir())
    doc = json.loads((root / "results" / "results.json").read_text())
    by_ex = {}
    for t in doc["tests"]:
        ex = t["name"].split(":")[0]
        by_ex[ex] = by_ex.get(ex, 0) + t["score"]
    full = {m.id: sum(t.points for t in m.tests()) for m in MASTERS.values()}
    assert by_ex["ex1"] == full["ex1"] and by_ex["ex2"] == full["ex2"] and by_ex["ex3"] == 0
    assert any(t["visibility"] == "after_published" for t in doc["tests"])


# --- nbgrader versions of the exercises (the benchmark's side-by-side; nbgrader itself not needed) -------------
def _notebook_namespace(code: str) -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(code, "<answer cell>", "exec"), namespace)  # trusted: the masters' own code, as a kernel would
    return namespace


@pytest.mark.parametrize("layout", ["per-exercise", "one-notebook"])
def test_nbgrader_export_carries_every_test_with_its_points(tmp_path, layout):
    from rpc_impersonation.grading.nbgrader import export_course

    paths = export_course(ROOT / "solutions", tmp_path, layout)
    assert len(paths) == (len(MASTERS) if layout == "per-exercise" else 1)
    cells = [c for p in paths for c in json.loads(p.read_text())["cells"]]
    graded = [c for c in cells if c["metadata"]["nbgrader"]["grade"]]
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded) == sum(
        t.points for m in MASTERS.values() for t in m.tests()
    )
    hidden = [c for c in graded if "BEGIN HIDDEN TESTS" in c["source"]]
    assert len(hidden) == sum(t.hidden for m in MASTERS.values() for t in m.tests())
    answers = [c for c in cells if c["metadata"]["nbgrader"]["solution"]]
    assert [c["id"] for c in answers] == [f"{i}-answer" for i in MASTERS]
    assert all("### BEGIN SOLUTION" in c["source"] for c in answers)
    assert "c.Execute.timeout = 30.0" in (tmp_path / "nbgrader_config.py").read_text()


@pytest.mark.parametrize("exercise", sorted(MASTERS))
def test_nbgrader_check_passes_the_solution_and_explains_a_stub(exercise):
    from rpc_impersonation.grading.nbgrader import check

    master = MASTERS[exercise]
    solved, stub = _notebook_namespace(master.solution_code), _notebook_namespace(master.student_code())
    for t in master.tests():
        check(exercise, t.name, solved)
        with pytest.raises(AssertionError, match="not implemented yet"):
            check(exercise, t.name, stub)


def test_nbgrader_check_forbids_the_evaluator_only_while_the_students_code_runs():
    from rpc_impersonation.grading.nbgrader import check
    from rpc_impersonation.scenarios import loader

    evaluate = loader.evaluate
    cheating = _notebook_namespace((HOSTILE / "uses_evaluate" / "ex8_trace_identity.py").read_text())
    first = MASTERS["ex8"].tests()[0]
    with pytest.raises(AssertionError, match="not allowed in this exercise"):
        check("ex8", first.name, cheating)
    assert loader.evaluate is evaluate  # restored: the test's own expectations may use it


def test_nbgrader_fill_answers_replaces_only_the_named_answer_cells(tmp_path):
    from rpc_impersonation.grading.nbgrader import export_course, fill_answers

    (path,) = export_course(ROOT / "solutions", tmp_path, "one-notebook")
    notebook = json.loads(path.read_text())
    filled = fill_answers(notebook, {"ex3": "def least_level(task):\n    return 'identify'\n"})
    changed = [a["id"] for a, b in zip(notebook["cells"], filled["cells"]) if a["source"] != b["source"]]
    assert changed == ["ex3-answer"]


def test_nbgrader_autograde_gives_the_solution_full_marks_and_a_stub_zero(tmp_path):
    """With nbgrader installed (the optional extra), its own autograde runs the exported exercises."""
    pytest.importorskip("nbgrader", reason="nbgrader is an optional extra: pip install -e '.[nbgrader]'")
    from nbgrader.api import Gradebook

    from rpc_impersonation.grading.nbgrader import export_course, fill_answers, run_nbgrader

    export_course(ROOT / "solutions", tmp_path, "one-notebook", timeout=10)
    run_nbgrader(tmp_path, "generate_assignment", "rpc", solutions=ROOT / "solutions")
    released = json.loads((tmp_path / "release" / "rpc" / "all_exercises.ipynb").read_text())
    assert "### BEGIN SOLUTION" not in json.dumps(released)
    for student, answers in (("solved", {i: m.solution_code for i, m in MASTERS.items()}), ("untouched", {})):
        folder = tmp_path / "submitted" / student / "rpc"
        folder.mkdir(parents=True)
        (folder / "all_exercises.ipynb").write_text(json.dumps(fill_answers(released, answers)))
    run_nbgrader(tmp_path, "autograde", "rpc", solutions=ROOT / "solutions")
    total = sum(t.points for m in MASTERS.values() for t in m.tests())
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        assert gb.find_submission("rpc", "solved").score == total
        assert gb.find_submission("rpc", "untouched").score == 0
