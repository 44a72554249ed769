"""A widget's static snapshot: what it shows at this moment, as plain HTML that needs no kernel.

Widgets carry it as ``text/html`` next to their widget view. JupyterLab draws the live widget (the
widget-view type ranks above HTML there); a static reader (the course website, a notebook viewer)
shows the snapshot instead. Controls become text ("level: impersonate"), diagram panes keep their
inline SVG and text description, choices of a question are listed without any selection mark, and
the panes a caller names in ``hide`` (a quick check's feedback) are left out, so a snapshot never
holds an answer the widget does not show. Deterministic: no model ids, no addresses.
"""

from __future__ import annotations

import html
from collections.abc import Collection

import ipywidgets as W

__all__ = ["snapshot_html", "with_snapshot", "StaticSnapshot"]

ROW_STYLE = "display: flex; flex-wrap: wrap; gap: 0.25em 1em; align-items: baseline"


def _label(control: W.Widget) -> str:
    return html.escape(str(getattr(control, "description", "") or "").strip())


def _control(control: W.Widget) -> str:
    """One control as text: its name and its current value."""
    name = _label(control)
    if isinstance(control, W.RadioButtons):  # the options only: which one is picked is the learner's business
        items = "".join(f"<li>{html.escape(str(label))}</li>" for label in control._options_labels)
        return f"<ul class='rpc-snapshot-options'>{items}</ul>"
    if isinstance(control, W.Dropdown):
        value = html.escape(str(control.label if control.label is not None else ""))
        return f"<span class='rpc-snapshot-control'>{name}: <b>{value}</b></span>"
    if isinstance(control, W.Checkbox):
        return f"<span class='rpc-snapshot-control'>{name}: <b>{'yes' if control.value else 'no'}</b></span>"
    if isinstance(control, W.Button):
        state = " (not available now)" if control.disabled else ""
        return f"<span class='rpc-snapshot-button'>[{name}]{state}</span>"
    return ""


def _walk(widget: W.Widget, hide: Collection[W.Widget]) -> str:
    if any(widget is h for h in hide):
        return ""
    if isinstance(widget, W.HTML):
        return f"<div>{widget.value}</div>" if widget.value else ""
    if isinstance(widget, W.Box):
        parts = [p for p in (_walk(child, hide) for child in widget.children) if p]
        if not parts:
            return ""
        if isinstance(widget, W.HBox):
            return f"<div class='rpc-snapshot-row' style='{ROW_STYLE}'>" + "".join(parts) + "</div>"
        return "".join(p if p.startswith(("<div", "<ul")) else f"<div>{p}</div>" for p in parts)  # one per line
    return _control(widget)


def snapshot_html(widget: W.Widget, hide: Collection[W.Widget] = ()) -> str:
    """The widget tree under ``widget`` as static HTML, without the widgets in ``hide`` (and their children)."""
    return f"<div class='rpc-widget-snapshot'>{_walk(widget, tuple(hide))}</div>"


def with_snapshot(bundle, snapshot: str):
    """A widget's display ``bundle`` (data, or (data, metadata)) with ``snapshot`` as its ``text/html``."""
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    data["text/html"] = snapshot
    return bundle


class StaticSnapshot:
    """For a view holding a root ``widget``: displayed as the live widget plus the snapshot of what it shows."""

    widget: W.Widget
    hidden_in_snapshot: tuple[str, ...] = ()  # names of panes left out (a quick check's feedback)

    def snapshot_html(self) -> str:
        """What the widget shows now as static HTML (controls as text, the diagram as inline SVG)."""
        return snapshot_html(self.widget, [getattr(self, name) for name in self.hidden_in_snapshot])

    def _repr_mimebundle_(self, **kwargs):
        # JupyterLab draws the live widget (its view type ranks above HTML); static readers show the snapshot.
        return with_snapshot(self.widget._repr_mimebundle_(**kwargs), self.snapshot_html())
