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
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "e2e"
COURSE = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
WIDGET_TROUBLE = (
    "Error displaying widget",
    "Failed to load model",
    "Failed to load view",
    "Loading widget...",
    "A Jupyter widget could not be displayed",
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: run scripts/setup.sh")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install it (scripts/setup.sh does, with apt-get) to run the browser tests",
        allow_module_level=True,
    )


#: the notebook folder each running JupyterLab serves, by its base address
SERVED: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: JupyterLab's own defaults, but no news fetched from the internet (tests contact 127.0.0.1 only)
LEARNER_SETTINGS = {"apputils-extension/notification": {"fetchNews": "false"}}
#: windowing off: every cell stays in the page, so every output can be checked
CHECKING_SETTINGS = {**LEARNER_SETTINGS, "notebook-extension/tracker": {"windowingMode": "none"}}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started with the README's command on a copy of notebooks/, every cell kept in the page."""
    yield from started_lab(tmp_path_factory, CHECKING_SETTINGS)


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    """The same, with the settings a learner has (JupyterLab's defaults: off-screen cells are not laid out)."""
    yield from started_lab(tmp_path_factory, LEARNER_SETTINGS)


def started_lab(tmp_path_factory, user_settings: dict[str, dict]):
    """JupyterLab started with the README's command on a copy of notebooks/; stopped with all kernels."""
    work = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns("source"))
    settings = work / "config" / "lab" / "user-settings" / "@jupyterlab"
    for extension, values in user_settings.items():
        path = settings / f"{extension}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    env = {
        **os.environ,
        "COURSE_DIR": str(work / "notebooks"),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "IPYTHONDIR": str(work / "ipython"),
    }
    log = (work / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            "bash",
            str(ROOT / "scripts" / "course.sh"),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    SERVED[base] = work / "notebooks"
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
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
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
      if (o.data && (o.data['image/svg+xml'] || String(o.data['text/html'] || '').includes('<svg'))) svgWanted++;
    }
    const node = cell.node;
    const text = node.innerText || '';
    for (const t of %s) if (text.includes(t)) out.push([code, 'widget problem: ' + t]);
    if (node.querySelector('.jupyter-widgets-error-widget'))
      out.push([code, 'widget problem: its front end failed to load (error widget shown)']);
    const svgs = node.querySelectorAll('.jp-OutputArea-output svg.rpc-svg, .jp-OutputArea-output img[src^="data:image/svg"]');
    if (svgWanted && svgs.length < svgWanted) out.push([code, 'diagram not shown as SVG']);
    const widgets = node.querySelectorAll('.jp-OutputArea-output .jupyter-widgets, .jp-OutputArea-output .widget-inline-hbox, .jp-OutputArea-output .widget-vbox');
    if (tags.includes('nbval-ignore-output') && widgets.length === 0) out.push([code, 'widget not rendered']);
  }
  return out;
}""" % json.dumps(list(WIDGET_TROUBLE))


#: Every drawing in an output (named diagrams, images), measured against its output area. Also: quick
#: checks and steppers as Run All left them, and widget labels cut off by their box.
LAYOUT = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const drawings = [], unanswered = [], answered = [], ended = [], clipped = [], unnamed = [];
  let code = -1;
  for (let i = 0; i < w.content.widgets.length; i++) {
    const cell = w.content.widgets[i];
    if (cell.model.type !== 'code') continue;
    code++;
    for (const d of cell.node.querySelectorAll('.jp-OutputArea-output svg.rpc-svg, .jp-OutputArea-output img')) {
      const area = d.closest('.jp-OutputArea-output');
      const label = d.getAttribute('aria-label') || d.getAttribute('alt') || '';
      if (!label) unnamed.push(code);
      drawings.push({cell: code, width: Math.round(d.getBoundingClientRect().width),
                     area: Math.round(area.getBoundingClientRect().width), label: label.slice(0, 80)});
    }
    for (const q of cell.node.querySelectorAll('.rpc-quick-check')) {
      const fresh = q.classList.contains('rpc-qc-unanswered') && !q.querySelector('input:checked');
      (fresh ? unanswered : answered).push(code);
    }
    for (const st of cell.node.querySelectorAll('.rpc-stepper-ended')) ended.push(code);
    const labels = '.widget-label, .widget-label-basic, .widget-button';
    for (const l of cell.node.querySelectorAll(labels.split(', ').map(x => '.jp-OutputArea-output ' + x).join(', ')))
      if (l.offsetParent !== null && l.scrollWidth > l.clientWidth + 1) clipped.push([code, l.innerText]);
  }
  return {drawings, unanswered, answered, ended, clipped, unnamed};
}"""


