"""The course in a learner's real browser: JupyterLab (started as the README says) in headless Chromium.

Every course notebook is opened and run top to bottom; no error outputs, every widget rendered,
every diagram an SVG. Then a learner's interactions: the chain builder, a quick check, the stepper.
Screenshots go to artifacts/e2e/. Skipped, with the reason shown, when Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "e2e"
COURSE = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
WIDGET_TROUBLE = ("Error displaying widget", "Failed to load model", "Failed to load view", "Loading widget...",
                  "A Jupyter widget could not be displayed")

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: run scripts/setup.sh")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it (scripts/setup.sh does, with apt-get) to run the "
                "browser tests", allow_module_level=True)


SERVED: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started with the README's command on a copy of notebooks/; stopped with all kernels."""
    work = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns("source"))
    settings = work / "config" / "lab" / "user-settings" / "@jupyterlab"
    for extension, values in (("notebook-extension/tracker", {"windowingMode": "none"}),
                              ("apputils-extension/notification", {"fetchNews": "false"})):
        path = settings / f"{extension}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        # windowing off: every cell stays in the page, so every output can be checked
        path.write_text(json.dumps(values))
    port = free_port()
    env = {**os.environ, "COURSE_DIR": str(work / "notebooks"), "JUPYTER_CONFIG_DIR": str(work / "config"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"), "IPYTHONDIR": str(work / "ipython")}
    log = (work / "lab.log").open("w")
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "course.sh"), "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.expose_app_in_browser=True"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    SERVED["folder"] = work / "notebooks"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (work / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # the server and every kernel it started
                proc.wait(15)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield b
        finally:
            b.close()


STATE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.sessionContext.session || !w.sessionContext.session.kernel)
    return 'starting';
  const cells = w.content.model.cells;
  let pending = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && c.sharedModel.source.trim() && c.executionCount === null) pending++;
  }
  return w.sessionContext.session.kernel.status + ':' + pending;
}"""

PROBLEMS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const out = [];
  let code = -1;
  for (let i = 0; i < w.content.widgets.length; i++) {
    const cell = w.content.widgets[i];
    if (cell.model.type !== 'code') continue;
    code++;
    const tags = cell.model.getMetadata('tags') || [];
    const outputs = cell.model.outputs;
    let svgWanted = 0;
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs.get(j);
      if (o.type === 'error' && !tags.includes('raises-exception')) out.push([code, 'error output: ' + o.toJSON().ename]);
      if (o.data && o.data['image/svg+xml']) svgWanted++;
    }
    const node = cell.node;
    const text = node.innerText || '';
    for (const t of %s) if (text.includes(t)) out.push([code, 'widget problem: ' + t]);
    if (node.querySelector('.jupyter-widgets-error-widget'))
      out.push([code, 'widget problem: its front end failed to load (error widget shown)']);
    const svgs = node.querySelectorAll('.jp-OutputArea-output svg, .jp-OutputArea-output img[src^="data:image/svg"]');
    if (svgWanted && svgs.length < svgWanted) out.push([code, 'diagram not shown as SVG']);
    const widgets = node.querySelectorAll('.jp-OutputArea-output .jupyter-widgets, .jp-OutputArea-output .widget-inline-hbox, .jp-OutputArea-output .widget-vbox');
    if (tags.includes('nbval-ignore-output') && widgets.length === 0) out.push([code, 'widget not rendered']);
  }
  return out;
}""" % json.dumps(list(WIDGET_TROUBLE))


def open_and_run(page, base: str, name: str, timeout: float = 120) -> None:
    # a fresh workspace per notebook: no tabs restored from earlier tests (their kernels are gone)
    page.goto(f"{base}/lab/workspaces/e2e-{Path(name).stem}/tree/{name}?reset")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.content", timeout=60_000)
    deadline = time.monotonic() + 60
    while page.evaluate(STATE) == "starting":
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: the kernel never started")
        time.sleep(0.2)
    # started, not awaited: a dialog can never leave the test waiting without a deadline
    page.evaluate("() => { const a = window.jupyterapp; a.commands.execute('notebook:clear-all-cell-outputs')"
                  ".then(() => a.commands.execute('notebook:run-all-cells')); }")
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = page.evaluate(STATE)
        if state == "idle:0":
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"{name}: did not finish running (kernel state {state})")
    time.sleep(1.5)  # let widget views render


def problems_in(page, name: str) -> list[str]:
    return [f"{name} cell {cell}: {what}" for cell, what in page.evaluate(PROBLEMS)]


