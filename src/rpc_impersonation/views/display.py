"""The one display object for diagrams: SVG for the eye, a short text summary for nbval and tests.

When the Graphviz ``dot`` program is missing, the display shows the DOT source and how to
install Graphviz instead of raising.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Diagram", "render_svg", "INSTALL_HINT"]

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


@dataclass(frozen=True)
class Diagram:
    """A drawing: its DOT source and a deterministic summary of what it shows."""

    dot: str
    summary: str

    @property
    def svg(self) -> str | None:
        return render_svg(self.dot)

    def _repr_mimebundle_(self, include=None, exclude=None):
        svg = self.svg
        if svg is None:
            return {"text/plain": f"{self.summary}\n\n{INSTALL_HINT}\n{self.dot}"}
        return {"image/svg+xml": svg, "text/plain": self.summary}

    def __repr__(self) -> str:
        return self.summary

    def save(self, path: str, fmt: str = "png") -> None:
        """Write the drawing to a file (png or svg) with dot; used for docs/images."""
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(INSTALL_HINT)
        subprocess.run([exe, f"-T{fmt}", "-Gdpi=110", "-o", path], input=self.dot.encode(), check=True,
                       capture_output=True, timeout=60)