def layout_problems(name: str, layout: dict) -> list[str]:
    found = [
        f"{name} cell {d['cell']}: a drawing is {d['width']} px wide, its output area {d['area']} px ({d['label']})"
        for d in layout["drawings"]
        if d["width"] > d["area"]
    ]
    found += [f"{name} cell {c}: a quick check is already answered after Run All" for c in layout["answered"]]
    found += [f"{name} cell {c}: the stepper was driven to the end of its call by Run All" for c in layout["ended"]]
    found += [f"{name} cell {c}: a widget label is cut off: {text!r}" for c, text in layout["clipped"]]
    found += [f"{name} cell {c}: a drawing without a text alternative" for c in layout["unnamed"]]
    return found


#: What axe-core checks: the course's own content (outputs and rendered Markdown). JupyterLab's own chrome
#: (toolbars, side bars, the cell editors) is left out: the course cannot change it.
AXE_CONTEXT = {"include": [[".jp-OutputArea-output"], [".jp-MarkdownOutput"]]}
AXE_BLOCKING = ("serious", "critical")


def axe_problems(page, name: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=AXE_CONTEXT, options={"resultTypes": ["violations"]})
    found = []
    for v in results.response["violations"]:
        if v["impact"] in AXE_BLOCKING:
            where = "; ".join(
                n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:3]
            )
            found.append(f"{name}: axe {v['impact']} {v['id']} ({v['help']}) at {where}")
    return found


def open_and_run(page, base: str, name: str, timeout: float = 120) -> None:
    # a fresh workspace per notebook: no tabs restored from earlier tests (their kernels are gone)
    page.goto(f"{base}/lab/workspaces/e2e-{Path(name).stem}/tree/{name}?reset")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
        "window.jupyterapp.shell.currentWidget.content",
        timeout=60_000,
    )
    deadline = time.monotonic() + 60
    while page.evaluate(STATE) == "starting":
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: the kernel never started")
        time.sleep(0.2)
    # started, not awaited: a dialog can never leave the test waiting without a deadline
    page.evaluate(
        "() => { const a = window.jupyterapp; a.commands.execute('notebook:clear-all-cell-outputs')"
        ".then(() => a.commands.execute('notebook:run-all-cells')); }"
    )
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
    """Run All, then: no errors, every widget and drawing shown, every drawing within its output area and
    named for a screen reader, every check unanswered, no label cut off, no serious axe-core violation."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(browser, lab, name) as page:
        found = problems_in(page, name)
        layout = page.evaluate(LAYOUT)
        found += layout_problems(name, layout)
        found += axe_problems(page, name)
        snapshots = page.locator(".jp-OutputArea .rpc-widget-snapshot").count()
        if snapshots:  # widget outputs also carry a static text/html snapshot; JupyterLab must draw the widget
            found.append(f"{name}: {snapshots} widget outputs drawn as their static snapshot, not as live widgets")
        (SHOTS / f"{Path(name).stem}-layout.json").write_text(json.dumps(layout, indent=1))
        page.screenshot(path=str(SHOTS / f"{Path(name).stem}.png"))
        assert not found, "\n".join(found)


@contextmanager
def running(browser, lab: str, name: str, timeout: float = 120, before_lab: str = ""):
    """A page with ``name`` opened and run top to bottom; its kernels are stopped afterwards, pass or fail.
    ``before_lab``: a script run in the page before JupyterLab's own."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    if before_lab:
        page.add_init_script(before_lab)
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


def test_the_course_server_sends_kernel_messages_at_once(lab):
    """JupyterLab started as the README says loads rpc_impersonation.lab_server (TCP_NODELAY on kernel
    websockets; tests/test_lab_server.py checks the socket itself)."""
    log = (SERVED[lab].parent / "lab.log").read_text()
    assert "rpc_impersonation: kernel websockets send each message at once (TCP_NODELAY)" in log, log[-3000:]


