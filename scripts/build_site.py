"""Build the course website (Jupyter Book 1) from the committed notebooks, docs and exercises.

Usage: .venv/bin/python scripts/build_site.py [--out DIR]   (scripts/site.sh is the one command; default out: build/site)

Nothing is re-executed: every page shows the outputs committed in ``notebooks/*.ipynb``. The build
stages a copy of the sources, in the repository's own layout so that relative links keep working,
and adapts the outputs for a static page:

- an output with its own HTML form (``text/html``, e.g. the course's figures: inline SVG with a
  text description) is shown as that HTML;
- otherwise a diagram (``image/svg+xml``) becomes inline SVG in a ``<figure>``, named for screen readers by
  its text summary (the output's ``text/plain``), which is also readable under the drawing;
- a raster figure (PNG) gets an alternative text: the output's text, or the call that drew it;
- a widget (``application/vnd.jupyter.widget-view+json``; its state is never saved in the notebooks)
  becomes a note that it is live in JupyterLab, plus the static snapshot of its last state that the
  course's widgets put in the same bundle (``text/html``: controls as text, diagram as inline SVG);
- each exercise page is the exercise's notebook from ``exercises/`` plus its starter module.
  ``solutions/`` is never read.

Set COURSE_REPO=owner/name (a GitHub repository) to get Binder launch buttons on notebook pages.
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SVG = "image/svg+xml"
WIDGET = "application/vnd.jupyter.widget-view+json"
RASTER = {"image/png", "image/jpeg", "image/gif"}
# Reference pages first in this order when present; any other docs/*.md follows alphabetically.
DOC_ORDER = ("modeling-decisions", "scenarios", "grading", "architecture", "benchmarks", "site", "hosting")
WIDGET_NOTE = ("<p><strong>Interactive widget.</strong> It is live in JupyterLab: open this notebook there "
               "(<code>scripts/course.sh</code>, a launch link, or your class's JupyterHub) and run the cells "
               "to use it. A web page cannot run code, so what follows is only a picture of it.</p>")
WIDGET_NOTE_AGAIN = ("<p><strong>Interactive widget</strong>, live in JupyterLab (see the first note on "
                     "this page).</p>")
SNAPSHOT_NOTE = ("<p>Its last state, as the notebook showed it when it was last run (controls as text; they "
                 "do not respond here):</p>")


class SiteError(Exception):
    """The sources cannot become a site; the message names the file and what is wrong."""


@dataclass
class Stage:
    src: Path                       # staged book sources (repository layout)
    out: Path                       # final static folder
    work: Path                      # Jupyter Book's build folder
    pages: dict[str, list[str]] = field(default_factory=dict)   # part caption -> page paths (no suffix)
    root: str = ""
    counter: int = 0                # diagrams on the page so far (unique SVG ids)


# ---------------------------------------------------------------- output adaptation

def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Make every id in ``svg`` unique on a page holding several drawings (references follow)."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg

    def rename(match: re.Match) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}{match.group(3)}" if name in ids else match.group(0)

    svg = re.sub(r'(\bid=")([^"]+)(")', rename, svg)
    svg = re.sub(r'(url\(#)([^)]+)(\))', rename, svg)
    return re.sub(r'((?:xlink:)?href="#)([^"]+)(")', rename, svg)


def diagram_html(svg: str, summary: str, number: int, page: str) -> str:
    """Inline SVG named by its summary's first line, described by the whole summary shown beneath it."""
    if "<svg" not in svg:
        raise SiteError(f"{page}: diagram output {number} holds no <svg> element")
    svg = svg[svg.index("<svg"):]
    ident = f"{page}-diagram-{number}"
    summary = summary.strip() or "Diagram"
    label = summary.splitlines()[0]
    svg = prefix_svg_ids(svg, ident)
    start = svg.index("<svg") + len("<svg")
    svg = (svg[:start] + f' role="img" aria-label="{html.escape(label, quote=True)}" '
           f'aria-describedby="{ident}-text"' + svg[start:])
    return (f'<figure class="course-diagram" id="{ident}" tabindex="0">{svg}'
            f'<figcaption><details><summary>Text description of the diagram</summary>'
            f'<pre id="{ident}-text">{html.escape(summary)}</pre></details></figcaption></figure>')


