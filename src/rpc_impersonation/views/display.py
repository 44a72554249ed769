"""The one display object for diagrams: SVG for the eye, a short text summary for nbval and tests.

A diagram is shown as HTML: the SVG inline with ``role="img"`` and an ``aria-label`` (a screen reader
announces it), then two collapsed sections, the text description (what the drawing shows, in words)
and the legend (every mark explained once, only for who opens it). When the Graphviz ``dot`` program is
missing, the display shows the DOT source and how to install Graphviz instead of raising.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from matplotlib.figure import Figure

__all__ = ["Diagram", "AccessibleFigure", "render_svg", "figure_html", "INSTALL_HINT"]

INSTALL_HINT = ("Graphviz's 'dot' program was not found, so the drawing cannot be shown; install Graphviz "
                "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; Windows: winget "
                "install Graphviz.Graphviz) and run the cell again. The DOT source follows.")


@lru_cache(maxsize=256)
def render_svg(dot: str) -> str | None:
    """The SVG element for ``dot`` (XML prologue and Graphviz's version comment removed), or None without dot."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, check=False, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    svg = done.stdout.decode()
    return svg[svg.index("<svg"):]


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
    parts = ["<figure class='rpc-figure' style='margin: 0'>", _labelled_svg(svg, label, strip_ids),
             f"<details class='rpc-text'><summary>Text description</summary>{pre}{html.escape(description)}</pre>"
             "</details>"]
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
        subprocess.run([exe, f"-T{fmt}", "-Gdpi=110", "-o", path], input=self.dot.encode(), check=True,
                       capture_output=True, timeout=60)


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
        return text[text.index("<svg"):]

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": figure_html(self.svg(), self.alt, self.description, strip_ids=False),
                "text/plain": self.description or self.alt}
