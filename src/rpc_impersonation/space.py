"""The enumerable configuration space of 1- to 3-hop chains, for exhaustive checks and benchmarks.

Every hop chooses a route (ncalrpc to a server on the same machine, ncacn_ip_tcp on the same
machine, ncacn_ip_tcp to a new machine), a provider (NTLM, Kerberos; ncalrpc only NTLM, R30),
a requested level (anonymous, identify, impersonate, delegate), mutual authentication (Kerberos
only: NTLM ignores it, A6) and whether the called server's account is trusted for delegation.
Every chain also chooses whether the client's account is sensitive and whether the client
ignores delegation failure. Each hop's server impersonates, opens a file on its own machine and
calls the next hop.

>>> space = ChainSpace(hops=2)
>>> space.size
12544
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from .binding import Binding
from .chain import Access, Chain, Hop
from .constants import ImpLevel, Protseq, Provider
from .world import World

__all__ = ["HopOption", "ChainConfig", "ChainSpace", "HOP_OPTIONS", "HopRecord", "walk"]

ROUTES = ("ncalrpc", "tcp-local", "tcp-remote")
LEVELS = (ImpLevel.ANONYMOUS, ImpLevel.IDENTIFY, ImpLevel.IMPERSONATE, ImpLevel.DELEGATE)


@dataclass(frozen=True)
class HopOption:
    route: str
    provider: Provider
    level: ImpLevel
    mutual: bool
    trusted: bool
    kcd: bool = False  # Kerberos mode only: the server may delegate to M1 only (constrained delegation, R24)

    @property
    def remote(self) -> bool:
        return self.route == "tcp-remote"

    @property
    def protseq(self) -> Protseq:
        return Protseq.NCALRPC if self.route == "ncalrpc" else Protseq.NCACN_IP_TCP

    @property
    def delegate_qualified(self) -> bool:
        """Delegate, over Kerberos, with mutual authentication, to a server trusted for delegation."""
        return (self.level is ImpLevel.DELEGATE and self.provider is Provider.KERBEROS and self.mutual
                and self.trusted)

    def describe(self) -> str:
        bits = [self.route, self.provider.label, self.level.key]
        if self.mutual:
            bits.append("mutual")
        bits.append("trusted" if self.trusted else "kcd-to-M1" if self.kcd else "untrusted")
        return "/".join(bits)


def _hop_options(kerberos: bool = False) -> tuple[HopOption, ...]:
    out = []
    trust = ((False, False), (True, False), (False, True)) if kerberos else ((False, False), (True, False))
    for route in ROUTES:
        providers = (Provider.NTLM,) if route == "ncalrpc" else (Provider.NTLM, Provider.KERBEROS)
        for provider in providers:
            for level in LEVELS:
                for mutual in ((False, True) if provider is Provider.KERBEROS else (False,)):
                    for trusted, kcd in trust:
                        out.append(HopOption(route, provider, level, mutual, trusted, kcd))
    return tuple(out)


HOP_OPTIONS = _hop_options()
KERBEROS_HOP_OPTIONS = _hop_options(kerberos=True)


@dataclass(frozen=True)
class ChainConfig:
    hops: tuple[HopOption, ...]
    sensitive_client: bool
    ignore_failure: bool

    def describe(self) -> str:
        head = f"client {'sensitive' if self.sensitive_client else 'delegable'}" + (
            ", ignore delegation failure" if self.ignore_failure else "")
        return head + ": " + " -> ".join(h.describe() for h in self.hops)


class ChainSpace:
    """All chains of ``hops`` hops; one world serves every chain."""

    def __init__(self, hops: int, kerberos: bool = False) -> None:
        if hops not in (1, 2, 3):
            raise ValueError("hops must be 1, 2 or 3")
        self.hops = hops
        self.kerberos = kerberos
        self.options = KERBEROS_HOP_OPTIONS if kerberos else HOP_OPTIONS
        self.world = self._world()

    @property
    def size(self) -> int:
        return len(self.options) ** self.hops * 4

    def _world(self) -> World:
        w = World("CORP", name=f"{self.hops}-hop space")
        machines = [f"M{i}" for i in range(self.hops + 1)]
        for m in machines:
            w.machine(m)
        w.account("alice")
        w.account("carol", sensitive=True)
        w.process("client_alice", on="M0", runs_as="alice")
        w.process("client_carol", on="M0", runs_as="carol")
        for m in machines:
            w.resource(f"file@{m}", on=m, allow={"alice": "read", "carol": "read"})
        for k in range(1, self.hops + 1):
            for m in machines[: k + 1]:
                for trust in (("u", {}), ("t", {"trusted_for_delegation": True}), ("k", {"delegate_to": ["M1"]})):
                    if trust[0] == "k" and not self.kerberos:
                        continue
                    name = self.server_name(k, m, trust[0])
                    w.account(f"svc_{name}", **trust[1])
                    w.process(name, on=m, runs_as=f"svc_{name}")
        return w

    @staticmethod
    def server_name(hop: int, machine: str, trusted: bool | str) -> str:
        """h<hop>_<machine>_<t|u|k>: trusted for delegation, untrusted, or constrained to M1."""
        kind = trusted if isinstance(trusted, str) else ("t" if trusted else "u")
        return f"h{hop}_{machine}_{kind}"

    @staticmethod
    def trust_kind(opt: "HopOption") -> str:
        return "t" if opt.trusted else "k" if opt.kcd else "u"

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
            binding = Binding.of(protseq=opt.protseq, provider=opt.provider, level=opt.level, mutual_auth=opt.mutual,
                                 ignore_delegation_failure=config.ignore_failure)
            hops.append(Hop(self.server_name(k, m, self.trust_kind(opt)), binding, access=(Access.of(f"file@{m}"),)))
        client = "client_carol" if config.sensitive_client else "client_alice"
        return Chain(client, tuple(hops), name=config.describe())

    def configs(self) -> Iterator[ChainConfig]:
        for sensitive, ignore in itertools.product((False, True), repeat=2):
            for hops in itertools.product(self.options, repeat=self.hops):
                yield ChainConfig(hops, sensitive, ignore)


@dataclass(frozen=True)
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


def walk(space: ChainSpace, visit, engine=None) -> int:
    """Evaluate every configuration of ``space`` depth-first, sharing prefixes; returns the count.

    ``visit(client, sensitive, ignore, records, weight)`` is called once per distinct evaluated
    path; ``weight`` is how many configurations share it (a chain that stops early stands for
    every choice of the hops it never reached). Identical hop situations (same caller, token,
    server and binding) are evaluated once by the engine and reused.
    """
    from .engine import Engine

    from .engine import Options

    # the walk remembers whole hops itself, so the engine need not remember calls
    engine = engine or Engine(space.world, Options(kerberos_delegation=space.kerberos), remember=False)
    world = space.world
    n = len(space.options)
    bindings = {}
    for i, opt in enumerate(space.options):
        for ignore in (False, True):
            bindings[i, ignore] = Binding.of(protseq=opt.protseq, provider=opt.provider, level=opt.level,
                                             mutual_auth=opt.mutual, ignore_delegation_failure=ignore)
    memo: dict = {}
    total = 0
    kinds = ("u", "t", "k") if space.kerberos else ("u", "t")
    servers = {(k, m, t): space.server_name(k, f"M{m}", t)
               for k in range(1, space.hops + 1) for m in range(k + 1) for t in kinds}
    processes = {name: world.get_process(name) for name in servers.values()}
    files = {m: f"file@M{m}" for m in range(space.hops + 1)}
    plan = [(i, opt, opt.remote, space.trust_kind(opt)) for i, opt in enumerate(space.options)]

    def hop(caller, token, server_name, binding, resource, option):
        served = engine.connect(caller, token, server_name, binding)
        server = world.get_process(server_name)
        if not served.ok:
            return HopRecord(option, caller.machine, server.machine, server.account.qualified, served.decision,
                             None, None, "", None, False, True), None
        thread = served.thread
        imp = thread.rpc_impersonate_client()
        if not imp.ok:
            thread.end_call()
            return HopRecord(option, caller.machine, server.machine, server.account.qualified, served.decision, imp,
                             None, thread.acting_as, None, False, True), None
        access = thread.open(resource)
        nxt = thread.effective_token
        record = HopRecord(option, caller.machine, server.machine, server.account.qualified, served.decision, imp,
                           access, thread.acting_as, nxt.level, nxt.network_credentials, False)
        thread.rpc_revert_to_self()
        thread.end_call()
        return record, nxt

    def step(k, caller, machine, fresh, token, ignore, path, client, sensitive):
        nonlocal total
        last = k == space.hops
        weight = n ** (space.hops - k)
        caller_name = caller.name
        for i, opt, remote, trusted in plan:
            m = fresh + 1 if remote else machine
            server = servers[k, m, trusted]
            key = (caller_name, token, server, i, ignore)
            found = memo.get(key)
            if found is None:
                found = memo[key] = hop(caller, token, server, bindings[i, ignore], files[m], opt)
            record, nxt = found
            p2 = path + (record,)
            if last or record.stopped:
                visit(client, sensitive, ignore, p2, weight)
                total += weight
            else:
                step(k + 1, processes[server], m, fresh + 1 if remote else fresh, nxt, ignore, p2, client, sensitive)

    for sensitive in (False, True):
        client = world.get_process("client_carol" if sensitive else "client_alice")
        token = engine.thread(client.name).effective_token
        for ignore in (False, True):
            step(1, client, 0, 0, token, ignore, (), client, sensitive)
    return total