def widget_html(data: dict, first: bool = True) -> str:
    """The note standing in for a widget (in full the first time on a page), and its snapshot if any."""
    snapshot = data.get("text/html")
    extra = (f'{SNAPSHOT_NOTE}<div class="course-widget-snapshot">{_text(snapshot)}</div>' if snapshot else "")
    note = WIDGET_NOTE if first else WIDGET_NOTE_AGAIN
    return f'<div class="course-widget-note" role="note">{note}{extra}</div>'


def raster_html(data: dict, cell_source: str) -> str:
    """A raster figure with a real alternative text (matplotlib's ``<Figure size ...>`` repr is none)."""
    mime = sorted(RASTER & set(data))[0]
    plain = _text(data.get("text/plain", "")).strip()
    if not plain or plain.startswith("<Figure size"):
        lines = [line for line in cell_source.strip().splitlines() if line.strip()]
        plain = f"Figure drawn by: {lines[-1].strip()}" if lines else "Figure"
    payload = _text(data[mime]).replace("\n", "")
    return (f'<img class="course-figure" src="data:{mime};base64,{payload}" '
            f'alt="{html.escape(plain, quote=True)}">')


def adapt_outputs(nb: dict, page: str, stage: Stage) -> dict:
    """A copy of ``nb`` whose diagram and widget outputs are static HTML; other outputs untouched."""
    nb = copy.deepcopy(nb)
    stage.counter = widgets = 0
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            if WIDGET in data:
                widgets += 1
                output["data"] = {"text/html": widget_html(data, first=widgets == 1)}
            elif "text/html" in data:
                continue    # the notebook's own page form (e.g. a figure with its SVG and text description)
            elif SVG in data:
                stage.counter += 1
                output["data"] = {"text/html": diagram_html(_text(data[SVG]), _text(data.get("text/plain", "")),
                                                            stage.counter, page)}
            elif RASTER & set(data):
                output["data"] = {"text/html": raster_html(data, "".join(cell.get("source", "")))}
            output.get("metadata", {}).pop(SVG, None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_notebook(path: Path) -> dict:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteError(f"{shown(path)}: not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SiteError(f"{shown(path)}: not a notebook (no 'cells' list)")
    for number, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("markdown", "code", "raw"):
            raise SiteError(f"{shown(path)}: cell {number} is not a markdown, code or raw cell")
    return nb


def write_notebook(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- steps

def stage_notebooks(stage: Stage) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise SiteError("notebooks/: no .ipynb files to publish; build them with scripts/build_notebooks.py")
    for path in notebooks:
        page = f"notebooks/{path.stem}"
        write_notebook(adapt_outputs(read_notebook(path), path.stem, stage), stage.src / f"{page}.ipynb")
    stage.root = f"notebooks/{notebooks[0].stem}"
    stage.pages["Course"] = [f"notebooks/{p.stem}" for p in notebooks[1:]]


def stage_exercises(stage: Stage) -> None:
    """One page per exercise: its notebook from exercises/ plus its starter module (never solutions/)."""
    folder = ROOT / "exercises"
    notebooks = sorted(folder.glob("ex*.ipynb"))
    if not notebooks:
        return
    pages = []
    for path in notebooks:
        nb = read_notebook(path)
        for cell in nb["cells"]:
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        module = path.with_suffix(".py")
        if module.exists():
            source = module.read_text(encoding="utf-8")
            nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source":
                                f"## Starter module `{module.name}`\n\nWrite your answer here, then run the "
                                f"check above.\n\n```python\n{source.rstrip()}\n```\n"})
        for number, cell in enumerate(nb["cells"]):
            cell.setdefault("id", f"{path.stem}-{number}")   # nbformat 4.5 wants ids; exercises may lack them
        nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))
        write_notebook(nb, stage.src / "exercises" / path.name)
        pages.append(f"exercises/{path.stem}")
    intro = folder / "README.md"
    if intro.exists():
        shutil.copy2(intro, stage.src / "exercises" / "index.md")
        pages.insert(0, "exercises/index")
    stage.pages["Exercises"] = pages


