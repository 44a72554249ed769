"""Exercises measure understanding: the engine cannot answer them while graded, the bundle ships no
answer source, feedback names the misconception, the rule and the section, and the docs show it."""

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rpc_impersonation.grading.allow import DECIDING, engine_similarity, scan_for_deciding_imports, similarity_problem
from rpc_impersonation.grading.course import answer_sources, check
from rpc_impersonation.grading.masters import load_masters
from rpc_impersonation.grading.misconceptions import MISCONCEPTIONS
from rpc_impersonation.grading.runner import Budget, grade_exercise
from rpc_impersonation.grading.sections import SECTIONS, link, missing_headings
from rpc_impersonation.grading.spec import outcome
from rpc_impersonation.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
CHEATS = Path(__file__).parent / "cheats"
MASTERS = {m.id: m for m in load_masters(ROOT / "solutions")}
QUICK = Budget(per_call=3.0, per_exercise=30.0, import_time=5.0)
#: exercises whose answers the engine could compute (the "call the engine" cheats target them)
REASONING = ("ex1", "ex3", "ex4", "ex6", "ex7", "ex9", "ex11", "ex12")
DRIVERS = {"handler": "handle_request", "trace": "trace"}


def _cheat(exercise: str) -> str:
    return (CHEATS / f"{MASTERS[exercise].module}.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the exercise set


def test_twelve_exercises_one_per_notebook_01_to_07():
    assert len(MASTERS) >= 12
    covered = {m.notebook[:2] for m in MASTERS.values()}
    assert {"01", "02", "03", "04", "05", "06", "07"} <= covered
    for m in MASTERS.values():
        assert (ROOT / "notebooks" / "source" / f"{m.notebook}.nb").exists(), m.id


@pytest.mark.parametrize("exercise", sorted(MASTERS, key=lambda e: int(e[2:])))
def test_visible_cases_cover_every_function_and_graded_cases_exist(exercise):
    m = MASTERS[exercise]
    functions = {n.name for n in ast.parse(m.student_code()).body if isinstance(n, ast.FunctionDef)}
    visible = m.tests(hidden=False)
    called = {DRIVERS.get(t.data["call"], t.data["call"]) if t.data.get("drive") else t.data["call"] for t in visible}
    assert functions <= called, f"{exercise}: no visible case for {functions - called}"
    graded = m.tests(hidden=True)
    assert sum(t.points for t in graded if t.hidden) > 0


@pytest.mark.parametrize("exercise", sorted(MASTERS, key=lambda e: int(e[2:])))
def test_every_case_cites_a_known_rule_section_and_misconception(exercise):
    for t in MASTERS[exercise].tests(hidden=True):
        d = t.data
        assert d is not None, f"{exercise}: {t.name} is code, not a case"
        if d.get("rule"):
            assert d["rule"] in RULES
        assert d.get("section") in SECTIONS, (exercise, t.name)
        for _, key in d.get("wrong", []):
            assert key in MISCONCEPTIONS, (exercise, key)
        for _, _, key, rule, section in d.get("before", []):
            assert key in MISCONCEPTIONS and rule in RULES and section in SECTIONS, (exercise, key)
        if d.get("misconception"):
            assert d["misconception"] in MISCONCEPTIONS


def test_reasoning_exercises_allow_only_the_vocabulary():
    for m in MASTERS.values():
        deciding = [a for a in m.allow if any(a == d or a.startswith(d + ".") for d in DECIDING)]
        if m.reasoning:
            assert deciding == [], m.id
        else:
            assert m.id == "ex8", f"{m.id} is the only exercise about the engine's primitives"


def test_prediction_items_are_formative_and_say_so():
    for exercise in ("ex6", "ex7", "ex9"):
        m = MASTERS[exercise]
        assert m.settings["formative"]
        assert "formative" in m.docstring
        assert all(t.points <= 0.5 for t in m.tests(hidden=True))


# ---------------------------------------------------------------- sections and links


def test_every_section_link_names_a_heading_that_exists():
    assert missing_headings(ROOT / "notebooks" / "source") == []
    assert link("05.session") == "notebooks/05_ncalrpc_exception.ipynb#Why:-whose-logon-session?"


def test_a_renamed_heading_is_caught(tmp_path):
    for nb in (ROOT / "notebooks" / "source").glob("*.nb"):
        shutil.copy(nb, tmp_path / nb.name)
    source = tmp_path / "05_ncalrpc_exception.nb"
    source.write_text(
        source.read_text(encoding="utf-8").replace("## Why: whose logon session?", "## Why"), encoding="utf-8"
    )
    assert missing_headings(tmp_path) == ['05.session: 05_ncalrpc_exception "Why: whose logon session?"']


# ---------------------------------------------------------------- the engine cannot answer


class _InProcess:
    """Runs a module's functions in this process, with the whole package importable (the control)."""

    def __init__(self, source: str, name: str) -> None:
        self.ns = {"__name__": name}
        exec(compile(source, name, "exec"), self.ns)

    def __call__(self, function, *args):
        fn = self.ns[function] if function in self.ns else self.ns["__getattr__"](function)
        return json.loads(json.dumps(fn(*args), default=str))


@pytest.mark.parametrize("exercise", REASONING)
def test_call_the_engine_scores_zero_on_every_reasoning_exercise(exercise):
    m = MASTERS[exercise]
    # control: unrestricted, the cheat answers most cases, so the test below can fail
    run = _InProcess(_cheat(exercise), f"cheat_{exercise}")
    results = [outcome(t, run) for t in m.tests(hidden=True)]
    assert sum(r.status == "passed" for r in results) >= len(results) / 2, exercise
    graded = grade_exercise(m, _cheat(exercise), hidden=True, budget=QUICK)
    assert graded.score == 0 and graded.max_score > 0, (exercise, graded.score)
    assert "is not allowed in this exercise" in graded.problem + " ".join(t.message for t in graded.tests)


def test_the_engine_primitives_exercise_still_refuses_the_chain_evaluator():
    source = "from rpc_impersonation import load_named\ndef trace(world, client, hops):\n    return []\n"
    r = grade_exercise(MASTERS["ex8"], source, hidden=True, budget=QUICK)
    assert r.score == 0 and "load_named" in r.problem


@pytest.mark.parametrize("exercise", sorted(MASTERS, key=lambda e: int(e[2:])))
def test_reading_the_bundles_checks_scores_zero(exercise):
    m = MASTERS[exercise]
    checks = ROOT / "exercises" / "checks" / f"{m.module}.py"
    source = (CHEATS / "read_checks.py").read_text(encoding="utf-8").replace("@CHECKS@", str(checks))
    graded = grade_exercise(m, source, hidden=True, budget=QUICK)
    assert graded.score == 0, (exercise, [(t.name, t.points) for t in graded.tests if t.points])
    if exercise not in ("ex2", "ex5", "ex8"):  # control: it does read the stored answers of the visible cases
        run = _InProcess(source, f"reader_{exercise}")
        assert all(outcome(t, run).status == "passed" for t in m.tests(hidden=False)), exercise


def test_visible_checks_import_only_the_case_loader():
    for path in sorted((ROOT / "exercises" / "checks").glob("ex*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        assert imports == {"rpc_impersonation.grading.spec"}, path.name
        assert "def " not in path.read_text(encoding="utf-8"), f"{path.name} holds code, not stored answers"


def test_verify_scan_finds_every_way_of_importing_a_deciding_module(tmp_path):
    bundle = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", bundle)
    assert answer_sources(bundle, ROOT / "solutions") == []
    sneaky = {
        "a.py": "import importlib\nE = importlib.import_module('rpc_impersonation.engine')\n",
        "b.py": 'm = __import__("rpc_impersonation.chain")\n',
        "c.py": "from rpc_impersonation import evaluate\n",
        "d.py": "from rpc_impersonation.scenarios.loader import load_named\n",
        "e.py": "import solutions.ex1_level_capabilities\n",
    }
    for name, text in sneaky.items():
        (bundle / "checks" / name).write_text(text, encoding="utf-8")
    nb = json.loads((bundle / "ex1_level_capabilities.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "source": "from rpc_impersonation.capabilities import run_capability\n",
            "outputs": [],
            "execution_count": None,
        }
    )
    (bundle / "ex1_level_capabilities.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    hits = answer_sources(bundle, ROOT / "solutions")
    for name in sneaky:
        assert any(f"/{name}:" in h for h in hits), (name, hits)
    assert any("ipynb cell" in h and "capabilities" in h for h in hits)
    assert len(scan_for_deciding_imports(ROOT / "exercises")) == 1  # exercise 8's Engine, which it may use


def test_verify_refuses_a_hidden_case_that_repeats_a_visible_one(tmp_path):
    from rpc_impersonation.grading.course import hidden_cases_in_bundle

    assert hidden_cases_in_bundle(ROOT / "solutions") == []
    folder = tmp_path / "solutions"
    folder.mkdir()
    text = MASTERS["ex6"].text.replace(
        "    rule_case(_variant, hidden=True)\n",
        '    rule_case(_variant, hidden=True)\nrule_case("lb-impersonate", True)\n',
    )
    text = text.replace(
        "def rule_case(variant, hidden):\n    accepted",
        'def rule_case(variant, hidden):\n    hidden_name = " again" if hidden and variant == '
        '"lb-impersonate" else ""\n    accepted',
    )
    text = text.replace('ask(f"deciding_rule({variant!r})"', 'ask(f"deciding_rule({variant!r}){hidden_name}"')
    (folder / MASTERS["ex6"].path.name).write_text(text, encoding="utf-8")
    found = hidden_cases_in_bundle(folder)
    assert found and "deciding_rule('lb-impersonate') again" in found[0]


# ---------------------------------------------------------------- feedback that teaches


def _stub_run(answers):
    def run(function, *args):
        return answers(function, *args)

    run.drive = run
    return run


def test_feedback_names_the_misconception_and_the_rule_of_the_right_answer():
    case = next(t for t in MASTERS["ex6"].tests(hidden=False) if t.name == "who_reaches('lb-impersonate')['C']")
    a = "CORP\\userA"
    result = outcome(case, _stub_run(lambda fn, v: {"LB": a, "RB": a, "C": a}))
    assert result.status == "failed"
    assert result.misconception == "ncalrpc-every-hop" and result.rule == "R28"
    assert result.section == "notebooks/05_ncalrpc_exception.ipynb#Why:-whose-logon-session?"
    assert "exempts every hop" in result.message and "R28" in result.message and "R10" not in result.message


def test_hidden_feedback_by_default_shows_the_concept_not_the_value():
    hidden = next(t for t in MASTERS["ex6"].tests(hidden=True) if t.data["name"] == "who_reaches('lb-delegate')['C']")
    assert hidden.name.startswith("hidden test ") and "lb-delegate" not in hidden.name
    result = outcome(hidden, _stub_run(lambda fn, v: {"LB": None, "RB": None, "C": "NT AUTHORITY\\ANONYMOUS LOGON"}))
    assert (
        result.status == "failed" and result.rule == "R19" and result.section.endswith("#With-Delegate-from-LB-to-RB")
    )
    assert "userA" not in result.message and "ANONYMOUS" not in result.message and "lb-delegate" not in result.message
    assert "Read: notebooks/05_ncalrpc_exception.ipynb" in result.message


def test_the_instructor_chooses_what_a_hidden_failure_discloses():
    from rpc_impersonation.grading.spec import Failed, feedback_text

    exc = Failed(
        "x",
        misconception="ntlm-delegates",
        rule="R19",
        section="04.conditions",
        got="ntlm",
        expected="kerberos",
        what="least_provider('x')",
    )
    value, concept, none = (feedback_text(exc, d) for d in ("value", "concept", "none"))
    assert "'kerberos'" in value and "'ntlm'" in value and "R19" in value
    assert "kerberos" not in concept and "'ntlm'" not in concept and "NTLM can delegate" in concept
    assert "#What-delegation-needs" in concept
    assert none == "Not right yet."
    assert "least_provider('x')" not in concept


def test_graded_results_carry_structured_fields():
    r = grade_exercise(
        MASTERS["ex1"], "def can_do(level, capability, placement):\n    return True\n", hidden=True, budget=QUICK
    )
    failed = [t for t in r.tests if t.status == "failed"]
    assert failed and all(t.rule in RULES and t.section.startswith("notebooks/") for t in failed)
    assert {t.misconception for t in failed} >= {"impersonate-network", "identify-acts"}


# ---------------------------------------------------------------- check as a command


def test_check_command_fails_and_lists_misconception_rule_section(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", course / "exercises")
    (course / "exercises" / "ex6_ncalrpc_variants.py").write_text(
        'def who_reaches(v):\n    return {"LB": "CORP\\\\userA", "RB": "CORP\\\\userA", "C": "CORP\\\\userA"}\n'
        'def deciding_rule(v):\n    return "R27"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "rpc_impersonation.grading", "check", "ex6", "--folder", str(course)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "misconception: ncalrpc-every-hop; rule: R28; section: notebooks/05_ncalrpc_exception.ipynb#" in done.stdout
    report = check("ex6", course)
    assert not report.passed


def test_check_passes_with_the_solution(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", course / "exercises")
    solved = [
        line
        for line in MASTERS["ex12"].solution_code.splitlines()
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    ]
    (course / "exercises" / "ex12_delegation_conditions.py").write_text("\n".join(solved) + "\n", encoding="utf-8")
    report = check("ex12", course)
    assert report.passed and report.score == report.max_score > 0


# ---------------------------------------------------------------- copies of the engine


def test_a_copy_of_the_engine_is_flagged_for_the_instructor_only():
    engine = (ROOT / "src" / "rpc_impersonation" / "engine.py").read_text(encoding="utf-8")
    copied = engine.replace("thread", "t").replace("decision", "d")  # renamed names do not hide it
    assert engine_similarity(copied) > 0.6
    assert "engine's own deciding code" in similarity_problem(copied, "ex4_effective_levels")
    for m in MASTERS.values():
        assert similarity_problem(m.solution_code.split("### BEGIN TESTS")[0], m.module) == "", m.id
    r = grade_exercise(
        MASTERS["ex4"], copied + "\n\ndef effective_level(*a):\n    return 'identify'\n", hidden=True, budget=QUICK
    )
    assert r.flags and "engine" in r.flags[0]
    from rpc_impersonation.grading.report import markdown_feedback

    assert "deciding code" not in markdown_feedback("x", [r])


# ---------------------------------------------------------------- the docs


def test_docs_show_each_exercises_common_wrong_answers_as_generated():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from feedback_examples import render
    finally:
        sys.path.pop(0)
    doc = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    section = render(ROOT)
    assert section in doc, "docs/grading.md is out of date: run scripts/feedback_examples.py --write"
    for m in MASTERS.values():
        assert f"### {m.id} " in section


def test_exercise_3_students_see_the_tasks_their_answers_are_graded_on():
    """The student's copy of the task table (what the notebook shows) is the one the tests ask about."""
    from rpc_impersonation.grading.worlds import QOS_TASKS

    for path in (ROOT / "exercises" / "ex3_least_qos.py", ROOT / "solutions" / "ex3_least_qos.py"):
        tree = ast.parse(path.read_text())
        shown = [
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["TASKS"]
        ]
        assert shown == [QOS_TASKS], f"{path.relative_to(ROOT)}: TASKS differs from grading.worlds.QOS_TASKS"
