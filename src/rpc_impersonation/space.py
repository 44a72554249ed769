"""The enumerable configuration space of 1- to 3-hop chains, for exhaustive checks and benchmarks.

Every hop chooses a route (ncalrpc to a server on the same machine, ncacn_ip_tcp on the same
machine, ncacn_ip_tcp to a new machine), a provider (NTLM, Kerberos; ncalrpc only NTLM, R30),
a requested level (anonymous, identify, impersonate, delegate), mutual authentication (Kerberos
only: NTLM ignores it, A6) and whether the called server's account is trusted for delegation.
Every chain also chooses whether the client's account is sensitive and whether the client
ignores delegation failure. Each hop's server impersonates, opens a file on its own machine and
calls the next hop.

Two larger flavours go beyond the seeds (issue 7):

* ``"delegation"``: the server's account may also be constrained to M2 (``k``), constrained with
  protocol transition (``p``) or listed by M2's accounts for resource-based delegation (``r``),
  and TCP hops may use Negotiate with the server named by name or by IP address (R22, R24);
* ``"com"``: every hop is a COM call whose proxy cloaking is none, static or dynamic, at any
  level including the machine default (R6, R32); servers use CoImpersonateClient.

>>> space = ChainSpace(hops=2)
>>> space.size
12544
>>> ChainSpace(hops=2, flavour="delegation").size, ChainSpace(hops=2, flavour="com").size
(360000, 176400)
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .binding import Binding
from .chain import Access, Chain, Hop
from .constants import Cloaking, ImpLevel, Protseq, Provider
from .errors import InvalidValueError
from .world import World

__all__ = [
    "HopOption",
    "ChainConfig",
    "ChainSpace",
    "HOP_OPTIONS",
    "FLAVOURS",
    "KINDS",
    "CONSTRAINED_TO",
    "HopRecord",
    "walk",
    "check_all",
]

ROUTES = ("ncalrpc", "tcp-local", "tcp-remote")
LEVELS = (ImpLevel.ANONYMOUS, ImpLevel.IDENTIFY, ImpLevel.IMPERSONATE, ImpLevel.DELEGATE)
FLAVOURS = ("core", "delegation", "com")
KINDS = {"u": "untrusted", "t": "trusted", "k": "kcd-to-M2", "p": "kcd-to-M2+protocol-transition", "r": "listed-by-M2"}
CONSTRAINED_TO = "M2"  # the machine constrained (k, p) and resource-based (r) delegation reach


@dataclass(frozen=True)
class HopOption:
    """One hop's choices. ``kind`` is the called server's delegation setting (see :data:`KINDS`)."""

    route: str
    provider: Provider
    level: ImpLevel
    mutual: bool
    kind: str = "u"
    by_ip: bool = False  # the client names the server by IP address (Negotiate falls back to NTLM, R22)
    cloaking: Cloaking | None = None  # a COM call through a proxy with this cloaking; None: plain RPC

    @property
    def remote(self) -> bool:
        return self.route == "tcp-remote"

    @property
    def trusted(self) -> bool:
        return self.kind == "t"

    @property
    def constrained(self) -> bool:
        """Constrained (k, p) or resource-based (r) delegation towards :data:`CONSTRAINED_TO`."""
        return self.kind in ("k", "p", "r")

    @property
    def protseq(self) -> Protseq:
        return Protseq.NCALRPC if self.route == "ncalrpc" else Protseq.NCACN_IP_TCP

    @property
    def kerberos(self) -> bool:
        """Kerberos runs: asked for directly, or through Negotiate with the server named by name (R22)."""
        return self.provider is Provider.KERBEROS or (self.provider is Provider.NEGOTIATE and not self.by_ip)

    @property
    def mutual_auth(self) -> bool:
        """Mutual authentication in force: asked for, or implied by COM over Kerberos (A5)."""
        return self.mutual or (self.cloaking is not None and self.kerberos)

    @property
    def delegate_qualified(self) -> bool:
        """Delegate, over Kerberos, with mutual authentication, to a server trusted for delegation."""
        return self.level is ImpLevel.DELEGATE and self.kerberos and self.mutual_auth and self.trusted

    def binding(self, ignore_failure: bool) -> Binding:
        com = self.cloaking is not None
        return Binding.of(
            protseq=self.protseq,
            provider=self.provider,
            level=self.level,
            mutual_auth=self.mutual,
            ignore_delegation_failure=ignore_failure,
            target_name="ip" if self.by_ip else "name",
            api="com" if com else "rpc",
            cloaking=self.cloaking if com else "default",
        )

    def describe(self) -> str:
        bits = [self.route, self.provider.label + (" by IP" if self.by_ip else ""), self.level.key]
        if self.cloaking is not None:
            bits.insert(0, f"COM {self.cloaking.value} cloaking")
        if self.mutual:
            bits.append("mutual")
        bits.append(KINDS[self.kind])
        return "/".join(bits)


def _hop_options(flavour: str = "core") -> tuple[HopOption, ...]:
    kinds = {"core": "ut", "delegation": "utkpr", "com": "ut"}[flavour]
    levels = (ImpLevel.DEFAULT, *LEVELS) if flavour == "com" else LEVELS
    cloakings = (Cloaking.NONE, Cloaking.STATIC, Cloaking.DYNAMIC) if flavour == "com" else (None,)
    out = []
    for route in ROUTES:
        providers = [(Provider.NTLM, False)]
        if route != "ncalrpc":
            providers.append((Provider.KERBEROS, False))
            if flavour == "delegation":
                providers += [(Provider.NEGOTIATE, False), (Provider.NEGOTIATE, True)]
        for (provider, by_ip), level, cloaking in itertools.product(providers, levels, cloakings):
            for mutual in (False, True) if provider is not Provider.NTLM else (False,):
                for kind in kinds:
                    out.append(HopOption(route, provider, level, mutual, kind, by_ip, cloaking))
    return tuple(out)


HOP_OPTIONS = _hop_options()
_OPTIONS = {flavour: _hop_options(flavour) for flavour in FLAVOURS}


@dataclass(frozen=True)
class ChainConfig:
    hops: tuple[HopOption, ...]
    sensitive_client: bool
    ignore_failure: bool

    def describe(self) -> str:
        head = f"client {'sensitive' if self.sensitive_client else 'delegable'}" + (
            ", ignore delegation failure" if self.ignore_failure else ""
        )
        return head + ": " + " -> ".join(h.describe() for h in self.hops)


class ChainSpace:
    """All chains of ``hops`` hops in one ``flavour`` (see :data:`FLAVOURS`); one world serves every chain."""

    def __init__(self, hops: int, flavour: str = "core") -> None:
        if hops not in (1, 2, 3):
            raise InvalidValueError("hops", hops, [1, 2, 3])
        if flavour not in FLAVOURS:
            raise InvalidValueError("flavour", flavour, list(FLAVOURS))
        self.hops = hops
        self.flavour = flavour
        self.options = _OPTIONS[flavour]
        self.kinds = sorted({o.kind for o in self.options}, key="utkpr".index)
        self.world = self._world()

    @property
    def size(self) -> int:
        return int(len(self.options) ** self.hops * 4)

    @property
    def engine_options(self):
        from .engine import Options

        return Options(kerberos_delegation=self.flavour == "delegation")

    def _world(self) -> World:
        w = World("CORP", name=f"{self.hops}-hop {self.flavour} space")
        machines = [f"M{i}" for i in range(max(self.hops, 2) + 1)]
        servers = [
            (self.server_name(k, m, kind), m, kind)
            for k in range(1, self.hops + 1)
            for m in machines[: k + 1]
            for kind in self.kinds
        ]
        rbcd = [f"svc_{name}" for name, _, kind in servers if kind == "r"]
        for m in machines:
            w.machine(m, allowed_to_act_for=rbcd if m == CONSTRAINED_TO else ())
        w.account("alice")
        w.account("carol", sensitive=True)
        w.process("client_alice", on="M0", runs_as="alice")
        w.process("client_carol", on="M0", runs_as="carol")
        for m in machines:
            w.resource(f"file@{m}", on=m, allow={"alice": "read", "carol": "read"})
        settings: dict[str, dict[str, Any]] = {
            "u": {},
            "t": {"trusted_for_delegation": True},
            "k": {"delegate_to": [CONSTRAINED_TO]},
            "p": {"delegate_to": [CONSTRAINED_TO], "trusted_to_auth_for_delegation": True},
            "r": {},
        }
        for name, m, kind in servers:
            listed: dict[str, Any] = {"allowed_to_act_for": rbcd} if m == CONSTRAINED_TO else {}
            w.account(f"svc_{name}", **settings[kind], **listed)
            w.process(name, on=m, runs_as=f"svc_{name}")
        return w

    @staticmethod
    def server_name(hop: int, machine: str, kind: bool | str) -> str:
        """h<hop>_<machine>_<kind>, the kind being one of :data:`KINDS` (a bool means trusted or not)."""
        kind = kind if isinstance(kind, str) else ("t" if kind else "u")
        return f"h{hop}_{machine}_{kind}"

    def chain(self, config: ChainConfig) -> Chain:
        """The concrete chain (servers placed on machines) for a configuration."""
        machine, fresh = 0, 0
        hops = []
        for k, opt in enumerate(config.hops, start=1):
            if opt.remote:
                fresh += 1
                machine = fresh
            else:
                fresh = max(fresh, machine)
            m = f"M{machine}"
            hops.append(
                Hop(
                    self.server_name(k, m, opt.kind),
                    opt.binding(config.ignore_failure),
                    access=(Access.of(f"file@{m}"),),
                )
            )
        client = "client_carol" if config.sensitive_client else "client_alice"
        return Chain(client, tuple(hops), name=config.describe())

    def configs(self) -> Iterator[ChainConfig]:
        for sensitive, ignore in itertools.product((False, True), repeat=2):
            for hops in itertools.product(self.options, repeat=self.hops):
                yield ChainConfig(hops, sensitive, ignore)


@dataclass(frozen=True, slots=True)
class HopRecord:
    """What one hop did, as the exhaustive checks need it."""

    option: HopOption
    caller_machine: str
    server_machine: str
    server_account: str
    call: object
    impersonation: object | None
    access: object | None
    acting_as: str
    level: object
    network_credentials: bool
    stopped: bool


class _Hops:
    """Runs the hops of a space, each distinct hop situation once.

    A hop is a call from a thread (the client's, or the previous hop's server thread, still
    impersonating) to a server, whose thread then impersonates (CoImpersonateClient for COM) and
    opens the file on its own machine. A situation is the calling process, the token its thread
    acts with, the server and the binding; the server thread is kept, impersonating, to call on.
    """

    def __init__(self, space: ChainSpace, engine) -> None:
        from .engine import Engine

        # the hops are remembered here, so the engine need not remember calls as well
        self.engine = engine or Engine(space.world, space.engine_options, remember=False)
        self.bindings = {
            (i, ignore): opt.binding(ignore) for i, opt in enumerate(space.options) for ignore in (False, True)
        }
        self.servers = {
            (k, m, kind): space.server_name(k, f"M{m}", kind)
            for k in range(1, space.hops + 1)
            for m in range(k + 1)
            for kind in space.kinds
        }
        self.files = {m: f"file@M{m}" for m in range(space.hops + 1)}
        self.options = space.options
        self.memo: dict = {}  # one hop situation -> (record, server thread or None)
        self.rows: dict = {}  # one calling situation -> its row (see row)
        self.last = space.hops

    def forget(self) -> None:
        """Drop every remembered hop, and the engine's hold on the threads they kept (a pure cache)."""
        for _, thread in self.memo.values():
            if thread is not None and thread.call_handle is not None:
                self.engine.active.pop(thread.call_handle.number, None)
        self.memo.clear()
        self.rows.clear()

    def row(self, caller, k: int, machine: int, fresh: int, ignore: bool) -> tuple:
        """Every option's hop from ``caller`` at hop ``k``, in option order, each as (record, server thread
        or None, server's machine number, highest machine number so far, whether the chain stops there).

        A row depends only on the calling process, its token, ``k``, the machines and ``ignore``; a walk
        meets the same few hundred rows thousands of times, so each is built once.
        """
        key = (k, caller.process.name, caller.effective_token, machine, fresh, ignore)
        found = self.rows.get(key)
        if found is None:
            found = self.rows[key] = self._row(caller, k, machine, fresh, ignore)
        return found

    def _row(self, caller, k: int, machine: int, fresh: int, ignore: bool) -> tuple:
        name, token, last = caller.process.name, caller.effective_token, k == self.last
        memo, servers, out = self.memo, self.servers, []
        for i, opt in enumerate(self.options):
            m = fresh + 1 if opt.remote else machine
            server = servers[k, m, opt.kind]
            key = (name, token, server, i, ignore)
            found = memo.get(key)
            if found is None:
                found = memo[key] = self._hop(caller, server, self.bindings[i, ignore], self.files[m], opt, last)
            record, thread = found
            out.append((record, thread, m, max(fresh, m), last or record.stopped))
        return tuple(out)

    @staticmethod
    def _hop(caller, server: str, binding: Binding, resource: str, option: HopOption, last: bool = False):
        served = caller.call(server, binding)
        d = served.decision
        facts = (option, caller.process.machine, d.server_machine, d.server_account, d)
        thread = served.thread
        if thread is None:
            return HopRecord(*facts, None, None, "", None, False, True), None
        imp = thread.co_impersonate_client() if option.cloaking is not None else thread.rpc_impersonate_client()
        if not imp.ok:
            thread.end_call()
            return HopRecord(*facts, imp, None, thread.acting_as, None, False, True), None
        access = thread.open(resource)
        token = thread.effective_token
        record = HopRecord(*facts, imp, access, thread.acting_as, token.level, token.network_credentials, False)
        if last:  # nothing calls on from the last hop: keeping its thread would only hold memory
            thread.end_call()
            return record, None
        return record, thread


@contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """Switch the cyclic garbage collector off for a walk.

    A walk keeps hundreds of thousands of threads and decisions alive in its memo; every automatic
    collection would traverse all of them again (about a third of a large walk's time). The walk
    creates no garbage that needs the collector, and it is switched back on afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _roots(space: ChainSpace, engine):
    """(client process, sensitive, ignore, client thread) for the four chain-wide choices."""
    for sensitive in (False, True):
        client = space.world.get_process("client_carol" if sensitive else "client_alice")
        for ignore in (False, True):
            yield client, sensitive, ignore, engine.thread(client.name)


def walk(space: ChainSpace, visit, engine=None) -> int:
    """Evaluate every configuration of ``space`` depth-first, sharing prefixes; returns the count.

    ``visit(client, sensitive, ignore, records, weight)`` is called once per distinct evaluated
    path; ``weight`` is how many configurations share it (a chain that stops early stands for
    every choice of the hops it never reached). Identical hop situations are evaluated once.
    """
    hops = _Hops(space, engine)
    weights = {k: len(space.options) ** (space.hops - k) for k in range(1, space.hops + 1)}
    row = hops.row
    total = 0

    def step(k, caller, machine, fresh, ignore, path, client, sensitive):
        nonlocal total
        weight = weights[k]
        for record, nxt, m, highest, stops in row(caller, k, machine, fresh, ignore):
            if stops:
                visit(client, sensitive, ignore, path + (record,), weight)
                total += weight
            else:
                step(k + 1, nxt, m, highest, ignore, path + (record,), client, sensitive)

    with _without_gc_pauses():
        for client, sensitive, ignore, thread in _roots(space, hops.engine):
            hops.forget()  # the four roots share (almost) no hop situation: keep one root's memo at a time
            step(1, thread, 0, 0, ignore, (), client, sensitive)
    hops.forget()
    return total


def check_all(space: ChainSpace, check: Callable[[Hashable, HopRecord], Hashable], engine=None) -> int:
    """Check every configuration of ``space`` hop by hop; returns how many configurations were covered.

    ``check(state, record)`` checks one hop (asserting what must hold) given ``state``, a hashable
    summary of everything before it, and returns the summary for the next hop; the first hop gets
    ``(client account, sensitive, ignore)``; the second item must stay the sensitive flag (a failed
    check is reported with the configuration that reached it). A check sees only the summary and the hop, so a node
    (hop number, calling process and its token, machines, summary) reached by many configurations
    is checked once and stands for all of them. This makes the spaces of 37 and 108 million 3-hop
    configurations checkable in seconds; the returned count equals ``space.size`` exactly when every
    configuration was reached.
    """
    hops = _Hops(space, engine)
    n = len(space.options)
    seen: dict = {}

    def node(k, caller, machine, fresh, ignore, state, path) -> int:
        key = (k, caller.process.name, caller.effective_token, machine, fresh, ignore, state)
        covered = seen.get(key)
        if covered is None:
            covered = 0
            for record, nxt, m, highest, stops in hops.row(caller, k, machine, fresh, ignore):
                try:
                    after = check(state, record)
                except AssertionError as failure:
                    config = ChainConfig((*path, record.option), state[1], ignore)
                    raise AssertionError(f"{failure}\nat hop {k} of {config.describe()}") from failure
                if stops:
                    covered += n ** (space.hops - k)
                else:
                    covered += node(k + 1, nxt, m, highest, ignore, after, (*path, record.option))
            seen[key] = covered
        return covered

    with _without_gc_pauses():
        covered = 0
        for client, sensitive, ignore, thread in _roots(space, hops.engine):
            # Nodes and hop situations of different roots never meet (the client and the ignore flag are in
            # every key), so one root's memo is all that needs to be in memory (the peak is a quarter).
            hops.forget()
            seen.clear()
            covered += node(1, thread, 0, 0, ignore, (client.account.qualified, sensitive, ignore), ())
        hops.forget()
        return covered
