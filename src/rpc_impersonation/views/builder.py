"""The chain builder: a client and up to four servers in a sandbox world; choose each hop's binding and each
server account's delegation trust, and see who each server acts as along the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W

from ..binding import Binding
from ..chain import Access, Chain, ChainResult, Hop, evaluate
from ..errors import ImpersonationError, InvalidValueError
from ..world import World
from .diagrams import chain_diagram
from .widget_base import LEVELS, PROTSEQS, PROVIDERS, WidgetView

__all__ = ["ChainBuilder", "HopChoice", "build_chain", "sandbox_world", "SANDBOX_SERVERS", "DELEGATION"]

SANDBOX_SERVERS = ("local", "server1", "server2", "server3", "server4")
DELEGATION = (
    "not trusted",
    "trusted (any computer)",
    "trusted to SRV2 only",
    "trusted to SRV3 only",
    "trusted to SRV4 only",
)


@dataclass(frozen=True)
class HopChoice:
    server: str = "server1"
    protseq: str = "ncacn_ip_tcp"
    provider: str = "kerberos"
    level: str = "impersonate"
    mutual_auth: bool = True


def sandbox_world(delegation: dict[str, str], client_sensitive: bool) -> World:
    """WS1 (alice and a local server), SRV1-SRV4 (server1-4), a file on every machine, delegation as chosen."""
    w = World("CORP", name="sandbox")
    for m in ("WS1", "SRV1", "SRV2", "SRV3", "SRV4"):
        w.machine(m)
    w.account("alice", sensitive=client_sensitive)
    w.process("client", on="WS1", runs_as="alice")
    for name, machine in zip(SANDBOX_SERVERS, ("WS1", "SRV1", "SRV2", "SRV3", "SRV4")):
        setting = delegation.get(name, "not trusted")
        if setting not in DELEGATION:
            raise InvalidValueError(f"delegation of {name}", setting, DELEGATION)
        kwargs: dict[str, Any] = {}
        if setting == "trusted (any computer)":
            kwargs["trusted_for_delegation"] = True
        elif setting.startswith("trusted to "):
            kwargs["delegate_to"] = [setting.split()[2]]
        w.account(f"svc_{name}", **kwargs)
        w.process(name, on=machine, runs_as=f"svc_{name}")
        w.resource(f"file@{machine}", on=machine, allow={"alice": "read"})
    return w


def build_chain(hops: Sequence[HopChoice], delegation: dict[str, str], client_sensitive: bool):
    """The sandbox world and chain for the builder's choices; every server opens the file on its machine."""
    world = sandbox_world(delegation, client_sensitive)
    built = []
    for h in hops:
        machine = world.get_process(h.server).machine
        built.append(
            Hop(
                h.server,
                Binding.of(protseq=h.protseq, provider=h.provider, level=h.level, mutual_auth=h.mutual_auth),
                access=(Access.of(f"file@{machine}"),),
            )
        )
    return world, Chain("client", tuple(built), name="sandbox")