def stage_docs(stage: Stage) -> None:
    docs = {p.stem: p for p in (ROOT / "docs").glob("*.md")}
    ordered = [name for name in DOC_ORDER if name in docs] + sorted(set(docs) - set(DOC_ORDER))
    (stage.src / "docs").mkdir(parents=True, exist_ok=True)
    for name in ordered:
        shutil.copy2(docs[name], stage.src / "docs" / f"{name}.md")
    # everything else in docs/ (images, the scenario schema...) comes along: links to it become downloads
    for path in sorted((ROOT / "docs").rglob("*")):
        if path.is_file() and path.suffix != ".md":
            (stage.src / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, stage.src / path.relative_to(ROOT))
    stage.pages["Reference"] = [f"docs/{name}" for name in ordered]


def write_book_files(stage: Stage) -> None:
    toc = {"format": "jb-book", "root": stage.root,
           "parts": [{"caption": caption, "chapters": [{"file": page} for page in pages]}
                     for caption, pages in stage.pages.items() if pages]}
    (stage.src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    repo = os.environ.get("COURSE_REPO", "").strip()
    if repo:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
            raise SiteError(f"COURSE_REPO={repo!r}: expected owner/name of a GitHub repository")
        config["repository"] = {"url": f"https://github.com/{repo}", "branch": "HEAD"}
        config["launch_buttons"]["binderhub_url"] = "https://mybinder.org"
        config["html"]["use_repository_button"] = True
    (stage.src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    shutil.copytree(BOOK / "_static", stage.src / "_static")


def run_jupyter_book(stage: Stage) -> None:
    exe = Path(sys.executable).with_name("jupyter-book")
    if not exe.exists():
        raise SiteError("jupyter-book is not installed in this environment: run scripts/setup.sh "
                        "(it installs the 'site' extra)")
    # -n -W --keep-going: a broken cross-reference or a missing file fails the build, all of them listed.
    cmd = [str(exe), "build", str(stage.src), "--path-output", str(stage.work), "--builder", "html",
           "-n", "-W", "--keep-going", "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    if done.returncode != 0:
        raise SiteError("jupyter-book build failed:\n" + (done.stdout + done.stderr)[-6000:])


def publish(stage: Stage) -> None:
    built = stage.work / "_build" / "html"
    if stage.out.exists():
        shutil.rmtree(stage.out)
    shutil.copytree(built, stage.out, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees", "_sources"))
    (stage.out / ".nojekyll").touch()   # GitHub Pages: serve _static/ and _images/ as they are


STEPS = (stage_notebooks, stage_exercises, stage_docs, write_book_files, run_jupyter_book, publish)


def build(out: Path) -> Path:
    work = out.parent / (out.name + "-work")
    if work.exists():
        shutil.rmtree(work)
    stage = Stage(src=work / "src", out=out, work=work)
    stage.src.mkdir(parents=True)
    for step in STEPS:
        step(stage)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site",
                        help="folder for the static site (replaced); default build/site")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = build(args.out.resolve())
    except SiteError as exc:
        print(f"site: {exc}", file=sys.stderr)
        return 1
    pages = sum(1 for _ in out.rglob("*.html"))
    print(f"site: {pages} HTML files in {out} ({time.perf_counter() - start:.1f} s); "
          f"preview: .venv/bin/python -m http.server -b 127.0.0.1 -d {out} 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
