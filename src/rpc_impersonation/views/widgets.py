"""Interactive widgets. Each factory returns an object that works without a browser: set a value
(or call a method), then read ``explanation``, ``summary`` and ``dot``. Callbacks only gather
the widgets' values, call the engine and re-render; the logic lives in the engine.

>>> cb = ChainBuilder()
>>> cb.set_hop(0, level="impersonate")
>>> cb.result.reached_as("server2")
'NT AUTHORITY\\\\ANONYMOUS LOGON'
>>> cb.set_hop(0, level="delegate")
>>> cb.result.reached_as("server2")
'CORP\\\\alice'

Taught in notebooks/02_levels.ipynb, 04_delegation.ipynb, 01_security_context.ipynb, 08_review.ipynb.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as W

from ..binding import Binding
from ..capabilities import CAPABILITIES, PLACEMENTS, capability_world, run_capability
from ..chain import Access, Chain, ChainResult, Hop, evaluate
from ..com import proxy_cloaking
from ..constants import ApiFamily, Cloaking, ImpLevel, Protseq, Provider
from ..decisions import Decision
from ..engine import Engine
from ..errors import ImpersonationError, InvalidValueError
from ..rules import RULES, rule
from ..scenarios import load_named
from ..world import ANONYMOUS_LOGON, World
from .diagrams import chain_diagram, thread_diagram
from .display import Diagram
from .snapshot import StaticSnapshot

__all__ = ["LevelExplorer", "ChainBuilder", "ImpersonationStepper", "QuickCheck", "Option", "level_explorer",
           "chain_builder", "impersonation_stepper", "quick_check", "CloakingStepper", "cloaking_stepper"]

LEVELS = [lvl.key for lvl in ImpLevel]
PROTSEQS = [p.value for p in Protseq]
PROVIDERS = [p.key for p in Provider]
APIS = [a.value for a in ApiFamily]


def _pre(text: str) -> str:
    return f"<pre style='white-space: pre-wrap; font-size: 12px; margin: 0'>{html.escape(text)}</pre>"


def _svg_html(diagram: Diagram) -> str:
    return diagram.html()


class _View(StaticSnapshot):
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
            self.diagram_pane.value = _svg_html(diagram)
        self.explanation_pane.value = _pre(explanation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self.summary}"


# --- level explorer ----------------------------------------------------------------------------------
def explore_level(level: str, api: str, placement: str, provider: str) -> tuple[str, str, ChainResult]:
    """The capability row (as text), and the chain client -> server opening a local file and a share."""
    cells = [run_capability(what, api=api, level=level, placement=placement, provider=provider)
             for what in CAPABILITIES]
    row = "\n".join(f"{'yes' if c.allowed else 'no ':3}  {c.capability} [{', '.join(c.decision.rules)}]: "
                    f"{c.decision.cause.sentence}" for c in cells)
    if cells[0].raised:
        row = (f"asked {level}, the server received {cells[0].received}: off ncalrpc the engine raises Anonymous "
               f"to Identify (R7, modelling decision A2)\n") + row
    world = capability_world()
    server = "local" if placement == "local" else "remote"
    binding = (Binding.of(protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default", level=level, api=api)
               if placement == "local" else Binding.of(provider=provider, level=level, mutual_auth=True, api=api))
    local = "file@WS1" if placement == "local" else "file@SRV1"
    result = evaluate(world, Chain("client", (Hop(server, binding, access=(Access.of(local),
                                                                            Access.of("share@FILES"))),),
                                   name=f"{api} client grants {level}"))
    return row, result.story(outcome_first=True), result


class LevelExplorer(_View):
    """Choose a level, API family, where the server runs and the provider; see what the server can do."""

    def __init__(self, level: str = "impersonate", api: str = "rpc", placement: str = "remote",
                 provider: str = "kerberos") -> None:
        super().__init__()
        self.level = W.Dropdown(options=LEVELS, value=level, description="level")
        self.api = W.Dropdown(options=APIS, value=api, description="API")
        self.placement = W.Dropdown(options=[(v, k) for k, v in PLACEMENTS.items()], value=placement,
                                    description="server", layout=W.Layout(width="420px"))
        self.provider = W.Dropdown(options=["ntlm", "kerberos", "negotiate"], value=provider, description="provider")
        self.matrix_pane = W.HTML()
        self.matrix_row = ""
        for w in (self.level, self.api, self.placement, self.provider):
            w.observe(lambda _: self.refresh(), names="value")
        self.widget = W.VBox([W.HBox([self.level, self.api]), W.HBox([self.placement, self.provider]),
                              self.matrix_pane, self.diagram_pane, self.explanation_pane])
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
        row, story, result = explore_level(self.level.value, self.api.value, self.placement.value,
                                           self.provider.value)
        self.matrix_row = row
        self.matrix_pane.value = _pre(row)
        self.result = result
        self._show(story, chain_diagram(result, capability_world()))


# --- chain builder -------------------------------------------------------------------------------------
SANDBOX_SERVERS = ("local", "server1", "server2", "server3", "server4")
DELEGATION = ("not trusted", "trusted (any computer)", "trusted to SRV2 only", "trusted to SRV3 only",
              "trusted to SRV4 only")


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
        kwargs = {}
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
        built.append(Hop(h.server, Binding.of(protseq=h.protseq, provider=h.provider, level=h.level,
                                              mutual_auth=h.mutual_auth),
                         access=(Access.of(f"file@{machine}"),)))
    return world, Chain("client", tuple(built), name="sandbox")


class ChainBuilder(_View):
    """Add and remove hops, choose each hop's binding and each account's delegation settings."""

    def __init__(self, hops: Sequence[HopChoice] | None = None, delegation: dict[str, str] | None = None,
                 client_sensitive: bool = False) -> None:
        super().__init__()
        self.result: ChainResult | None = None
        self.error: str = ""
        self._rows: list[dict[str, W.Widget]] = []
        self.hops_box = W.VBox()
        self.add_button = W.Button(description="add hop", icon="plus")
        self.add_button.on_click(lambda _: self.add_hop())
        self.delegation = {name: W.Dropdown(options=DELEGATION, value=(delegation or {}).get(name, "not trusted"),
                                            description=f"svc_{name}", layout=W.Layout(width="360px"),
                                            style={"description_width": "110px"})
                           for name in SANDBOX_SERVERS}
        self.sensitive = W.Checkbox(value=client_sensitive, description="alice is sensitive (cannot be delegated)",
                                    indent=False, layout=W.Layout(width="auto"))
        for w in (*self.delegation.values(), self.sensitive):
            w.observe(lambda _: self.refresh(), names="value")
        accounts = W.VBox([W.HTML("<b>Accounts (Active Directory settings)</b>"), *self.delegation.values(),
                           self.sensitive])
        self.widget = W.VBox([W.HTML("<b>Hops</b> (each server impersonates its caller and opens the file on its "
                                     "machine)"), self.hops_box, self.add_button, accounts, self.diagram_pane,
                              self.explanation_pane])
        self.widget.add_class("rpc-chain-builder")
        self._quiet = True
        default = hops if hops is not None else (
            HopChoice("server1", level="delegate"), HopChoice("server2", level="impersonate"))
        if hops is None and delegation is None:
            self.delegation["server1"].value = "trusted (any computer)"
        for h in default:
            self.add_hop(**h.__dict__)
        self._quiet = False
        self.refresh()

    # learner actions
    def add_hop(self, server: str = "server1", protseq: str = "ncacn_ip_tcp", provider: str = "kerberos",
                level: str = "impersonate", mutual_auth: bool = True) -> None:
        row = {
            "server": W.Dropdown(options=SANDBOX_SERVERS, value=server, description="server",
                                 layout=W.Layout(width="190px"), style={"description_width": "50px"}),
            # every control has a visible name, which is also its accessible name (axe: select-name)
            "protseq": W.Dropdown(options=PROTSEQS, value=protseq, description="over", layout=W.Layout(width="170px"),
                                  style={"description_width": "36px"}),
            "provider": W.Dropdown(options=PROVIDERS, value=provider, description="auth",
                                   layout=W.Layout(width="150px"), style={"description_width": "36px"}),
            "level": W.Dropdown(options=LEVELS, value=level, description="level", layout=W.Layout(width="160px"),
                                style={"description_width": "36px"}),
            "mutual_auth": W.Checkbox(value=mutual_auth, description="mutual auth", indent=False,
                                      layout=W.Layout(width="110px")),
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
        return [HopChoice(r["server"].value, r["protseq"].value, r["provider"].value, r["level"].value,
                          r["mutual_auth"].value) for r in self._rows]

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
            world, chain = build_chain(self.hops, {k: v.value for k, v in self.delegation.items()},
                                       self.sensitive.value)
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


# --- impersonation stepper ---------------------------------------------------------------------------
STEPS = ("impersonate", "open report.txt", "open secrets.txt", "call backend", "revert", "end call")
_STEP_ALIASES = {"open report": 0, "open admin file": 1}  # the names of earlier versions: first and second file


def stepper_world() -> World:
    """Notebook 01's world: Erin on WS1 calls a service running as SYSTEM on SRV1; report.txt is Erin's to read,
    secrets.txt only SYSTEM's; a backend on SRV2. SRV1's computer account is trusted for delegation, so a
    Kerberos Delegate call with mutual authentication succeeds."""
    w = World("CORP", name="stepper")
    w.machine("WS1")
    w.machine("SRV1", trusted_for_delegation=True)
    w.machine("SRV2")
    w.account("erin")
    w.account("svc_backend")
    w.process("client", on="WS1", runs_as="erin")
    w.process("service", on="SRV1", runs_as="SYSTEM")
    w.process("backend", on="SRV2", runs_as="svc_backend")
    w.resource("report.txt", on="SRV1", allow={"erin": "read"})
    w.resource("secrets.txt", on="SRV1", allow={"SYSTEM": "read"})
    return w


class ImpersonationStepper(_View):
    """Step one server thread through impersonate / open / call onward / revert and watch its token.

    ``world`` (default :func:`stepper_world`), ``client``, ``server``, ``backend`` and the two ``files`` the
    server may open can be given, so the stepper tells the same story as the text around it. The step
    buttons are named after the files ("open report.txt"); the older names "open report" and "open admin
    file" still work in :meth:`press`.
    """

    def __init__(self, level: str = "impersonate", provider: str = "ntlm", mutual_auth: bool = False, *,
                 world: World | None = None, client: str = "client", server: str = "service",
                 backend: str = "backend", files: Sequence[str] = ("report.txt", "secrets.txt")) -> None:
        super().__init__()
        self._world_given = world
        self.client, self.server, self.backend, self.files = client, server, backend, tuple(files)
        check = world or stepper_world()
        for name in (client, server, backend):
            check.get_process(name)
        for f in self.files:
            check.get_resource(f)
        wide = {"description_width": "initial"}
        self.level = W.Dropdown(options=LEVELS, value=level, description="client grants", style=wide,
                                layout=W.Layout(width="230px"))
        self.provider = W.Dropdown(options=["none", "ntlm", "kerberos"], value=provider, description="provider",
                                   style=wide, layout=W.Layout(width="180px"))
        self.mutual_auth = W.Checkbox(value=mutual_auth, description="mutual authentication", indent=False,
                                      layout=W.Layout(width="auto"))
        self.steps = ("impersonate", *(f"open {f}" for f in self.files), f"call {backend}", "revert", "end call")
        self.buttons = {s: W.Button(description=s, layout=W.Layout(width="auto")) for s in self.steps}
        for step, b in self.buttons.items():
            b.on_click(lambda _, s=step: self.press(s))
        restart = W.Button(description="new call", icon="refresh")
        restart.on_click(lambda _: self.restart())
        for control in (self.level, self.provider, self.mutual_auth):
            control.observe(lambda _: self.restart(), names="value")
        self.state_pane = W.HTML()
        self.state = ""
        self.last: Decision | None = None
        self.widget = W.VBox([W.HBox([self.level, self.provider, self.mutual_auth, restart],
                                     layout=W.Layout(flex_flow="row wrap")),
                              W.HBox(list(self.buttons.values()), layout=W.Layout(flex_flow="row wrap")),
                              self.state_pane, self.diagram_pane, self.explanation_pane])
        self.widget.add_class("rpc-stepper")
        self.restart()

    def restart(self) -> None:
        self.world = self._world_given or stepper_world()
        engine = Engine(self.world)
        served = engine.thread(self.client).call(self.server, Binding.of(
            provider=self.provider.value, level=self.level.value, mutual_auth=self.mutual_auth.value))
        self.call = served.decision
        self.thread = served.thread
        self.last = served.decision
        self._render()

    def press(self, step: str) -> Decision:
        """Do one step (one of ``self.steps``) and return the engine's decision."""
        if step in _STEP_ALIASES and _STEP_ALIASES[step] < len(self.files):
            step = f"open {self.files[_STEP_ALIASES[step]]}"
        if step == "call backend":
            step = f"call {self.backend}"
        if step not in self.steps:
            raise InvalidValueError("step", step, self.steps)
        t = self.thread
        if t is None:
            raise ImpersonationError("the call was refused, so there is no server thread; choose other settings")
        if t.ended and step != "end call":
            raise ImpersonationError("the call has ended; press 'new call' (restart()) to serve another")
        onward = Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)
        actions: dict[str, Callable[[], Decision]] = {
            "impersonate": t.rpc_impersonate_client,
            **{f"open {f}": (lambda f=f: t.open(f)) for f in self.files},
            f"call {self.backend}": lambda: t.call(self.backend, onward).decision,
            "revert": t.rpc_revert_to_self, "end call": t.end_call,
        }
        self.last = actions[step]()
        self._render()
        return self.last

    def _render(self) -> None:
        t = self.thread
        if t is None:
            self.state = f"The call was refused: {self.call.code_name}. {self.call.headline}"
            self._show(self.call.explain(), None)
        else:
            tok = t.effective_token
            level = "process token" if tok.level is None else f"{tok.level.label}-level thread token"
            self.state = (f"thread acts as {t.acting_as} ({level}; network credentials: "
                          f"{'yes' if tok.network_credentials else 'no'})")
            self._show(self.last.explain(), thread_diagram(t.history, t.process.account.qualified))
        self.state_pane.value = f"<b>{html.escape(self.state)}</b>"
        ended = t is None or t.ended
        for b in self.buttons.values():
            b.disabled = t is None or (t.ended and b.description != "end call")
        self.widget.remove_class("rpc-stepper-ended" if not ended else "rpc-stepper-live")
        self.widget.add_class("rpc-stepper-ended" if ended else "rpc-stepper-live")


