"""The course website: built once with scripts/site.sh, served from 127.0.0.1, every page opened in Chromium.

Checked on every page: it loads, no request fails (so no missing image or stylesheet), every internal
link and #anchor resolves, no request leaves 127.0.0.1, no horizontal scrolling in a 1400 px window,
no serious or critical axe-core violation. On notebook pages: each committed diagram output is an
inline SVG named and described for screen readers, each widget output shows its static note and the
snapshot of its last state. The search box finds a term; no solution text appears anywhere. Skipped, with the reason, when
Jupyter Book, Playwright or Chromium is missing.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from html import unescape
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WINDOW = 1400
MAX_PAGES = 300            # the crawl is bounded in count ...
CRAWL_SECONDS = 600        # ... and in time
BUILD_SECONDS = 120        # the budget for a build from a clean clone
SVG = "image/svg+xml"
WIDGET = "application/vnd.jupyter.widget-view+json"

if not (Path(sys.executable).parent / "jupyter-book").exists():
    pytest.skip("Jupyter Book is not installed: run scripts/setup.sh (installs the 'site' extra)",
                allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: run scripts/setup.sh")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright",
                              reason="axe-playwright-python is not installed: run scripts/setup.sh")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it (scripts/setup.sh does) to run the site tests",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    start = time.monotonic()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "site.sh"), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=BUILD_SECONDS * 3)
    took = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"\nsite build: {took:.1f} s")
    assert took < BUILD_SECONDS, f"site build took {took:.0f} s (budget {BUILD_SECONDS} s)"
    return out


@pytest.fixture(scope="module")
def base_url(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()


PAGE_FACTS = """() => {
  const main = document.querySelector('main') || document.body;
  // every drawing in a notebook output: the site's own figures and the notebooks' HTML figures
  const figures = [...main.querySelectorAll('.cell_output svg, figure.course-diagram svg')]
    .filter(svg => !svg.parentElement.closest('svg') && !svg.closest('button, .copybtn'))
    .map(svg => {
      const described = svg.getAttribute('aria-describedby');
      const byId = described && document.getElementById(described);
      const box = svg.closest('figure') || svg.parentElement;
      const nearby = box.querySelector('details pre, figcaption pre');
      return {role: svg.getAttribute('role'),
              label: svg.getAttribute('aria-label') || (svg.getAttribute('aria-labelledby') || ''),
              description: (byId || nearby) ? (byId || nearby).textContent.trim() : ''};
    });
  return {
    width: document.documentElement.scrollWidth,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    svgImages: [...document.querySelectorAll('img')].map(i => i.getAttribute('src') || '')
                 .filter(s => /\\.svg(\\?|#|$)/i.test(s) || s.startsWith('data:image/svg')),
    badAlt: [...main.querySelectorAll('img')].map(i => i.getAttribute('alt'))
              .filter(a => a === null || !a.trim() || /\\.(png|jpe?g|gif)$/i.test(a)),
    figures: figures,
    widgetNotes: main.querySelectorAll('.course-widget-note').length,
    widgetSnapshots: [...main.querySelectorAll('.course-widget-note')].map(note => {
      const snap = note.querySelector('.course-widget-snapshot .rpc-widget-snapshot');
      return {live: /live in JupyterLab/.test(note.textContent), text: snap ? snap.textContent.trim() : '',
              drawings: snap ? snap.querySelectorAll('svg[role="img"]').length : 0};
    }),
    searchBox: !!document.querySelector('input[name="q"], form[action*="search"]'),
  };
}"""


def committed_outputs(notebook: Path) -> tuple[int, int]:
    """(drawings, widget outputs) in a committed notebook: a drawing is an SVG output or HTML holding one
    (a widget's snapshot included)."""
    diagrams = widgets = 0
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = "".join(data.get("text/html", ""))
            widgets += WIDGET in data
            diagrams += html.count("<svg") if html else int(SVG in data)
    return diagrams, widgets


def committed_snapshots(notebook: Path) -> list[tuple[str, int]]:
    """(visible text, drawings) of each widget output's static snapshot, in order."""
    out = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data:
                html = "".join(data.get("text/html", ""))
                text = unescape(re.sub(r"\s+", " ", re.sub(r"(?s)<svg\b.*?</svg>|<[^>]+>", " ", html))).strip()
                out.append((text, html.count("<svg")))
    return out


@pytest.fixture(scope="module")
def crawl(site, base_url, browser):
    """Every page reachable from the home page, with what the browser saw on it."""
    context = browser.new_context(viewport={"width": WINDOW, "height": 900})
    outside: list[str] = []

    def route(r):
        if urlparse(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda req: failed.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda res: res.status >= 400 and failed.append(f"{res.url} (HTTP {res.status})"))
    axe = axe_api.Axe()
    seen: dict[str, dict] = {}
    queue = [base_url]
    deadline = time.monotonic() + CRAWL_SECONDS
    try:
        while queue:
            assert len(seen) < MAX_PAGES and time.monotonic() < deadline, "crawl exceeded its bounds"
            url = queue.pop(0)
            if url in seen:
                continue
            file = site / url[len(base_url):]
            file = file / "index.html" if file.is_dir() else file
            refresh = file.is_file() and re.search(r'http-equiv="refresh"[^>]*url=([^"\s>]+)',
                                                   file.read_text(encoding="utf-8", errors="replace"), re.I)
            if refresh:  # the home page forwards to the first notebook
                target = urljoin(url, refresh.group(1))
                seen[url] = {"redirect": target, "links": [target], "ids": []}
                queue.append(target)
                continue
            failed.clear()
            response = page.goto(url, wait_until="load")
            final = urldefrag(page.url)[0]
            facts = page.evaluate(PAGE_FACTS)
            facts["status"] = response.status if response else None
            facts["failed"] = list(failed)
            violations = axe.run(page).response["violations"]
            facts["axe"] = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                            for v in violations if v["impact"] in ("serious", "critical")]
            seen[url] = seen[final] = facts
            for link in facts["links"]:
                target = urldefrag(link)[0]
                if target.startswith(base_url) and target not in seen and target not in queue \
                        and not re.search(r"\.(ipynb|py|md|txt|zip|png|svg|json)$", target):
                    queue.append(target)
    finally:
        context.close()
    return {"pages": seen, "outside": outside}


def page_of(crawl, base_url, path: str) -> dict:
    url = urljoin(base_url, path)
    assert url in crawl["pages"], f"{path} was never reached by following links from the home page"
    return crawl["pages"][url]


def test_every_page_loads_fits_and_has_no_serious_accessibility_violation(crawl, site):
    pages = {url: facts for url, facts in crawl["pages"].items() if "redirect" not in facts}
    assert len(pages) >= 10
    problems = []
    for url, facts in pages.items():
        if facts["status"] != 200:
            problems.append(f"{url}: HTTP {facts['status']}")
        if facts["failed"]:
            problems.append(f"{url}: failed requests {facts['failed']}")
        if facts["brokenImages"]:
            problems.append(f"{url}: images that did not load {facts['brokenImages']}")
        if facts["width"] > WINDOW:
            problems.append(f"{url}: {facts['width']} px wide in a {WINDOW} px window")
        if facts["axe"]:
            problems.append(f"{url}: axe {facts['axe']}")
        if facts["badAlt"]:
            problems.append(f"{url}: images without a real alternative text {facts['badAlt']}")
        if not facts["searchBox"]:
            problems.append(f"{url}: no search box")
    assert not problems, "\n".join(problems)
    assert not crawl["outside"], f"requests to other hosts than 127.0.0.1: {crawl['outside'][:5]}"


def test_every_built_page_is_linked_and_every_link_resolves(crawl, site, base_url):
    pages = crawl["pages"]
    built = {urljoin(base_url, p.relative_to(site).as_posix()) for p in site.rglob("*.html")
             if "_static" not in p.parts}
    # the home page is served as "/", the search page is the search form's target (test_search_box...)
    reached = set(pages) | {urljoin(base_url, "index.html"), urljoin(base_url, "search.html"),
                            urljoin(base_url, "genindex.html")}
    unreached = sorted(built - reached)
    assert not unreached, f"pages no link leads to: {unreached}"
    broken = []
    for url, facts in pages.items():
        for link in facts["links"]:
            target, anchor = urldefrag(link)
            if not target.startswith(base_url):
                continue
            path = site / target[len(base_url):]
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{url} -> {link} (no such file)")
            elif anchor and target in pages and anchor not in pages[target]["ids"]:
                broken.append(f"{url} -> {link} (no element with id {anchor!r})")
    assert not broken, "\n".join(sorted(set(broken)))


def test_notebook_pages_show_every_diagram_as_described_inline_svg_and_every_widget_note(crawl, base_url):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    total = snapshots = 0
    for notebook in notebooks:
        facts = page_of(crawl, base_url, f"notebooks/{notebook.stem}.html")
        diagrams, widgets = committed_outputs(notebook)
        total += diagrams
        assert len(facts["figures"]) == diagrams, f"{notebook.name}: {diagrams} diagrams, page shows {facts['figures']}"
        for figure in facts["figures"]:
            assert figure["role"] == "img", f"{notebook.name}: a drawing not marked as an image: {figure}"
            assert figure["label"] and len(figure["description"]) > 20, \
                f"{notebook.name}: diagram without its text summary for screen readers: {figure}"
        assert facts["widgetNotes"] == widgets, f"{notebook.name}: {widgets} widgets, {facts['widgetNotes']} notes"
        committed = committed_snapshots(notebook)
        assert len(facts["widgetSnapshots"]) == len(committed) == widgets, f"{notebook.name}: {facts['widgetSnapshots']}"
        snapshots += len(committed)
        for number, (shown, (text, drawings)) in enumerate(zip(facts["widgetSnapshots"], committed), 1):
            where = f"{notebook.name}, widget {number}"
            assert shown["live"], f"{where}: no note that the widget is live in JupyterLab"
            assert text, f"{where}: the committed output carries no snapshot of the widget's last state"
            assert shown["text"], f"{where}: the page does not show the widget's snapshot"
            assert re.sub(r"\s+", "", text)[:200] in re.sub(r"\s+", "", shown["text"]), \
                f"{where}: the page's snapshot is not the committed one: {shown['text'][:120]!r}"
            assert shown["drawings"] == drawings, f"{where}: {drawings} drawings in the snapshot, page shows {shown}"
        assert not facts["svgImages"], f"{notebook.name}: diagrams as <img> instead of inline SVG {facts['svgImages']}"
    assert total > 0, "no diagram in the committed notebooks: the inline-SVG check checked nothing"
    assert snapshots > 0, "no widget in the committed notebooks: the snapshot check checked nothing"


def test_docs_and_exercises_are_published_and_no_solution_leaks(crawl, site, base_url):
    for doc in (ROOT / "docs").glob("*.md"):
        page_of(crawl, base_url, f"docs/{doc.stem}.html")
    exercises = sorted((ROOT / "exercises").glob("ex*.ipynb"))
    for exercise in exercises:
        page_of(crawl, base_url, f"exercises/{exercise.stem}.html")
    published = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*")
                          if p.is_file() and p.suffix in (".html", ".js", ".txt", ".json", ".ipynb", ".py"))
    public = "\n".join(p.read_text(encoding="utf-8") for folder in ("exercises", "notebooks", "docs", "src")
                       for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".nb"))
    leaked = []
    for solution in sorted((ROOT / "solutions").glob("*.py")):
        for line in solution.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            # a line of the answer: long enough to be specific, and found nowhere a learner may read
            if len(line) >= 30 and not line.startswith(("#", '"""')) and line not in public:
                if line in published or line.replace("<", "&lt;").replace(">", "&gt;") in published:
                    leaked.append(f"{solution.name}: {line}")
    assert not leaked, "solution text on the site:\n" + "\n".join(leaked)


def test_search_box_finds_a_term_from_the_notebooks(site, base_url, browser):
    page = browser.new_page(viewport={"width": WINDOW, "height": 900})
    try:
        page.goto(urljoin(base_url, "search.html?q=ncalrpc"))
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        hits = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    finally:
        page.close()
    assert any("05_ncalrpc_exception" in hit for hit in hits), hits
