"""What every widget shares: the engine's choices as option lists, and a view with a root widget, an
explanation pane and a diagram pane (shown live, or as a static snapshot)."""

from __future__ import annotations

import html

import ipywidgets as W

from ..constants import ApiFamily, ImpLevel, Protseq, Provider
from .display import Diagram
from .snapshot import StaticSnapshot

__all__ = ["WidgetView", "pre_html", "svg_html", "LEVELS", "PROTSEQS", "PROVIDERS", "APIS"]

LEVELS = [lvl.key for lvl in ImpLevel]
PROTSEQS = [p.value for p in Protseq]
PROVIDERS = [p.key for p in Provider]
APIS = [a.value for a in ApiFamily]


def pre_html(text: str) -> str:
    """``text`` as preformatted, wrapped HTML."""
    return f"<pre style='white-space: pre-wrap; font-size: 12px; margin: 0'>{html.escape(text)}</pre>"


def svg_html(diagram: Diagram) -> str:
    """A diagram as inline HTML (its SVG, or its DOT source and an install hint)."""
    return diagram.html()


class WidgetView(StaticSnapshot):
    """Shared plumbing: a root widget (displayed with its static snapshot), an explanation and a diagram pane."""

    widget: W.Widget

    def __init__(self) -> None:
        self.explanation_pane = W.HTML()
        self.diagram_pane = W.HTML()
        self.diagram_pane.add_class("rpc-diagram-pane")  # what the browser test watches for the redrawn diagram
        self.explanation = ""
        self.summary = ""
        self.dot = ""

    def _show(self, explanation: str, diagram: Diagram | None) -> None:
        # The drawing is updated before the text, so a reader who sees new text sees the new drawing.
        self.explanation = explanation
        if diagram is None:
            self.dot, self.summary = "", explanation.splitlines()[0] if explanation else ""
            self.diagram_pane.value = ""
        else:
            self.dot, self.summary = diagram.dot, diagram.summary
            self.diagram_pane.value = svg_html(diagram)
        self.explanation_pane.value = pre_html(explanation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self.summary}"
