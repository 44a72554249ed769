"""The one display object for diagrams: SVG for the eye, a short text summary for nbval and tests.

A diagram is shown as HTML: the SVG inline with ``role="img"`` and an ``aria-label`` (a screen reader
announces it), then two collapsed sections, the text description (what the drawing shows, in words)
and the legend (every mark explained once, only for who opens it). When the Graphviz ``dot`` program is
missing, the display shows the DOT source and how to install Graphviz instead of raising.
"""

from __future__ import annotations

import atexit
import html
import io
import os
import re
import select
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from matplotlib.figure import Figure

__all__ = ["Diagram", "AccessibleFigure", "render_svg", "figure_html", "INSTALL_HINT"]

INSTALL_HINT = (
    "Graphviz's 'dot' program was not found, so the drawing cannot be shown; install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; Windows: winget "
    "install Graphviz.Graphviz) and run the cell again. The DOT source follows."
)


class _DotServer:
    """One long-lived ``dot -Tsvg`` process: Graphviz reads graph after graph from its input and writes each
    SVG as soon as the graph is read, so a widget's redraw costs the layout alone, not a process start (the
    start dominated a redraw on a busy machine). Any trouble ends the process; the caller then falls back to
    one ``dot`` run per drawing, which also reports Graphviz's error text."""

    END = b"</svg>"

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def render(self, dot: str, timeout: float = 5.0) -> str | None:
        with self.lock:
            try:
                if self.process is None or self.process.poll() is not None:
                    self.process = subprocess.Popen(
                        [self.exe, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                    )
                stdin, stdout, stderr = self.process.stdin, self.process.stdout, self.process.stderr
                assert stdin is not None and stdout is not None and stderr is not None  # opened with PIPE above
                stdin.write(dot.encode() + b"\n")  # the lexer needs the line's end to finish
                stdin.flush()
                out, fd, deadline = b"", stdout.fileno(), time.monotonic() + timeout
                err = stderr.fileno()
                while self.END not in out:
                    ready, _, _ = select.select([fd, err], [], [], max(0.0, deadline - time.monotonic()))
                    if err in ready and b"Error" in os.read(err, 1 << 16):
                        raise OSError("dot reported an error")  # warnings are harmless: keep reading
                    chunk = os.read(fd, 1 << 16) if fd in ready else b"" if ready else None
                    if chunk is None or fd in ready and not chunk:
                        raise OSError("dot gave no drawing")
                    out += chunk
                return out.decode()
            except (OSError, ValueError):
                self.close()
                return None

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


_SERVER: _DotServer | None = None


@lru_cache(maxsize=256)
def render_svg(dot: str) -> str | None:
    """The SVG element for ``dot`` (XML prologue and Graphviz's version comment removed), or None without dot."""
    global _SERVER
    exe = shutil.which("dot")
    if exe is None:
        return None
    if _SERVER is None or _SERVER.exe != exe:
        _SERVER = _DotServer(exe)
        atexit.register(_SERVER.close)
    svg = _SERVER.render(dot)
    if svg is None:
        done = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, check=False, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        svg = done.stdout.decode()
    return svg[svg.index("<svg") :]


_GRAPHVIZ_NOISE = re.compile(r'<!--.*?-->\n?| id="[^"]*"', re.S)


def _labelled_svg(svg: str, label: str, strip_ids: bool) -> str:
    """The SVG as an image with a name: role="img" and aria-label on the root (its <title>s become silent)."""
    if strip_ids:  # Graphviz's ids (graph0, node1, ...) repeat in every drawing of a page and mean nothing
        svg = _GRAPHVIZ_NOISE.sub("", svg)
    attrs = f'<svg role="img" aria-label="{html.escape(label, quote=True)}" class="rpc-svg"'
    return svg.replace("<svg", attrs, 1)


def figure_html(svg: str, label: str, description: str, legend: str = "", strip_ids: bool = True) -> str:
    """A drawing for the page: the named SVG, its text description and (optionally) its legend, collapsed."""
    pre = "<pre style='white-space: pre-wrap; font-size: 12px; margin: 0.3em 0'>"
    parts = [
        "<figure class='rpc-figure' style='margin: 0'>",
        _labelled_svg(svg, label, strip_ids),
        f"<details class='rpc-text'><summary>Text description</summary>{pre}{html.escape(description)}</pre></details>",
    ]
    if legend:
        parts.append(f"<details class='rpc-legend'><summary>Legend</summary>{legend}</details>")
    parts.append("</figure>")
    return "".join(parts)


@dataclass(frozen=True)
class Diagram:
    """A drawing: its DOT source, a deterministic summary of what it shows, a short name and its legend (HTML)."""

    dot: str
    summary: str
    label: str = "diagram"
    legend: str = ""

    @property
    def svg(self) -> str | None:
        return render_svg(self.dot)

    def html(self) -> str:
        svg = self.svg
        if svg is None:
            return "<pre>" + html.escape(f"{INSTALL_HINT}\n{self.dot}") + "</pre>"
        return figure_html(svg, self.label, self.summary, self.legend)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.svg is None:
            return {"text/plain": f"{self.summary}\n\n{INSTALL_HINT}\n{self.dot}"}
        return {"text/html": self.html(), "text/plain": self.summary}

    def __repr__(self) -> str:
        return self.summary

    def save(self, path: str, fmt: str = "png") -> None:
        """Write the drawing to a file (png or svg) with dot; used for docs/images."""
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(INSTALL_HINT)
        subprocess.run(
            [exe, f"-T{fmt}", "-Gdpi=110", "-o", path],
            input=self.dot.encode(),
            check=True,
            capture_output=True,
            timeout=60,
        )


class AccessibleFigure(Figure):
    """A Matplotlib figure shown as named inline SVG with its text description (a PNG has no text alternative
    in JupyterLab). ``alt`` names it; ``description`` says in words what it shows (also its text/plain)."""

    def __init__(self, *args, alt: str = "figure", description: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.alt, self.description = alt, description

    def svg(self) -> str:
        buffer = io.StringIO()
        self.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        text = buffer.getvalue()
        return text[text.index("<svg") :]

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": figure_html(self.svg(), self.alt, self.description, strip_ids=False),
            "text/plain": self.description or self.alt,
        }