def shut_down(page) -> None:
    """Stop every kernel through the REST API (the menu command would wait on a confirmation dialog)."""
    page.evaluate("""async () => {
      const kernels = await (await fetch('/api/kernels')).json();
      await Promise.all(kernels.map(k => fetch('/api/kernels/' + k.id, {method: 'DELETE'})));
    }""")


@pytest.mark.parametrize("name", COURSE)
def test_notebook_runs_cleanly_in_the_browser(lab, browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(browser, lab, name) as page:
        found = problems_in(page, name)
        page.screenshot(path=str(SHOTS / f"{Path(name).stem}.png"))
        assert not found, "\n".join(found)


@contextmanager
def running(browser, lab: str, name: str, timeout: float = 120):
    """A page with ``name`` opened and run top to bottom; its kernels are stopped afterwards, pass or fail."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_and_run(page, lab, name, timeout)
        yield page
    finally:
        shut_down(page)
        page.close()


def output_of(page, marker: str):
    """The output area of the code cell whose source contains ``marker``."""
    cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=marker)).first
    cell.scroll_into_view_if_needed()
    return cell.locator(".jp-OutputArea")


def wait_text(locator, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = locator.inner_text()
        if text in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"waited for {text!r}; the widget shows:\n{seen[:1500]}")


def test_learner_uses_the_chain_builder(lab, browser):
    with running(browser, lab, "04_delegation.ipynb") as page:
        out = output_of(page, "sandbox = ChainBuilder()")
        wait_text(out, "server2 acted as CORP\\alice")
        drawing = out.locator(".widget-html svg").first
        svg_before = drawing.evaluate("n => n.outerHTML")
        selects = out.locator("select")
        selects.nth(3).select_option("impersonate")         # hop 1: Delegate -> Impersonate
        wait_text(out, "server2 acted as NT AUTHORITY\\ANONYMOUS LOGON")
        deadline = time.monotonic() + 20  # the drawing and the text travel as separate widget updates
        while drawing.evaluate("n => n.outerHTML") == svg_before:
            assert time.monotonic() < deadline, "the diagram did not change with the explanation"
            time.sleep(0.2)
        out.screenshot(path=str(SHOTS / "interaction-chain-builder-level.png"))
        selects.nth(3).select_option("delegate")
        wait_text(out, "server2 acted as CORP\\alice")
        selects.nth(9).select_option("not trusted")          # svc_server1's delegation setting
        wait_text(out, "RPC_S_SEC_PKG_ERROR")
        out.screenshot(path=str(SHOTS / "interaction-chain-builder-account.png"))


def test_learner_answers_a_quick_check(lab, browser):
    with running(browser, lab, "00_start_here.ipynb") as page:
        out = output_of(page, "question = QuickCheck.who_acts")
        out.get_by_text("CORP\\alice", exact=True).click()
        out.get_by_role("button", name="check").click()
        wait_text(out, "Not quite")
        out.get_by_text("NT AUTHORITY\\ANONYMOUS LOGON", exact=True).click()
        out.get_by_role("button", name="check").click()
        wait_text(out, "Right: NT AUTHORITY\\ANONYMOUS LOGON")
        out.screenshot(path=str(SHOTS / "interaction-quick-check.png"))


def test_learner_steps_through_impersonation(lab, browser):
    with running(browser, lab, "01_security_context.ipynb") as page:
        out = output_of(page, "stepper = ImpersonationStepper(")
        out.get_by_role("button", name="new call").click()
        wait_text(out, "thread acts as CORP\\svc_app (process token")
        out.get_by_role("button", name="impersonate", exact=True).click()
        wait_text(out, "thread acts as CORP\\alice (Impersonate-level thread token")
        out.get_by_role("button", name="revert", exact=True).click()
        wait_text(out, "thread acts as CORP\\svc_app (process token")
        out.screenshot(path=str(SHOTS / "interaction-stepper.png"))


BROKEN = {"cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "b0",
     # a widget whose front-end extension is missing from JupyterLab: the classic version/extension mismatch
     "source": "import ipywidgets\nslider = ipywidgets.IntSlider()\nslider._model_module = '@missing/widgets'\n"
               "slider._view_module = '@missing/widgets'\nslider"},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "id": "b1",
     "source": "raise RuntimeError('a callback that raises')"},
], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def test_a_broken_widget_is_reported_with_notebook_and_cell(lab, browser):
    (SERVED["folder"] / "broken.ipynb").write_text(json.dumps(BROKEN))
    with running(browser, lab, "broken.ipynb", timeout=60) as page:
        found = problems_in(page, "broken.ipynb")
        assert any(p.startswith("broken.ipynb cell 0: widget") for p in found), found
        assert any(p.startswith("broken.ipynb cell 1: error output: RuntimeError") for p in found), found