def test_learner_uses_the_chain_builder(lab, browser):
    with running(browser, lab, "04_delegation.ipynb") as page:
        out = output_of(page, "sandbox = ChainBuilder()")
        wait_text(out, "server2 acted as CORP\\alice")
        drawing = out.locator(".widget-html svg").first
        svg_before = drawing.evaluate("n => n.outerHTML")
        selects = out.locator("select")
        selects.nth(3).select_option("impersonate")  # hop 1: Delegate -> Impersonate
        wait_text(out, "server2 acted as NT AUTHORITY\\ANONYMOUS LOGON")
        deadline = time.monotonic() + 20  # the drawing and the text travel as separate widget updates
        while drawing.evaluate("n => n.outerHTML") == svg_before:
            assert time.monotonic() < deadline, "the diagram did not change with the explanation"
            time.sleep(0.2)
        out.screenshot(path=str(SHOTS / "interaction-chain-builder-level.png"))
        selects.nth(3).select_option("delegate")
        wait_text(out, "server2 acted as CORP\\alice")
        selects.nth(9).select_option("not trusted")  # svc_server1's delegation setting
        wait_text(out, "RPC_S_SEC_PKG_ERROR")
        out.screenshot(path=str(SHOTS / "interaction-chain-builder-account.png"))


def test_learner_answers_a_quick_check(lab, browser):
    with running(browser, lab, "00_start_here.ipynb") as page:
        checks = page.locator(".rpc-quick-check")
        assert checks.count() >= 1
        for n in range(checks.count()):  # the first check whose first option is wrong (the test knows no answer)
            check = checks.nth(n)
            check.scroll_into_view_if_needed()
            check.locator("input[type=radio]").first.check()
            check.get_by_role("button", name="check").click()
            seen = _feedback(check)
            if seen.startswith("Not quite"):
                break
            assert seen.startswith("Right"), seen
        else:
            raise AssertionError("every check's first option was right: the options give the answer away")
        assert "Try again" in seen and "The engine's answer" not in seen  # a retry, not the answer
        check.get_by_role("button", name="show answer").click()
        wait_text(check, "The engine's answer:")
        check.screenshot(path=str(SHOTS / "interaction-quick-check.png"))


def _feedback(check, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = check.locator("pre").all_inner_texts()
        if text and text[-1].strip():
            return text[-1].strip()
        time.sleep(0.2)
    raise AssertionError("the quick check gave no feedback")


def test_learner_steps_through_impersonation(lab, browser):
    with running(browser, lab, "01_security_context.ipynb") as page:
        out = output_of(page, "stepper = ImpersonationStepper(")
        out.get_by_role("button", name="new call").click()
        wait_text(out, "thread acts as NT AUTHORITY\\SYSTEM (process token")
        out.get_by_role("button", name="impersonate", exact=True).click()
        wait_text(out, "thread acts as CORP\\erin (Impersonate-level thread token")
        out.get_by_role("button", name="revert", exact=True).click()
        wait_text(out, "thread acts as NT AUTHORITY\\SYSTEM (process token")
        # Delegate: refused without mutual authentication (R19), possible with it
        out.locator("select").nth(0).select_option("delegate")
        out.locator("select").nth(1).select_option("kerberos")
        wait_text(out, "The call was refused: RPC_S_SEC_PKG_ERROR")
        out.get_by_text("mutual authentication", exact=True).click()
        out.get_by_role("button", name="impersonate", exact=True).click()
        wait_text(out, "thread acts as CORP\\erin (Delegate-level thread token; network credentials: yes)")
        out.screenshot(path=str(SHOTS / "interaction-stepper.png"))


BROKEN = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "id": "b0",
            # a widget whose front-end extension is missing from JupyterLab: the classic version/extension mismatch
            "source": "import ipywidgets\nslider = ipywidgets.IntSlider()\nslider._model_module = '@missing/widgets'\n"
            "slider._view_module = '@missing/widgets'\nslider",
        },
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "id": "b1",
            "source": "raise RuntimeError('a callback that raises')",
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_a_broken_widget_is_reported_with_notebook_and_cell(lab, browser):
    (SERVED[lab] / "broken.ipynb").write_text(json.dumps(BROKEN))
    with running(browser, lab, "broken.ipynb", timeout=60) as page:
        found = problems_in(page, "broken.ipynb")
        assert any(p.startswith("broken.ipynb cell 0: widget") for p in found), found
        assert any(p.startswith("broken.ipynb cell 1: error output: RuntimeError") for p in found), found


