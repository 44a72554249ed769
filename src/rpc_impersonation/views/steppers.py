"""Steppers: one server thread, one step at a time (impersonate, open files, call on, revert), and COM
proxies under each cloaking setting (R32, R37, R38); every press is an engine decision.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as W

from ..binding import Binding
from ..com import proxy_cloaking
from ..constants import Cloaking
from ..decisions import Decision
from ..engine import Engine, ServerThread
from ..errors import ImpersonationError, InvalidValueError
from ..world import World
from .diagrams import thread_diagram
from .widget_base import LEVELS, WidgetView, pre_html

__all__ = [
    "ImpersonationStepper",
    "stepper_world",
    "STEPS",
    "CloakingStepper",
    "cloaking_stepper",
    "proxy_world",
    "ProxyRow",
    "PROXY_STEPS",
    "PROXY_CLOAKINGS",
]

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


class ImpersonationStepper(WidgetView):
    """Step one server thread through impersonate / open / call onward / revert and watch its token.

    ``world`` (default :func:`stepper_world`), ``client``, ``server``, ``backend`` and the two ``files`` the
    server may open can be given, so the stepper tells the same story as the text around it. The step
    buttons are named after the files ("open report.txt"); the older names "open report" and "open admin
    file" still work in :meth:`press`.
    """

    def __init__(
        self,
        level: str = "impersonate",
        provider: str = "ntlm",
        mutual_auth: bool = False,
        *,
        world: World | None = None,
        client: str = "client",
        server: str = "service",
        backend: str = "backend",
        files: Sequence[str] = ("report.txt", "secrets.txt"),
    ) -> None:
        super().__init__()
        self._world_given = world
        self.client, self.server, self.backend, self.files = client, server, backend, tuple(files)
        check = world or stepper_world()
        for name in (client, server, backend):
            check.get_process(name)
        for f in self.files:
            check.get_resource(f)
        wide = {"description_width": "initial"}
        self.level = W.Dropdown(
            options=LEVELS, value=level, description="client grants", style=wide, layout=W.Layout(width="230px")
        )
        self.provider = W.Dropdown(
            options=["none", "ntlm", "kerberos"],
            value=provider,
            description="provider",
            style=wide,
            layout=W.Layout(width="180px"),
        )
        self.mutual_auth = W.Checkbox(
            value=mutual_auth, description="mutual authentication", indent=False, layout=W.Layout(width="auto")
        )
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
        self.widget = W.VBox(
            [
                W.HBox([self.level, self.provider, self.mutual_auth, restart], layout=W.Layout(flex_flow="row wrap")),
                W.HBox(list(self.buttons.values()), layout=W.Layout(flex_flow="row wrap")),
                self.state_pane,
                self.diagram_pane,
                self.explanation_pane,
            ]
        )
        self.widget.add_class("rpc-stepper")
        self.restart()

    def restart(self) -> None:
        self.world = self._world_given or stepper_world()
        engine = Engine(self.world)
        served = engine.thread(self.client).call(
            self.server,
            Binding.of(provider=self.provider.value, level=self.level.value, mutual_auth=self.mutual_auth.value),
        )
        self.call = served.decision
        self.thread = served.thread
        self.last: Decision = served.decision
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
            **{f"open {f}": _opener(t, f) for f in self.files},
            f"call {self.backend}": lambda: t.call(self.backend, onward).decision,
            "revert": t.rpc_revert_to_self,
            "end call": t.end_call,
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
            self.state = (
                f"thread acts as {t.acting_as} ({level}; network credentials: "
                f"{'yes' if tok.network_credentials else 'no'})"
            )
            self._show(self.last.explain(), thread_diagram(t.history, t.process.account.qualified))
        self.state_pane.value = f"<b>{html.escape(self.state)}</b>"
        ended = t is None or t.ended
        for b in self.buttons.values():
            b.disabled = t is None or (t.ended and b.description != "end call")
        self.widget.remove_class("rpc-stepper-ended" if not ended else "rpc-stepper-live")
        self.widget.add_class("rpc-stepper-ended" if ended else "rpc-stepper-live")


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
        return (
            f"proxy {self.number} | {self.cloaking:37} | captured: {self.captured:28} | back end saw: {self.last_seen}"
        )


class CloakingStepper(WidgetView):
    """Step a COM middle tier through CoImpersonateClient / make proxy / call / CoRevertToSelf and watch
    what each proxy presents: static cloaking keeps what it captured, dynamic follows the thread (R32)."""

    def __init__(self, cis: str = "none") -> None:
        super().__init__()
        self.cis = W.Dropdown(
            options=["none", "static", "dynamic"],
            value=cis,
            description="CoInitializeSecurity cloaking",
            style={"description_width": "initial"},
        )
        labels = {
            "static": "static, set on its blanket",
            "dynamic": "dynamic, set on its blanket",
            "none": "none, set on its blanket",
            "default": "CoInitializeSecurity's",
        }
        self.cloaking = W.Dropdown(
            options=[(labels[c], c) for c in PROXY_CLOAKINGS],
            value="static",
            description="new proxy's cloaking",
            style={"description_width": "initial"},
        )
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
        self.widget = W.VBox(
            [
                W.HBox([self.cis, restart]),
                W.HBox([self.cloaking, make, call]),
                W.HBox(list(self.buttons.values())),
                self.state_pane,
                self.proxy_pane,
                self.diagram_pane,
                self.explanation_pane,
            ]
        )
        self.restart()

    def restart(self) -> None:
        """A new COM call from alice, at Impersonate, to a middle tier whose CoInitializeSecurity set the chosen
        cloaking; no proxies yet."""
        self.engine = Engine(proxy_world())
        self.engine.co_initialize_security("middle", level="impersonate", cloaking=self.cis.value)
        served = self.engine.thread("client").call(
            "middle", Binding.of(api="com", provider="ntlm", level="impersonate")
        )
        self.thread = served.require_thread()  # the proxy world's middle tier always accepts the call
        self.proxies: list = []
        self.seen: dict[int, str] = {}
        self.last: Decision = served.decision
        self._render()

    def make_proxy(self, cloaking: str | None = None):
        """Obtain a proxy to the back end with this cloaking on its blanket ('default': CoInitializeSecurity's)."""
        cloaking = self.cloaking.value if cloaking is None else cloaking
        if cloaking not in PROXY_CLOAKINGS:
            raise InvalidValueError("cloaking", cloaking, PROXY_CLOAKINGS)
        handle = self.thread.bind(
            "backend", Binding.of(api="com", provider="ntlm", level="impersonate", cloaking=cloaking)
        )
        self.proxies.append(handle)
        self._render()
        return handle

    def call_proxies(self) -> list[Decision]:
        """Call the back end once through every proxy, oldest first; returns the engine's decisions."""
        decisions: list[Decision] = []
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
        actions: dict[str, Callable[[], Decision]] = {
            "CoImpersonateClient": t.co_impersonate_client,
            "CoRevertToSelf": t.co_revert_to_self,
            "end call": t.end_call,
        }
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
            out.append(ProxyRow(number, f"{kind}, from {where}", captured, self.seen.get(number, "(not called yet)")))
        return out

    def _render(self) -> None:
        t = self.thread
        when = "the method has returned" if t.ended else "serving alice's COM call"
        self.state = f"thread acts as {t.acting_as} ({when})"
        rows = self.rows()
        self.proxy_table = "\n".join(r.line() for r in rows) if rows else "no proxies yet: make one"
        self.state_pane.value = f"<b>{html.escape(self.state)}</b>"
        self.proxy_pane.value = pre_html(self.proxy_table)
        self._show(self.last.explain(), thread_diagram(t.history, t.process.account.qualified))
        for name, b in self.buttons.items():
            b.disabled = t.ended and name == "end call"

    def __repr__(self) -> str:
        return f"CloakingStepper: {self.state}"


def cloaking_stepper(**kwargs) -> CloakingStepper:
    return CloakingStepper(**kwargs)


def _opener(thread: ServerThread, resource: str) -> Callable[[], Decision]:
    """The stepper's "open <resource>" step."""
    return lambda: thread.open(resource)