# --- COM proxies and cloaking (R32, R37, R38) ------------------------------------------------------------
PROXY_STEPS = ("CoImpersonateClient", "CoRevertToSelf", "end call")
PROXY_CLOAKINGS = ("static", "dynamic", "none", "default")


def proxy_world() -> World:
    """alice calls a COM middle tier on MID; its back end runs on MID too, so the back end sees exactly the
    identity the middle tier's proxy presents (no delegation involved)."""
    w = World("CORP", name="cloaking stepper")
    w.machine("WS1")
    w.machine("MID")
    for account in ("alice", "svc_mid", "svc_back"):
        w.account(account)
    w.process("client", on="WS1", runs_as="alice")
    w.process("middle", on="MID", runs_as="svc_mid")
    w.process("backend", on="MID", runs_as="svc_back")
    return w


@dataclass
class ProxyRow:
    """One proxy as the learner sees it: its cloaking, what it captured, and who the back end saw last."""

    number: int
    cloaking: str
    captured: str
    last_seen: str

    def line(self) -> str:
        return (f"proxy {self.number} | {self.cloaking:37} | captured: {self.captured:28} | "
                f"back end saw: {self.last_seen}")


class CloakingStepper(_View):
    """Step a COM middle tier through CoImpersonateClient / make proxy / call / CoRevertToSelf and watch
    what each proxy presents: static cloaking keeps what it captured, dynamic follows the thread (R32)."""

    def __init__(self, cis: str = "none") -> None:
        super().__init__()
        self.cis = W.Dropdown(options=["none", "static", "dynamic"], value=cis,
                              description="CoInitializeSecurity cloaking", style={"description_width": "initial"})
        labels = {"static": "static, set on its blanket", "dynamic": "dynamic, set on its blanket",
                  "none": "none, set on its blanket", "default": "CoInitializeSecurity's"}
        self.cloaking = W.Dropdown(options=[(labels[c], c) for c in PROXY_CLOAKINGS], value="static",
                                   description="new proxy's cloaking", style={"description_width": "initial"})
        self.buttons = {s: W.Button(description=s, layout=W.Layout(width="auto")) for s in PROXY_STEPS}
        for step, b in self.buttons.items():
            b.on_click(lambda _, s=step: self.press(s))
        make = W.Button(description="make proxy", layout=W.Layout(width="auto"))
        make.on_click(lambda _: self.make_proxy())
        call = W.Button(description="call through every proxy", layout=W.Layout(width="auto"))
        call.on_click(lambda _: self.call_proxies())
        restart = W.Button(description="new call", icon="refresh")
        restart.on_click(lambda _: self.restart())
        self.cis.observe(lambda _: self.restart(), names="value")
        self.state_pane = W.HTML()
        self.proxy_pane = W.HTML()
        self.state = ""
        self.proxy_table = ""
        self.widget = W.VBox([W.HBox([self.cis, restart]), W.HBox([self.cloaking, make, call]),
                              W.HBox(list(self.buttons.values())), self.state_pane, self.proxy_pane,
                              self.diagram_pane, self.explanation_pane])
        self.restart()

    def restart(self) -> None:
        """A new COM call from alice, at Impersonate, to a middle tier whose CoInitializeSecurity set the chosen
        cloaking; no proxies yet."""
        self.engine = Engine(proxy_world())
        self.engine.co_initialize_security("middle", level="impersonate", cloaking=self.cis.value)
        served = self.engine.thread("client").call("middle", Binding.of(api="com", provider="ntlm",
                                                                        level="impersonate"))
        self.thread = served.thread
        self.proxies: list = []
        self.seen: dict[int, str] = {}
        self.last: Decision = served.decision
        self._render()

    def make_proxy(self, cloaking: str | None = None):
        """Obtain a proxy to the back end with this cloaking on its blanket ('default': CoInitializeSecurity's)."""
        cloaking = self.cloaking.value if cloaking is None else cloaking
        if cloaking not in PROXY_CLOAKINGS:
            raise InvalidValueError("cloaking", cloaking, PROXY_CLOAKINGS)
        handle = self.thread.bind("backend", Binding.of(api="com", provider="ntlm", level="impersonate",
                                                        cloaking=cloaking))
        self.proxies.append(handle)
        self._render()
        return handle

    def call_proxies(self) -> list[Decision]:
        """Call the back end once through every proxy, oldest first; returns the engine's decisions."""
        decisions = []
        for number, handle in enumerate(self.proxies, start=1):
            d = self.thread.call(handle).decision
            self.seen[number] = d.identity_seen if d.ok else f"refused: {d.code_name}"
            decisions.append(d)
        if decisions:
            self.last = decisions[-1]
        self._render()
        return decisions

    def press(self, step: str) -> Decision:
        """CoImpersonateClient, CoRevertToSelf or end call (the method returns); returns the engine's decision."""
        if step not in PROXY_STEPS:
            raise InvalidValueError("step", step, PROXY_STEPS)
        t = self.thread
        actions: dict[str, Callable[[], Decision]] = {"CoImpersonateClient": t.co_impersonate_client,
                                                      "CoRevertToSelf": t.co_revert_to_self, "end call": t.end_call}
        if step == "end call" and t.ended:
            raise ImpersonationError("the method has already returned; press 'new call' (restart()) to serve another")
        self.last = actions[step]()
        self._render()
        return self.last

    def rows(self) -> list[ProxyRow]:
        """What each proxy captured (read from its handle) and what the back end saw through it last."""
        out = []
        for number, handle in enumerate(self.proxies, start=1):
            mode, source = proxy_cloaking(self.engine, self.thread.process.name, handle.binding)
            where = "CoSetProxyBlanket" if source == "blanket" else "CoInitializeSecurity"
            if mode is Cloaking.STATIC:
                captured = handle.captured.user if handle.captured is not None else "not yet (at first call)"
            elif mode is Cloaking.DYNAMIC:
                captured = "nothing (follows the thread)"
            else:
                captured = "nothing (the process's own)"
            kind = "no cloaking" if mode is Cloaking.NONE else f"{mode.value} cloaking"
            out.append(ProxyRow(number, f"{kind}, from {where}", captured,
                                self.seen.get(number, "(not called yet)")))
        return out

    def _render(self) -> None:
        t = self.thread
        when = "the method has returned" if t.ended else "serving alice's COM call"
        self.state = f"thread acts as {t.acting_as} ({when})"
        rows = self.rows()
        self.proxy_table = "\n".join(r.line() for r in rows) if rows else "no proxies yet: make one"
        self.state_pane.value = f"<b>{html.escape(self.state)}</b>"
        self.proxy_pane.value = _pre(self.proxy_table)
        self._show(self.last.explain(), thread_diagram(t.history, t.process.account.qualified))
        for name, b in self.buttons.items():
            b.disabled = t.ended and name == "end call"

    def __repr__(self) -> str:
        return f"CloakingStepper: {self.state}"


