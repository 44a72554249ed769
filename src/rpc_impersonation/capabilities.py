"""What each impersonation level lets a server do, computed by running the engine.

For every level (and the DEFAULT of each API family) and two placements of the server (on
the client's machine, reached over ncalrpc; on another machine, reached with Kerberos and
mutual authentication), the engine runs the action and the cell keeps its decision.

>>> m = capability_matrix("remote")
>>> [m["impersonate", c].allowed for c in CAPABILITIES]
[True, True, True, False, False]
>>> m["delegate", "reach another machine"].allowed
True

Taught in notebooks/02_levels.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .binding import Binding
from .constants import TokenLevel
from .decisions import Decision
from .engine import Engine
from .errors import InvalidValueError
from .world import World

__all__ = [
    "CAPABILITIES",
    "CAPABILITY_NOTES",
    "PLACEMENTS",
    "ROWS",
    "Cell",
    "capability",
    "run_capability",
    "capability_matrix",
    "identity_reach",
    "capability_world",
    "REACH_LEVELS",
    "REACH_PROVIDERS",
    "REACH_ROUTES",
]

CAPABILITIES = (
    "learn the identity",
    "check an ACL",
    "open a local resource",
    "reach another machine",
    "let the next server go on",
)
#: What each column runs, in words (the matrix's footnotes): nothing is asked that the column does not say.
CAPABILITY_NOTES = {
    "learn the identity": "OpenThreadToken on the impersonation token",
    "check an ACL": "AccessCheck of a file on the server's machine",
    "open a local resource": "open a file on the server's machine while impersonating",
    "reach another machine": "open a share on a third machine while impersonating",
    "let the next server go on": "call a server on another machine asking the SAME level (Kerberos, mutual "
    "authentication; every server trusted for delegation); that server "
    "impersonates and opens a share on yet another machine",
}
PLACEMENTS = {
    "local": "server on the client's machine (ncalrpc)",
    "remote": "server on another machine (Kerberos, mutual auth)",
}
#: Row key -> (api family, requested level)
ROWS = {
    "anonymous": ("rpc", "anonymous"),
    "identify": ("rpc", "identify"),
    "impersonate": ("rpc", "impersonate"),
    "delegate": ("rpc", "delegate"),
    "default (RPC)": ("rpc", "default"),
    "default (COM)": ("com", "default"),
}


@dataclass(frozen=True)
class Cell:
    """One cell of the matrix: can a server granted ``row`` do ``capability``, and the decision that says so."""

    row: str
    capability: str
    placement: str
    allowed: bool
    decision: Decision
    asked: str = ""  # the level the client asked for ("default" for the API's default)
    received: str = ""  # the level of the token the server received ("" when the call was refused)

    @property
    def raised(self) -> bool:
        """The server received a higher level than asked: Anonymous arrives as Identify off ncalrpc (R7, A2)."""
        order = ("anonymous", "identify", "impersonate", "delegate")
        return (
            self.asked in order
            and self.received.lower() in order
            and order.index(self.received.lower()) > order.index(self.asked)
        )

    @property
    def symbol(self) -> str:
        return "yes" if self.allowed else "no"


@lru_cache(maxsize=1)
def capability_world() -> World:
    """The small world the capability checks run in (WS1, SRV1, SRV2, FILES; alice and three servers)."""
    w = World("CORP", name="capabilities")
    for m in ("WS1", "SRV1", "SRV2", "FILES"):
        w.machine(m)
    w.account("alice")
    for name in ("svc_local", "svc_1", "svc_2"):
        w.account(name, trusted_for_delegation=True)
    w.process("client", on="WS1", runs_as="alice")
    w.process("local", on="WS1", runs_as="svc_local")
    w.process("remote", on="SRV1", runs_as="svc_1")
    w.process("next", on="SRV2", runs_as="svc_2")
    w.resource("file@WS1", on="WS1", allow={"alice": "read"})
    w.resource("file@SRV1", on="SRV1", allow={"alice": "read"})
    w.resource("share@FILES", on="FILES", kind="share", allow={"alice": "read"})
    return w


def _binding(placement: str, api: str, level: str, provider: str = "kerberos", mutual_auth: bool = True) -> Binding:
    if placement == "local":
        return Binding.of(protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default", level=level, api=api)
    return Binding.of(provider=provider, level=level, mutual_auth=mutual_auth, api=api)


def capability(row: str, what: str, placement: str = "remote") -> Cell:
    """Run one capability for one row of :data:`ROWS` and one placement."""
    if row not in ROWS:
        raise InvalidValueError("row", row, list(ROWS))
    api, level = ROWS[row]
    return run_capability(what, api=api, level=level, placement=placement, row=row)


@lru_cache(maxsize=2048)
def run_capability(
    what: str,
    *,
    api: str = "rpc",
    level: str = "impersonate",
    placement: str = "remote",
    provider: str = "kerberos",
    mutual_auth: bool = True,
    row: str = "",
) -> Cell:
    """Can a server granted ``level`` (through ``api``, placed as ``placement``) do ``what``? Asks the engine."""
    if what not in CAPABILITIES:
        raise InvalidValueError("capability", what, CAPABILITIES)
    if placement not in PLACEMENTS:
        raise InvalidValueError("placement", placement, list(PLACEMENTS))
    row = row or f"{api} {level}"
    world = capability_world()
    engine = Engine(world)
    server = "local" if placement == "local" else "remote"
    served = engine.thread("client").call(server, _binding(placement, api, level, provider, mutual_auth))
    context = served.decision.context
    received = "" if context is None or context.level is None else context.level.label

    def cell(allowed: bool, decision: Decision) -> Cell:
        return Cell(row, what, placement, allowed, decision, level, received)

    if not served.ok:
        return cell(False, served.decision)
    thread = served.require_thread()
    imp = thread.rpc_impersonate_client()
    if not imp.ok:
        return cell(False, imp)
    local_file = "file@WS1" if placement == "local" else "file@SRV1"
    d: Decision
    if what == "learn the identity":
        d = thread.open_thread_token(open_as_self=True)
        return cell(d.ok, d)
    if what == "check an ACL":
        d = thread.access_check(local_file)
        return cell(d.ok, d)
    if what == "open a local resource":
        d = thread.open(local_file)
        return cell(d.ok, d)
    if what == "reach another machine":
        reached = thread.open("share@FILES")
        return cell(reached.ok and reached.identity == "CORP\\alice", reached)
    # the onward call asks for the level under test, never silently for more (CAPABILITY_NOTES)
    onward = thread.call("next", Binding.of(provider="kerberos", level=level, mutual_auth=True, api=api))
    if not onward.ok:
        return cell(False, onward.decision)
    nxt = onward.require_thread()
    nxt.rpc_impersonate_client()
    reached = nxt.open("share@FILES")
    return cell(reached.ok and reached.identity == "CORP\\alice", reached)


@lru_cache(maxsize=4)
def capability_matrix(placement: str = "remote") -> dict[tuple[str, str], Cell]:
    """Every row x capability cell for one placement."""
    return {(row, what): capability(row, what, placement) for row in ROWS for what in CAPABILITIES}


REACH_LEVELS = ("identify", "impersonate", "delegate")
REACH_PROVIDERS = ("ntlm", "kerberos")
REACH_ROUTES = {
    "remote": "client calls a remote server first",
    "ncalrpc first": "client calls a local server over ncalrpc first",
}


@lru_cache(maxsize=1)
def _reach_world() -> World:
    w = World("CORP", name="reach")
    for m in ("WS1", "R1", "R2", "R3"):
        w.machine(m)
    w.account("alice")
    w.account("svc_l", trusted_for_delegation=True)
    w.process("client", on="WS1", runs_as="alice")
    w.process("local", on="WS1", runs_as="svc_l")
    for i in (1, 2, 3):
        w.account(f"svc_r{i}", trusted_for_delegation=True)
        w.process(f"r{i}", on=f"R{i}", runs_as=f"svc_r{i}")
    return w


def identity_reach(level: str, provider: str, route: str = "remote"):
    """How many machine boundaries the client's identity crosses, usable, in client -> ... -> R1 -> R2 -> R3.

    A boundary counts when the server beyond it acts as the client at Impersonate or above.

    Every hop uses ``level`` and ``provider`` (mutual authentication on; every server trusted for
    delegation); with ``route='ncalrpc first'`` the client first calls a server on its own machine
    over ncalrpc. Returns (boundaries crossed, ChainResult).

    >>> identity_reach("impersonate", "kerberos", "ncalrpc first")[0]
    1
    >>> identity_reach("delegate", "kerberos")[0]
    3
    """
    from .chain import Chain, Hop, evaluate

    if level not in REACH_LEVELS:
        raise InvalidValueError("level", level, REACH_LEVELS)
    if provider not in REACH_PROVIDERS:
        raise InvalidValueError("provider", provider, REACH_PROVIDERS)
    if route not in REACH_ROUTES:
        raise InvalidValueError("route", route, list(REACH_ROUTES))
    remote = Binding.of(provider=provider, level=level, mutual_auth=True)
    hops = [Hop(f"r{i}", remote) for i in (1, 2, 3)]
    if route == "ncalrpc first":
        hops.insert(0, Hop("local", Binding.of(protseq="ncalrpc", provider="ntlm", level=level)))
    result = evaluate(_reach_world(), Chain("client", tuple(hops), name=f"{route}: {provider} {level}"))
    crossed = sum(
        1
        for h in result.hops
        if h.reached
        and h.call.remote
        and h.acting_as == result.client_identity
        and h.thread_level is not None
        and h.thread_level >= TokenLevel.IMPERSONATION
    )
    return crossed, result