# --- what a learner feels: a click on a control until the new diagram is painted ----------------------------
WATCH = """(selector) => {
  const root = document.querySelector(selector);
  const pane = root.querySelector('.rpc-diagram-pane');
  const before = pane.querySelector('svg.rpc-svg');
  window.__rpcStart = null;
  window.__rpcEntered = null;
  window.__rpcFrames = [];
  const start = () => { if (window.__rpcStart === null) window.__rpcStart = performance.now(); };
  for (const kind of ['mousedown', 'input', 'change']) root.addEventListener(kind, start, {capture: true, once: true});
  window.__rpcDrawn = new Promise(resolve => {
    const done = (value) => { observer.disconnect(); clearTimeout(timer); resolve(value); };
    const observer = new MutationObserver(() => {
      const now = pane.querySelector('svg.rpc-svg');
      if (!now || now === before) return;
      if (window.__rpcEntered === null) window.__rpcEntered = performance.now();
      // painted: the frame after the new drawing entered the page
      requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - window.__rpcStart)));
    });
    observer.observe(pane, {childList: true, subtree: true});
    const timer = setTimeout(() => done(-1), 10000);
  });
}"""

#: Every kernel message through the page's websockets, with when the page sent or got it and, from its
#: header, when the kernel made it: where a change's time goes (the kernel's clock and the page's are the
#: same machine's). Only the header and parent header are read (JupyterLab's binary protocol or JSON).
FRAMES = r"""(() => {
  const Socket = window.WebSocket, text = new TextDecoder();
  function headers(data) {
    if (typeof data === 'string') { const m = JSON.parse(data); return [m.header, m.parent_header]; }
    const view = new DataView(data);  // offsets after the count; the last one is the frame's end
    const at = i => Number(view.getBigUint64(8 * (i + 1), true));
    const part = i => JSON.parse(text.decode(new Uint8Array(data, at(i), at(i + 1) - at(i))));
    return [part(1), part(2)];
  }
  function note(way, data) {
    if (!window.__rpcFrames) return;
    try {
      const [h, p] = headers(data);
      window.__rpcFrames.push({way, at: performance.now(), type: h.msg_type, id: h.msg_id, parent: (p || {}).msg_id || null,
                               made: h.date ? Date.parse(h.date) - performance.timeOrigin : null});
    } catch (e) { window.__rpcFrames.push({way, at: performance.now(), type: 'unreadable', why: String(e).slice(0, 200)}); }
  }
  window.WebSocket = class extends Socket {
    constructor(...args) { super(...args); this.addEventListener('message', e => note('in', e.data)); }
    send(data) { note('out', data); return super.send(data); }
  };
})();"""

STAGES = ("to kernel", "kernel", "to page", "into page", "painted")


def _stages(change: dict) -> dict | None:
    """One change's time by stage (ms): the page's request to the kernel starting on it, the kernel's work up
    to the message that carries the drawing, that message to the page, into the page, to its painted frame."""
    start, frames = change["start"], change["frames"]
    sent = next((f for f in frames if f["way"] == "out" and f["at"] >= start - 1 and "id" in f), None)
    if sent is None or change["entered"] is None:
        return None
    answers = [f for f in frames if f["way"] == "in" and f.get("parent") == sent["id"] and f.get("made") is not None]
    drawing = [f for f in answers if f["type"] == "comm_msg" and f["at"] <= change["entered"] + 0.01]
    if not answers or not drawing:
        return None
    begun, carried = answers[0]["made"], drawing[-1]
    return dict(
        zip(
            STAGES,
            (
                begun - sent["at"],
                carried["made"] - begun,
                carried["at"] - carried["made"],
                change["entered"] - carried["at"],
                change["took"] + start - change["entered"],
            ),
        )
    )


