"""The level explorer: one client, one server, one call; pick the level, API, placement and provider and
see what the server can do as the client, each answer an engine decision with its rule.
"""

from __future__ import annotations

import ipywidgets as W

from ..binding import Binding
from ..capabilities import CAPABILITIES, PLACEMENTS, capability_world, run_capability
from ..chain import Access, Chain, ChainResult, Hop, evaluate
from ..errors import InvalidValueError
from .diagrams import chain_diagram
from .widget_base import APIS, LEVELS, WidgetView, pre_html

__all__ = ["LevelExplorer", "explore_level"]


def explore_level(level: str, api: str, placement: str, provider: str) -> tuple[str, str, ChainResult]:
    """The capability row (as text), and the chain client -> server opening a local file and a share."""
    cells = [
        run_capability(what, api=api, level=level, placement=placement, provider=provider) for what in CAPABILITIES
    ]
    row = "\n".join(
        f"{'yes' if c.allowed else 'no ':3}  {c.capability} [{', '.join(c.decision.rules)}]: "
        f"{c.decision.cause.sentence}"
        for c in cells
    )
    if cells[0].raised:
        row = (
            f"asked {level}, the server received {cells[0].received}: off ncalrpc the engine raises Anonymous "
            f"to Identify (R7, modelling decision A2)\n"
        ) + row
    world = capability_world()
    server = "local" if placement == "local" else "remote"
    binding = (
        Binding.of(protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default", level=level, api=api)
        if placement == "local"
        else Binding.of(provider=provider, level=level, mutual_auth=True, api=api)
    )
    local = "file@WS1" if placement == "local" else "file@SRV1"
    result = evaluate(
        world,
        Chain(
            "client",
            (Hop(server, binding, access=(Access.of(local), Access.of("share@FILES"))),),
            name=f"{api} client grants {level}",
        ),
    )
    return row, result.story(outcome_first=True), result


class LevelExplorer(WidgetView):
    """Choose a level, API family, where the server runs and the provider; see what the server can do."""

    def __init__(
        self, level: str = "impersonate", api: str = "rpc", placement: str = "remote", provider: str = "kerberos"
    ) -> None:
        super().__init__()
        self.level = W.Dropdown(options=LEVELS, value=level, description="level")
        self.api = W.Dropdown(options=APIS, value=api, description="API")
        self.placement = W.Dropdown(
            options=[(v, k) for k, v in PLACEMENTS.items()],
            value=placement,
            description="server",
            layout=W.Layout(width="420px"),
        )
        self.provider = W.Dropdown(options=["ntlm", "kerberos", "negotiate"], value=provider, description="provider")
        self.matrix_pane = W.HTML()
        self.matrix_row = ""
        for w in (self.level, self.api, self.placement, self.provider):
            w.observe(lambda _: self.refresh(), names="value")
        self.widget = W.VBox(
            [
                W.HBox([self.level, self.api]),
                W.HBox([self.placement, self.provider]),
                self.matrix_pane,
                self.diagram_pane,
                self.explanation_pane,
            ]
        )
        self.widget.add_class("rpc-level-explorer")
        self.refresh()

    def set(self, **values: str) -> None:
        """Set any of level, api, placement, provider (as a learner would)."""
        for name, value in values.items():
            control = getattr(self, name, None)
            if not isinstance(control, W.Dropdown):
                raise InvalidValueError("control", name, ["level", "api", "placement", "provider"])
            control.value = value

    def refresh(self) -> None:
        self.provider.disabled = self.placement.value == "local"
        row, story, result = explore_level(self.level.value, self.api.value, self.placement.value, self.provider.value)
        self.matrix_row = row
        self.matrix_pane.value = pre_html(row)
        self.result = result
        self._show(story, chain_diagram(result, capability_world()))
