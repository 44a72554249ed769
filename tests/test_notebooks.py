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
    for required in ("00_start_here", "01_security_context", "02_levels", "03_qos", "04_delegation",
                     "05_ncalrpc_exception", "06_double_hop", "08_review"):
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
            shown = "".join(out.get("text", [])) + json.dumps({k: v for k, v in out.get("data", {}).items()
                                                               if k.startswith("text/")})
            assert not VOLATILE.search(shown), f"{path.name} cell {i}: volatile text"
        if ignored(cell):
            # a live widget: the next code cell must print the same engine decision, and be checked
            assert i + 1 < len(cells) and not ignored(cells[i + 1]), f"{path.name} cell {i}"
    assert "widgets" not in nb["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_source(path):
    built = parse(SOURCE / f"{path.stem}.nb")
    committed = load(path)
    assert ["".join(c["source"]) for c in committed["cells"]] == [c["source"] for c in built.cells], \
        "run scripts/build_notebooks.py"


def test_every_seed_statement_is_taught_in_the_named_notebook_section():
    from rpc_impersonation.seeds import SEED_STATEMENTS

    for s in SEED_STATEMENTS:
        nb = load(ROOT / "notebooks" / f"{s.notebook}.ipynb")
        headings = {line.lstrip("#").strip() for c in nb["cells"] if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("#")}
        assert s.section in headings, (s.id, s.notebook, s.section)