def _breakdown(changes: list[dict]) -> dict:
    """Median and 90th percentile of each stage, over the changes whose every stage could be read."""
    read = [st for st in (_stages(c) for c in changes) if st is not None]
    out: dict = {"changes read": len(read)}
    for stage in STAGES:
        values = sorted(st[stage] for st in read) or [float("nan")]
        out[stage] = {
            "median_ms": round(values[len(values) // 2], 1),
            "p90_ms": round(values[int(0.9 * len(values))], 1),
        }
    return out


CHANGES = 40
#: A floor (bare widget round trip) this slow means the machine, not the course, sets the tail: 48-78 ms on
#: the idle 2-core host, 108-580 ms when it was shared with other work.
QUIET_FLOOR_P95_MS = 100


def learner_moves(count: int) -> list[tuple[str, int, object]]:
    """Single-control changes of the chain builder, each to a state whose drawing differs from the one shown
    and from every earlier one (so no cached drawing flatters the figure); chosen in the test process with
    the same engine the kernel runs."""
    import random

    from rpc_impersonation.views.widgets import DELEGATION, LEVELS, ChainBuilder

    builder, rng = ChainBuilder(), random.Random(13)
    seen, moves = {builder.dot}, []
    choices = (
        [("select", 3, lvl) for lvl in LEVELS]
        + [("select", 7, lvl) for lvl in LEVELS]
        + [("select", 9, d) for d in DELEGATION]
        + [("checkbox", i, None) for i in range(3)]
    )
    for _ in range(count):
        rng.shuffle(choices)
        for kind, index, value in choices:
            if kind == "select":
                field = {3: ("hop", 0, "level"), 7: ("hop", 1, "level"), 9: ("account", "server1", None)}[index]
                control = (
                    builder.hop_controls[field[1]][field[2]] if field[0] == "hop" else builder.delegation[field[1]]
                )
                if control.value == value:
                    continue
                old = control.value
                control.value = value
            else:
                control = [
                    builder.hop_controls[0]["mutual_auth"],
                    builder.hop_controls[1]["mutual_auth"],
                    builder.sensitive,
                ][index]
                old = control.value
                control.value = not old
            if builder.dot and builder.dot not in seen:
                seen.add(builder.dot)
                moves.append((kind, index, value))
                break
            control.value = old
        else:
            raise AssertionError(f"only {len(moves)} distinct drawings reachable by single changes")
    return moves


PEER = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "id": "p0",
            # the floor: the smallest widget round trip JupyterLab can do (a choice redraws a tiny SVG)
            "source": "import ipywidgets as W\n"
            "choice = W.Dropdown(options=[str(i) for i in range(64)], value='0', description='n')\n"
            "pane = W.HTML(\"<svg class='rpc-svg' width='10' height='10'></svg>\")\n"
            "pane.add_class('rpc-diagram-pane')\n"
            "choice.observe(lambda c: setattr(pane, 'value', f\"<svg class='rpc-svg' width='40' "
            "height='10'><text y='9'>{c.new}</text></svg>\"), names='value')\n"
            "root = W.VBox([choice, pane])\nroot.add_class('rpc-peer')\nroot",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


#: A learner looks at a new drawing before the next click: the next change starts once the kernel is idle
#: again (the explanation under the drawing has arrived) and this long after (far less than anyone takes
#: to read a diagram and move the mouse). Back to back, each change would also time the previous one's tail.
SETTLE_S = 0.3

KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.sessionContext.session.kernel.status === 'idle';
}"""


def _time_changes(page, selector: str, actions) -> list[dict]:
    """Each action, in order: milliseconds to its painted drawing ("took") and what the page saw on the way."""
    changes = []
    for act in actions:
        page.wait_for_function(KERNEL_IDLE, timeout=10_000)
        time.sleep(SETTLE_S)
        page.evaluate(WATCH, selector)
        act()
        took = page.evaluate("() => window.__rpcDrawn")
        assert took >= 0, "the diagram was not redrawn after a change"
        seen = page.evaluate(
            "() => ({start: window.__rpcStart, entered: window.__rpcEntered, frames: window.__rpcFrames})"
        )
        changes.append({"took": took, **seen})
    return changes


def _figures(changes: list[dict]) -> dict:
    in_order = [c["took"] for c in changes]
    times = sorted(in_order)
    return {
        "stages": _breakdown(changes),
        "in_order_ms": [round(t, 1) for t in in_order],
        "changes": len(times),
        "median_ms": round(times[len(times) // 2], 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
        "sorted_ms": [round(t, 1) for t in times],
    }


@pytest.mark.quiet_machine
def test_click_to_diagram_latency(learner_lab, browser):
    """From a learner's change of a chain-builder control to the redrawn diagram painted on screen.

    Target: p95 <= 150 ms over >= 30 changes, each to a new drawing, in JupyterLab with a learner's settings.
    The same run measures the floor on this machine (a bare ipywidgets round trip redrawing a tiny SVG).
    Asserted: every change was timed to a new drawing; the course's own share, its median minus the floor's
    median, is at most 60 ms; and p95 <= 150 ms whenever the floor shows a machine able to do it (floor p95
    <= 100 ms; on a machine too busy for that, the figures are printed and the absolute target is not
    judged). Figures in artifacts/e2e/click-to-diagram.json and docs/benchmarks.md.
    """
    moves = learner_moves(CHANGES)
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab = learner_lab
    with running(browser, lab, "04_delegation.ipynb", before_lab=FRAMES) as page:
        out = output_of(page, "sandbox = ChainBuilder()")
        builder = out.locator(".rpc-chain-builder")
        builder.evaluate("n => n.setAttribute('data-e2e', 'latency')")
        # found once: a locator would search the whole notebook's text before every action, in the page
        selects, boxes = (builder.locator(kind).element_handles() for kind in ("select", "input[type=checkbox]"))
        course = _figures(
            _time_changes(
                page,
                "[data-e2e=latency]",
                [
                    (lambda i=index, v=value: selects[i].select_option(v))
                    if kind == "select"
                    else (lambda i=index: boxes[i].click())
                    for kind, index, value in moves
                ],
            )
        )
    (SERVED[lab] / "peer.ipynb").write_text(json.dumps(PEER))
    with running(browser, lab, "peer.ipynb", timeout=60, before_lab=FRAMES) as page:
        choice = page.locator(".rpc-peer select").element_handle()
        floor = _figures(
            _time_changes(
                page, ".rpc-peer", [(lambda v=str(n): choice.select_option(v)) for n in range(1, CHANGES + 1)]
            )
        )
    course["moves"] = [f"{kind} {index} -> {value}" for kind, index, value in moves]
    report = {
        "course (chain builder)": course,
        "floor (bare widget round trip)": floor,
        "how": f"JupyterLab's default settings; next change {SETTLE_S} s after the kernel is idle again",
        "p95 judged": floor["p95_ms"] <= QUIET_FLOOR_P95_MS,
        "load average (1 min) after": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
    }
    (SHOTS / "click-to-diagram.json").write_text(json.dumps(report, indent=1))
    print(
        f"click-to-diagram: median {course['median_ms']} ms, p95 {course['p95_ms']} ms over {course['changes']} "
        f"changes; floor median {floor['median_ms']} ms, p95 {floor['p95_ms']} ms"
    )
    for name, figures in (("course", course), ("floor", floor)):
        stages = figures["stages"]
        print(
            f"  {name}, median by stage over {stages['changes read']} changes: "
            + ", ".join(f"{stage} {stages[stage]['median_ms']}" for stage in STAGES)
        )
    assert course["changes"] >= 30
    # the breakdown must not rot silently (a renamed message type, another websocket protocol)
    assert min(course["stages"]["changes read"], floor["stages"]["changes read"]) >= 0.9 * CHANGES, report
    assert course["median_ms"] - floor["median_ms"] <= 60, report
    if report["p95 judged"]:
        assert course["p95_ms"] <= 150, report
    else:  # a warning shows in pytest's summary even when the test passes
        warnings.warn(
            f"click-to-diagram: floor p95 {floor['p95_ms']} ms > {QUIET_FLOOR_P95_MS} ms: the machine is busy, "
            "the 150 ms target was not judged",
            stacklevel=1,
        )


# --- screenshots for the docs: the whole diagram at a 1400 px window ---------------------------------------
DOC_SHOTS = {
    "02_levels.ipynb": 'level_matrix_figure("remote")',
    "04_delegation.ipynb": "chain_diagram(delegated",
    "05_ncalrpc_exception.ipynb": "chain_diagram(impersonate,",
}


@pytest.mark.parametrize("name", sorted(DOC_SHOTS))
def test_docs_screenshots_show_the_whole_diagram(lab, browser, name):
    """docs/images/notebook-NN.png: the cell and its whole diagram, as a learner sees it at 1400 px."""
    with running(browser, lab, name) as page:
        out = output_of(page, DOC_SHOTS[name])
        drawing = out.locator("svg.rpc-svg").first
        drawing.evaluate("n => n.closest('.jp-Cell').scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        box, area = drawing.bounding_box(), out.bounding_box()
        assert box["width"] <= area["width"] and box["x"] >= area["x"] - 1, (box, area)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 1000, f"the diagram is not wholly on screen: {box}"
        shots = [SHOTS / f"doc-{name[:2]}.png"]
        if os.environ.get("RPC_UPDATE_DOC_SHOTS"):  # refresh docs/images on purpose only
            shots.append(ROOT / "docs" / "images" / f"notebook-{name[:2]}.png")
        for path in shots:
            page.screenshot(path=str(path))