def cloaking_stepper(**kwargs) -> CloakingStepper:
    return CloakingStepper(**kwargs)


# --- quick check ---------------------------------------------------------------------------------------
NOBODY = "nobody: the chain never gets there"


@dataclass(frozen=True)
class Option:
    """One answer of a quick check and ``why``: the misconception behind choosing it, with its rule id."""

    text: str
    why: str = ""


class QuickCheck(_View):
    """A question whose right answer the engine computes. It starts unanswered; a wrong pick shows the rule
    behind *that* option (never the hidden answer) and lets the learner try again; the answer shows after
    ``reveal_after`` wrong tries or when the learner presses "show answer".

    ``QuickCheck(question, choices, correct, because)`` as before; new, keyword-only:

    * ``choices`` may mix strings and :class:`Option` (an option's ``why`` is its misconception text);
    * ``why``: a mapping choice -> misconception text, for choices given as strings;
    * ``reveal_after``: wrong tries before the answer is shown (default 2; ``None``: only on request);
    * ``kind``: a label for the form of question ("multiple choice", "which rule decides", "who does C see",
      ...), shown above the question.

    Right answers are explained with ``because.headline`` (the most specific cause and its rule). The
    widget's DOM carries the classes ``rpc-quick-check`` and ``rpc-qc-<state>``, state being one of
    :attr:`STATES`, so a browser test can see that it is unanswered.
    """

    STATES = ("unanswered", "wrong", "right", "revealed")
    hidden_in_snapshot = ("feedback_pane",)

    def __init__(self, question: str, choices: Sequence[str | Option], correct: str, because: Decision, *,
                 why: dict[str, str] | None = None, reveal_after: int | None = 2,
                 kind: str = "multiple choice") -> None:
        super().__init__()
        options = [c if isinstance(c, Option) else Option(str(c), (why or {}).get(str(c), "")) for c in choices]
        texts = [o.text for o in options]
        if len(set(texts)) != len(texts):
            raise InvalidValueError("choices", texts, "distinct answers", what="repeated")
        if correct not in texts:
            raise InvalidValueError("correct", correct, texts)
        unknown = sorted(set(why or {}) - set(texts))
        if unknown:
            raise InvalidValueError("why", unknown, texts, what="explains unknown choices")
        if reveal_after is not None and (not isinstance(reveal_after, int) or reveal_after < 1):
            raise InvalidValueError("reveal_after", reveal_after, "a whole number of tries >= 1, or None")
        self.question, self.choices, self.correct, self.because = question, tuple(texts), correct, because
        self.options = {o.text: o for o in options}
        self.reveal_after, self.kind = reveal_after, kind
        self.tries = 0
        self.state = "unanswered"
        self.radio = W.RadioButtons(options=texts, value=None, layout=W.Layout(width="auto"))
        self.check = W.Button(description="check", button_style="primary")
        self.check.on_click(lambda _: self.choose(self.radio.value))
        self.show_button = W.Button(description="show answer")
        self.show_button.on_click(lambda _: self.reveal())
        self.feedback_pane = W.HTML()
        self.feedback = ""
        self.is_correct: bool | None = None
        self.widget = W.VBox([W.HTML(f"<i>Check your understanding ({html.escape(kind)})</i><br>"
                                     f"<b>{html.escape(question)}</b>"), self.radio,
                              W.HBox([self.check, self.show_button]), self.feedback_pane])
        self.widget.add_class("rpc-quick-check")
        self._set_state("unanswered")
        self.summary = question

    def choose(self, answer: str | None) -> str:
        """Answer the question; returns (and shows) the feedback."""
        if answer is None:
            self.feedback, self.is_correct = "Pick an answer first.", None
        elif answer not in self.choices:
            raise InvalidValueError("answer", answer, self.choices)
        elif self.state in ("right", "revealed"):
            self.is_correct = answer == self.correct
            self.feedback = (f"Right: {answer}." if self.is_correct else
                             f"{self._why(answer)} The engine's answer stays {self.correct!r}.") + \
                f" {self.because.headline}"
        else:
            self.tries += 1
            self.is_correct = answer == self.correct
            if self.is_correct:
                self._set_state("right")
                self.feedback = f"Right: {answer}. Why: {self.because.headline}"
            elif self.reveal_after is not None and self.tries >= self.reveal_after:
                self._set_state("revealed")
                self.feedback = (f"Not quite. {self._why(answer)}\nThe engine's answer: {self.correct}. Why: "
                                 f"{self.because.headline}")
            else:
                self._set_state("wrong")
                remaining = None if self.reveal_after is None else self.reveal_after - self.tries
                left = "" if remaining is None else \
                    f" ({remaining} more wrong {'try' if remaining == 1 else 'tries'} before the answer shows)"
                self.feedback = f"Not quite. {self._why(answer)}\nTry again{left}, or press 'show answer'."
        if answer in self.choices and self.radio.value != answer:
            self.radio.value = answer
        self.feedback_pane.value = _pre(self.feedback)
        return self.feedback

    def reveal(self) -> str:
        """Show the engine's answer and why (the learner asked for it)."""
        if self.state != "right":
            self._set_state("revealed")
        self.feedback = f"The engine's answer: {self.correct}. Why: {self.because.headline}"
        self.feedback_pane.value = _pre(self.feedback)
        return self.feedback

    def _why(self, answer: str) -> str:
        text = self.options[answer].why
        if text:
            return text
        rule_id = self.because.cause.rule
        return f"The rule that decides this case is {rule_id} ({RULES[rule_id].title}); think it through again."

    def _set_state(self, state: str) -> None:
        self.widget.remove_class(f"rpc-qc-{self.state}")
        self.state = state
        self.widget.add_class(f"rpc-qc-{state}")
        self.show_button.disabled = state in ("right", "revealed")

    # --- factories: questions computed from shipped scenarios -------------------------------------------
    @staticmethod
    def _setup(result: ChainResult) -> str:
        hops = "; ".join(f"{h.call.caller} -> {h.hop.server} over {h.hop.binding.describe()}" for h in result.hops)
        return f"{result.chain.client} runs as {result.client_identity}; {hops}"

    @staticmethod
    def _identity_options(result: ChainResult, world: World, server: str, answers: Sequence[str]) -> list[Option]:
        client, own = result.client_identity, world.get_process(server).account.qualified
        why = {
            client: "The client's identity reaches a server only if every hop before it carried it: Delegate with "
                    "Kerberos, mutual authentication and a trusted server account (R19, R23), or one hop past an "
                    "ncalrpc call (R27, R28).",
            own: "A server acts as its own account only while it is not impersonating, for example when its "
                 "impersonation failed and it carried on (R11).",
            ANONYMOUS_LOGON: "ANONYMOUS LOGON arrives when the caller's token has no credentials usable on the "
                             "target machine (R18, A16), or when Anonymous was asked over ncalrpc (R7).",
            NOBODY: "A chain stops before a server only if a call on the way is refused, for example because "
                    "Delegate was required and impossible (R20) or the server requires authentication (M1).",
        }
        other = "That account belongs to another process on the path; a server sees it only when that process " \
                "calls out as itself instead of as its caller (R17, R32)."
        return [Option(a, why.get(a, other)) for a in sorted(set(answers))]

    @classmethod
    def who_acts(cls, scenario: str, chain: str, server: str, **options) -> QuickCheck:
        """'As whom does <server> act?' for a shipped scenario's chain (the question names the set-up, not the
        chain's name, which could give the answer away). ``options`` go to the constructor."""
        s = load_named(scenario)
        result = s.evaluate(chain)
        got = result.reached_as(server) or NOBODY
        own = s.world.get_process(server).account.qualified
        hop = next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)
        because = result.outcome if hop is None else hop.call if not hop.call.ok or hop.impersonation is None \
            else hop.call if hop.impersonation.ok else hop.impersonation
        choices = cls._identity_options(result, s.world, server,
                                        [result.client_identity, own, ANONYMOUS_LOGON, NOBODY, got])
        return cls(f"{cls._setup(result)}. Every server impersonates its caller. As whom does {server} act?",
                   choices, got, because, **{"kind": "who acts", **options})

    @classmethod
    def who_sees(cls, scenario: str, chain: str, server: str, **options) -> QuickCheck:
        """'Whom does <server> see as its caller?' (the identity in the call's security context)."""
        s = load_named(scenario)
        result = s.evaluate(chain)
        hop = next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)
        got = hop.call.identity_seen if hop is not None and hop.call.ok else NOBODY
        own = s.world.get_process(server).account.qualified
        because = hop.call if hop is not None else result.outcome
        callers = [h.call.server_account for h in result.hops if h.call.ok]
        choices = cls._identity_options(result, s.world, server,
                                        [result.client_identity, ANONYMOUS_LOGON, NOBODY, got,
                                         *[c for c in callers if c != own][:1]])
        return cls(f"{cls._setup(result)}. Every server impersonates its caller. Whom does {server} see as its "
                   "caller?", choices, got, because, **{"kind": f"who does {server} see", **options})

    @classmethod
    def which_rule(cls, scenario: str, chain: str, distractors: Sequence[str] = ("R18", "R20", "R23", "R27"),
                   **options) -> QuickCheck:
        """'Which rule decides the outcome?' The answer is the outcome's most specific cause; each option
        carries its rule's summary, so a wrong pick teaches what that rule does say."""
        result = load_named(scenario).evaluate(chain)
        cause = result.outcome.cause.rule
        ids = sorted(dict.fromkeys([cause, *[d for d in distractors if d != cause]]),
                     key=lambda r: (r[0], int(r[1:])))
        involved = set(result.outcome.rules)

        def why(r: str) -> str:
            if r == cause:
                return ""
            if r in involved:
                return (f"{r} takes part, but it states the consequence ({rule(r).summary}); the question asks "
                        "for the condition that caused it.")
            return f"{r} says: {rule(r).summary} That is not what decides this case."
        choices = [Option(f"{r}: {rule(r).title}", why(r)) for r in ids]
        return cls(f"{cls._setup(result)}. The chain ends with {result.outcome.code.name}. Which rule decides "
                   "that outcome?", choices, f"{cause}: {rule(cause).title}", result.outcome,
                   **{"kind": "which rule decides", **options})

    @classmethod
    def outcome_of(cls, scenario: str, chain: str, **options) -> QuickCheck:
        """'What is the outcome?' with the engine's code among common codes."""
        result = load_named(scenario).evaluate(chain)
        common = {"ERROR_SUCCESS": "Success needs every hop to carry the identity its server needs (R23) and the "
                                   "last ACL to allow it (M4).",
                  "ERROR_ACCESS_DENIED": "Access denied comes from an ACL that does not allow the identity the "
                                         "server acts as (M4), or a server that refuses anonymous callers (M1).",
                  "ERROR_BAD_IMPERSONATION_LEVEL": "This code comes from a thread token below Impersonate trying "
                                                   "to open something or call out (R15, M3).",
                  "RPC_S_SEC_PKG_ERROR": "This code comes from a security package that cannot give what was "
                                         "required, for example Delegate that is impossible (R20) or a Kerberos "
                                         "name that cannot be found (R21, M5).",
                  "RPC_S_NO_CONTEXT_AVAILABLE": "This code comes from impersonating a call that carries no "
                                                "security context, an unauthenticated one (R10, A15)."}
        got = result.outcome.code.name
        choices = [Option(code, why) for code, why in common.items()]
        if got not in common:
            choices.append(Option(got))
        return cls(f"{cls._setup(result)}. What does the last step return?", choices, got, result.outcome,
                   **{"kind": "what is the outcome", **options})


def level_explorer(**kwargs) -> LevelExplorer:
    return LevelExplorer(**kwargs)


def chain_builder(**kwargs) -> ChainBuilder:
    return ChainBuilder(**kwargs)


def impersonation_stepper(**kwargs) -> ImpersonationStepper:
    return ImpersonationStepper(**kwargs)


def quick_check(question: str, choices: Sequence[str | Option], correct: str, because: Decision,
                **options) -> QuickCheck:
    return QuickCheck(question, choices, correct, because, **options)
