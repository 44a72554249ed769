"""Checks on the committed notebooks themselves (nbval checks their outputs)."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from build_notebooks import SOURCE, parse  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
VOLATILE = re.compile(r"0x[0-9a-f]{6,}|/(?:root|home|tmp|work)/|site-packages|\d{4}-\d\d-\d\dT\d\d:\d\d")


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def ignored(cell):
    return "nbval-ignore-output" in cell.get("metadata", {}).get("tags", [])


def test_the_course_notebooks_exist():
    names = {p.stem for p in NOTEBOOKS}
    for required in (
        "00_start_here",
        "01_security_context",
        "02_levels",
        "03_qos",
        "04_delegation",
        "05_ncalrpc_exception",
        "06_double_hop",
        "08_review",
    ):
        assert required in names


def test_at_least_90_percent_of_code_cells_are_checked():
    cells = [c for p in NOTEBOOKS for c in code_cells(load(p))]
    checked = [c for c in cells if not ignored(c)]
    assert len(checked) / len(cells) >= 0.90, f"{len(checked)}/{len(cells)} code cells checked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_hygiene(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Summary" in text
    if path.stem != "00_start_here":
        assert "Learning objectives" in text
    cells = code_cells(nb)
    assert sum(bool(c.get("outputs")) for c in cells) >= len(cells) - 2, f"{path.name}: execute and save it"
    for i, cell in enumerate(cells):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path.name} cell {i} stores an error"
            shown = "".join(out.get("text", [])) + json.dumps(
                {k: v for k, v in out.get("data", {}).items() if k.startswith("text/")}
            )
            assert not VOLATILE.search(shown), f"{path.name} cell {i}: volatile text"
        if ignored(cell):
            # a live widget: the next code cell must print the same engine decision, and be checked
            assert i + 1 < len(cells) and not ignored(cells[i + 1]), f"{path.name} cell {i}"
    assert "widgets" not in nb["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_source(path):
    built = parse(SOURCE / f"{path.stem}.nb")
    committed = load(path)
    assert ["".join(c["source"]) for c in committed["cells"]] == [c["source"] for c in built.cells], (
        "run scripts/build_notebooks.py"
    )


def test_every_seed_statement_is_taught_in_the_named_notebook_section():
    from rpc_impersonation.seeds import SEED_STATEMENTS

    for s in SEED_STATEMENTS:
        nb = load(ROOT / "notebooks" / f"{s.notebook}.ipynb")
        headings = {
            line.lstrip("#").strip()
            for c in nb["cells"]
            if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines()
            if line.startswith("#")
        }
        assert s.section in headings, (s.id, s.notebook, s.section)


def _outputs_text(cell):
    return "".join(
        "".join(o.get("text", [])) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
    )


LINK = re.compile(r"\]\(([^)\s]+)\)")
CHECK_CALL = re.compile(r"\b(ask|ask_all|predict_in_builder)\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_gives_no_answer_away(path):
    """After Run All no output announces an answer; every check prints as its unanswered question."""
    for i, cell in enumerate(code_cells(load(path))):
        shown = _outputs_text(cell)
        for giveaway in ("Right:", "engine's answer", "answer:", "Not quite"):
            assert giveaway not in shown, f"{path.name} code cell {i} shows {giveaway!r}"
        source = "".join(cell["source"])
        if CHECK_CALL.search(source) and "import" not in source.splitlines()[-1]:
            assert not ignored(cell), f"{path.name} code cell {i}: a check's output is deterministic, compare it"
            assert shown.lstrip("0123456789. ").startswith("Predict ("), f"{path.name} code cell {i}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_text_never_says_seed_or_facts_sheet(path):
    """The learner has neither 'the seed' nor 'the facts sheet': sources are cited by title and address."""
    for i, cell in enumerate(load(path)["cells"]):
        text = "".join(cell["source"]) if cell["cell_type"] == "markdown" else _outputs_text(cell)
        text = LINK.sub("]()", text)  # file names in link targets are not prose
        for word in ("seed", "facts sheet"):
            assert word not in text.lower(), f"{path.name} cell {i} says {word!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_relative_links_resolve_in_the_bundle_layout(path):
    """Links are relative to notebooks/ (docs/ ships next to notebooks/ in the student bundle)."""
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for target in LINK.findall("".join(cell["source"])):
            if target.startswith(("http://", "https://", "#")):
                continue
            assert target.startswith("../docs/") or "/" not in target, f"{path.name}: link {target}"
            assert (path.parent / target.split("#")[0]).resolve().is_file(), f"{path.name}: dead link {target}"


def test_the_sources_are_cited_by_title_and_address():
    nb = load(ROOT / "notebooks" / "00_start_here.ipynb")
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Client Impersonation" in text
    assert "https://learn.microsoft.com/en-us/windows/win32/rpc/client-impersonation" in text
    assert "Impersonation Level" in text
    assert "How to read a rule id" in text
    first_code = code_cells(nb)[0]
    assert len(_outputs_text(first_code).splitlines()) <= 5, "00 opens with a short story, not a long trace"


def test_the_same_machine_decision_is_stated_in_02_and_05():
    for stem in ("02_levels", "05_ncalrpc_exception"):
        nb = load(ROOT / "notebooks" / f"{stem}.ipynb")
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert "A9" in text and "ncalrpc" in text and "COM document" in text, stem
    levels = "\n".join("".join(c["source"]) for c in load(ROOT / "notebooks" / "02_levels.ipynb")["cells"])
    assert "A2" in levels