class ChainBuilder(WidgetView):
    """Add and remove hops, choose each hop's binding and each account's delegation settings."""

    def __init__(
        self,
        hops: Sequence[HopChoice] | None = None,
        delegation: dict[str, str] | None = None,
        client_sensitive: bool = False,
    ) -> None:
        super().__init__()
        self.result: ChainResult | None = None
        self.error: str = ""
        self._rows: list[dict[str, W.Widget]] = []
        self.hops_box = W.VBox()
        self.add_button = W.Button(description="add hop", icon="plus")
        self.add_button.on_click(lambda _: self.add_hop())
        self.delegation = {
            name: W.Dropdown(
                options=DELEGATION,
                value=(delegation or {}).get(name, "not trusted"),
                description=f"svc_{name}",
                layout=W.Layout(width="360px"),
                style={"description_width": "110px"},
            )
            for name in SANDBOX_SERVERS
        }
        self.sensitive = W.Checkbox(
            value=client_sensitive,
            description="alice is sensitive (cannot be delegated)",
            indent=False,
            layout=W.Layout(width="auto"),
        )
        for w in (*self.delegation.values(), self.sensitive):
            w.observe(lambda _: self.refresh(), names="value")
        accounts = W.VBox(
            [W.HTML("<b>Accounts (Active Directory settings)</b>"), *self.delegation.values(), self.sensitive]
        )
        self.widget = W.VBox(
            [
                W.HTML("<b>Hops</b> (each server impersonates its caller and opens the file on its machine)"),
                self.hops_box,
                self.add_button,
                accounts,
                self.diagram_pane,
                self.explanation_pane,
            ]
        )
        self.widget.add_class("rpc-chain-builder")
        self._quiet = True
        default = (
            hops
            if hops is not None
            else (HopChoice("server1", level="delegate"), HopChoice("server2", level="impersonate"))
        )
        if hops is None and delegation is None:
            self.delegation["server1"].value = "trusted (any computer)"
        for h in default:
            self.add_hop(**h.__dict__)
        self._quiet = False
        self.refresh()

    # learner actions
    def add_hop(
        self,
        server: str = "server1",
        protseq: str = "ncacn_ip_tcp",
        provider: str = "kerberos",
        level: str = "impersonate",
        mutual_auth: bool = True,
    ) -> None:
        # every control has a visible name, which is also its accessible name (axe: select-name)
        row: dict[str, W.Widget] = {
            "server": _choice(SANDBOX_SERVERS, server, "server", 190, 50),
            "protseq": _choice(PROTSEQS, protseq, "over", 170),
            "provider": _choice(PROVIDERS, provider, "auth", 150),
            "level": _choice(LEVELS, level, "level", 160),
            "mutual_auth": W.Checkbox(
                value=mutual_auth, description="mutual auth", indent=False, layout=W.Layout(width="110px")
            ),
        }
        remove = W.Button(description="remove", icon="trash", layout=W.Layout(width="90px"))
        box = W.HBox([W.HTML(), *row.values(), remove], layout=W.Layout(flex_flow="row wrap"))
        row["_box"] = box
        remove.on_click(lambda _, r=row: self._remove(r))
        for name, w in row.items():
            if not name.startswith("_"):
                w.observe(lambda _: self.refresh(), names="value")
        self._rows.append(row)
        self._relayout()
        self.refresh()

    def remove_hop(self, index: int) -> None:
        self._check_index(index)
        self._remove(self._rows[index])

    def set_hop(self, index: int, **values: object) -> None:
        """Change a hop's server, protseq, provider, level or mutual_auth."""
        self._check_index(index)
        for name, value in values.items():
            if name not in HopChoice.__dataclass_fields__:
                raise InvalidValueError("hop field", name, list(HopChoice.__dataclass_fields__))
            control = self._rows[index][name]
            options = getattr(control, "options", None)
            if options is not None and value not in options:
                raise InvalidValueError(name, value, options)
            control.value = value

    def set_account(self, server: str, delegation: str) -> None:
        if server not in self.delegation:
            raise InvalidValueError("server", server, SANDBOX_SERVERS)
        if delegation not in DELEGATION:
            raise InvalidValueError("delegation", delegation, DELEGATION)
        self.delegation[server].value = delegation

    def set_client(self, sensitive: bool) -> None:
        self.sensitive.value = bool(sensitive)

    @property
    def hops(self) -> list[HopChoice]:
        return [
            HopChoice(
                r["server"].value, r["protseq"].value, r["provider"].value, r["level"].value, r["mutual_auth"].value
            )
            for r in self._rows
        ]

    @property
    def hop_controls(self) -> list[dict[str, W.Widget]]:
        """The widgets of each hop, by field name (what a learner clicks)."""
        return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self._rows]

    # rendering
    def refresh(self) -> None:
        if getattr(self, "_quiet", False):
            return
        if not self._rows:
            self.result, self.error = None, "Add a hop to start."
            self._show(self.error, None)
            return
        try:
            world, chain = build_chain(
                self.hops, {k: v.value for k, v in self.delegation.items()}, self.sensitive.value
            )
            self.result, self.error = evaluate(world, chain), ""
        except ImpersonationError as exc:
            self.result, self.error = None, f"This chain cannot be built: {exc}"
            self._show(self.error, None)
            return
        self._show(self.result.story(outcome_first=True), chain_diagram(self.result, world))

    def _remove(self, row) -> None:
        self._rows.remove(row)
        self._relayout()
        self.refresh()

    def _relayout(self) -> None:
        for i, r in enumerate(self._rows, start=1):
            r["_box"].children[0].value = f"<b>{i}.</b>"
        self.hops_box.children = [r["_box"] for r in self._rows]

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < len(self._rows):
            raise InvalidValueError("hop index", index, f"0 to {len(self._rows) - 1}")


def _choice(options, value: str, label: str, width: int, label_width: int = 36) -> W.Dropdown:
    """A hop's dropdown: ``label`` shown before it (and read by screen readers), widths in pixels."""
    return W.Dropdown(
        options=options,
        value=value,
        description=label,
        layout=W.Layout(width=f"{width}px"),
        style={"description_width": f"{label_width}px"},
    )
