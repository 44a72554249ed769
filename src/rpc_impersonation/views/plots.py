"""Matplotlib figures drawn from engine results: the level matrix and how far an identity reaches.

Figures have a fixed size, fonts and style; they are returned, never shown here, so a
notebook cell ends with ``plt.show()`` or displays the figure itself.

Taught in notebooks/02_levels.ipynb.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib

from ..capabilities import (
    CAPABILITIES,
    CAPABILITY_NOTES,
    PLACEMENTS,
    REACH_LEVELS,
    REACH_PROVIDERS,
    REACH_ROUTES,
    ROWS,
    capability_matrix,
    identity_reach,
)
from ..errors import InvalidValueError
from .graph import PALETTE

__all__ = ["level_matrix_figure", "level_matrix_text", "reach_figure", "reach_table", "STYLE"]

STYLE: dict[Any, Any] = {  # matplotlib types its keys as the literal rc names
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "figure.dpi": 100,
    "svg.hashsalt": "rpc-impersonation",
}


#: Figures are at most this wide (inches at STYLE's 100 dpi): they fit JupyterLab's 968 px output area.
MAX_WIDTH_IN = 9.4


def _figure(width: float, height: float, alt: str, description: str):
    from .display import AccessibleFigure

    if width > MAX_WIDTH_IN:
        raise ValueError(f"figure width {width} in is wider than the output area ({MAX_WIDTH_IN} in)")
    with matplotlib.rc_context(STYLE):
        return AccessibleFigure(figsize=(width, height), layout="constrained", alt=alt, description=description)


def _raised_rows(placement: str) -> dict[str, str]:
    """Rows whose server received a higher level than asked, with the level received (R7, decision A2)."""
    cells = capability_matrix(placement)
    return {row: cells[row, CAPABILITIES[0]].received for row in ROWS if cells[row, CAPABILITIES[0]].raised}


def _row_label(row: str, raised: dict[str, str]) -> str:
    return f"{row} (arrives as {raised[row]}*)" if row in raised else row


def _footnotes(placement: str) -> list[str]:
    notes = []
    if _raised_rows(placement):
        notes.append(
            "* Off ncalrpc the engine raises Anonymous to Identify (rule R7; modelling decision A2): the "
            "server learns who called, so this row is the Identify row."
        )
    notes.append("let the next server go on: " + CAPABILITY_NOTES["let the next server go on"] + ".")
    return notes


def level_matrix_text(placement: str = "remote") -> str:
    """The matrix as text (what the figure shows), for checked notebook outputs and tests."""
    cells = capability_matrix(_placement(placement))
    raised = _raised_rows(placement)
    width = max(len(_row_label(r, raised)) for r in ROWS)
    lines = [PLACEMENTS[placement], " " * width + " | " + " | ".join(CAPABILITIES)]
    for row in ROWS:
        marks = []
        for what in CAPABILITIES:
            c = cells[row, what]
            mark = "yes" if c.allowed else f"no ({', '.join(c.decision.rules[:2])})"
            marks.append(mark.center(len(what)))
        lines.append(_row_label(row, raised).ljust(width) + " | " + " | ".join(marks))
    return "\n".join([*lines, *_footnotes(placement)])


def _placement(placement: str) -> str:
    if placement not in PLACEMENTS:
        raise InvalidValueError("placement", placement, list(PLACEMENTS))
    return placement


def level_matrix_figure(placement: str = "remote"):
    """A yes/no grid of what a server granted each level can do, each 'no' with the deciding rule."""
    cells = capability_matrix(_placement(placement))
    raised = _raised_rows(placement)
    fig = _figure(
        9.4,
        4.6,
        f"Level matrix, {PLACEMENTS[placement]}: what a server granted each level can do",
        level_matrix_text(placement),
    )
    with matplotlib.rc_context(STYLE):
        ax = fig.add_subplot()
        rows = list(ROWS)
        for i, row in enumerate(rows):
            for j, what in enumerate(CAPABILITIES):
                c = cells[row, what]
                colour = PALETTE["ok"] if c.allowed else PALETTE["refused"]
                ax.add_patch(
                    matplotlib.patches.Rectangle(
                        (j, i),
                        0.96,
                        0.9,
                        facecolor=colour,
                        alpha=0.25,
                        edgecolor=colour,
                        hatch=None if c.allowed else "//",
                    )
                )
                text = "yes" if c.allowed else "no\n" + ", ".join(c.decision.rules[:2])
                ax.text(
                    j + 0.48,
                    i + 0.45,
                    text,
                    ha="center",
                    va="center",
                    fontsize=9,
                    fontweight="bold" if c.allowed else "normal",
                )
        ax.set_xlim(0, len(CAPABILITIES))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([j + 0.48 for j in range(len(CAPABILITIES))], [w.replace(" ", "\n", 1) for w in CAPABILITIES])
        ax.set_yticks([i + 0.45 for i in range(len(rows))], [_row_label(r, raised) for r in rows])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.xaxis.tick_top()
        ax.set_title(f"What the server can do with the client's identity:\n{PLACEMENTS[placement]}")
        fig.text(
            0.01,
            0.0,
            "\n".join(textwrap.fill(n, 150) for n in _footnotes(placement)),
            fontsize=8,
            va="bottom",
            ha="left",
        )
        fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
    return fig


def reach_table() -> list[tuple[str, str, str, int]]:
    """(route, provider, level, machine boundaries crossed) for every combination, computed by the engine."""
    return [
        (route, provider, level, identity_reach(level, provider, route)[0])
        for route in REACH_ROUTES
        for provider in REACH_PROVIDERS
        for level in REACH_LEVELS
    ]


def reach_figure():
    """Horizontal bars: machine boundaries the client's identity crosses in a 3-machine chain."""
    table = reach_table()
    fig = _figure(
        9,
        4.6,
        "How far the client's identity reaches, for each route, provider and level",
        "\n".join(f"{route}, {provider}, {level}: {n} of 3 machine boundaries" for route, provider, level, n in table),
    )
    with matplotlib.rc_context(STYLE):
        ax = fig.add_subplot()
        labels = [f"{route}, {provider}, {level}" for route, provider, level, _ in table]
        values = [n for *_, n in table]
        colours = [PALETTE["ok"] if n >= 2 else PALETTE["client"] if n == 1 else PALETTE["refused"] for n in values]
        bars = ax.barh(range(len(table)), values, color=colours, alpha=0.8)
        for bar, n in zip(bars, values):
            ax.text(bar.get_width() + 0.05, bar.get_y() + bar.get_height() / 2, str(n), va="center")
        ax.set_yticks(range(len(table)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 3.4)
        ax.set_xticks([0, 1, 2, 3])
        ax.set_xlabel("machine boundaries the client's identity crossed (of 3)")
        ax.set_title("How far the client's identity reaches: client -> ... -> R1 -> R2 -> R3")
    return fig
