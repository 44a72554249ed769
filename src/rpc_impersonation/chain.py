"""Chains of calls: client -> server -> server -> ..., evaluated hop by hop with the thread API.

Each server in the chain impersonates its caller (unless told not to), opens its resources,
calls the next server, then reverts. The result says, at every hop, who the server saw, the
token it held, whether that token could reach the network, and what every access returned.

Taught in notebooks/04_delegation.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .binding import Binding
from .constants import Right, TokenLevel, parse
from .decisions import AccessDecision, CallDecision, Decision, ImpersonationResult
from .engine import Engine, Options, ServerThread
from .errors import InvalidValueError
from .world import ANONYMOUS_LOGON, World

__all__ = ["Access", "Hop", "Chain", "HopResult", "ChainResult", "evaluate"]


@dataclass(frozen=True)
class Access:
    """A resource a server opens while serving its call."""

    resource: str
    right: Right = Right.READ

    @classmethod
    def of(cls, resource: str, right: object = "read") -> Access:
        return cls(resource, parse(Right, right, "right"))


@dataclass(frozen=True)
class Hop:
    """One call in a chain and what the called server does.

    ``impersonate``: the server calls RpcImpersonateClient; ``check_result``: it stops when that
    fails (False reproduces the unchecked-return bug); ``revert``: it calls RpcRevertToSelf at the
    end (False reproduces the forgotten revert); ``access``: resources it opens;
    ``bound_before_impersonating``: the *caller* set up this hop's binding before it impersonated,
    so with static identity tracking the call carries the caller's own identity (R31).
    """

    server: str
    binding: Binding = field(default_factory=Binding)
    impersonate: bool = True
    check_result: bool = True
    revert: bool = True
    access: tuple[Access, ...] = ()
    bound_before_impersonating: bool = False


@dataclass(frozen=True)
class Chain:
    """A client process and the hops its request travels."""

    client: str
    hops: tuple[Hop, ...]
    name: str = "chain"

    def __post_init__(self) -> None:
        if not self.hops:
            raise InvalidValueError("hops", [], "at least one hop", what="empty")

    @property
    def path(self) -> str:
        return " -> ".join([self.client, *(h.server for h in self.hops)])


@dataclass(frozen=True)
class HopResult:
    """Everything the engine decided at one hop (R40)."""

    index: int
    hop: Hop
    call: CallDecision
    impersonation: ImpersonationResult | None = None
    accesses: tuple[AccessDecision, ...] = ()
    end: Decision | None = None
    acting_as: str = ""
    thread_level: TokenLevel | None = None
    network_credentials: bool = False
    refused_request: bool = False

    @property
    def reached(self) -> bool:
        """The server ran (its call was accepted)."""
        return self.call.ok

    @property
    def identity_seen(self) -> str:
        return self.call.identity_seen

    def decisions(self) -> tuple[Decision, ...]:
        out: list[Decision] = [self.call]
        if self.impersonation is not None:
            out.append(self.impersonation)
        out.extend(self.accesses)
        if self.end is not None:
            out.append(self.end)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hop": self.index,
            "server": self.hop.server,
            "binding": self.hop.binding.describe(),
            "call": self.call.to_dict(),
            "impersonation": None if self.impersonation is None else self.impersonation.to_dict(),
            "accesses": [a.to_dict() for a in self.accesses],
            "end_of_call": None if self.end is None else self.end.to_dict(),
            "acting_as": self.acting_as,
            "thread_level": None if self.thread_level is None else self.thread_level.label,
            "network_credentials": self.network_credentials,
            "refused_request": self.refused_request,
        }


@dataclass(frozen=True)
class ChainResult:
    """The hop results, the final outcome and the hop that decided it."""

    chain: Chain
    client_identity: str
    hops: tuple[HopResult, ...]
    outcome: Decision
    deciding_hop: int

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def reached_as(self, server: str) -> str | None:
        """The identity ``server`` acted with, or None if the chain never got there."""
        for h in self.hops:
            if h.hop.server.lower() == server.lower() and h.reached and not h.refused_request:
                return h.acting_as
        return None

    def story(self, outcome_first: bool = False) -> str:
        """The hop-by-hop explanation printed by ``explain``; ``outcome_first`` puts the outcome and its
        headline before the hops (what the widgets show: the conclusion first, the evidence below)."""
        head = [
            f"Chain {self.chain.name!r}: {self.chain.path}",
            f"  {self.chain.client} runs as {self.client_identity}.",
        ]
        hops = []
        for h in self.hops:
            c = h.call
            hops.append(
                f"hop {h.index}: {c.caller} ({c.caller_machine}) -> {c.server} ({c.server_machine}) over "
                f"{h.hop.binding.describe()}"
            )
            for d in h.decisions():
                hops.extend("  " + line for line in d.explain().splitlines())
            if h.reached and not h.refused_request:
                creds = "yes" if h.network_credentials else "no"
                level = "primary token" if h.thread_level is None else f"{h.thread_level.label} level"
                hops.append(f"  => {c.server} acted as {h.acting_as} ({level}; can reach other machines: {creds})")
        outcome = [
            f"outcome (decided at hop {self.deciding_hop}): {self.outcome.code_name} [{', '.join(self.outcome.rules)}]",
            *(f"  {line}" for line in self.explanation_lines()),
        ]
        return "\n".join(outcome + head + hops if outcome_first else head + hops + outcome)

    @property
    def headline(self) -> str:
        """The most specific cause of the outcome, with its rule id (what every view shows first)."""
        return self.outcome.headline

    def explanation_lines(self) -> list[str]:
        """The headline, its generic consequence (such as R20's refusal), then what happened at the end."""
        lines = [self.headline, *(f"so: {r.sentence} ({r.rule})" for r in self.outcome.consequences)]
        if self.outcome.sentence != self.outcome.cause.sentence:
            lines.append(self.outcome.sentence)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain.name,
            "path": self.chain.path,
            "client_identity": self.client_identity,
            "hops": [h.to_dict() for h in self.hops],
            "deciding_hop": self.deciding_hop,
            "outcome": self.outcome.to_dict(),
        }

    def __repr__(self) -> str:
        return f"<ChainResult {self.chain.name!r}: {self.outcome.code_name} at hop {self.deciding_hop}>"


def _is_setback(decision: Decision, client: str, acting_as: str | None = None) -> bool:
    if not decision.ok:
        return True
    return acting_as is not None and acting_as != client


def evaluate(world: World, chain: Chain, options: Options | None = None) -> ChainResult:
    """Run ``chain`` in ``world`` and return the hop-by-hop result.

    Taught in notebooks/04_delegation.ipynb.
    """
    engine = Engine(world, options)
    thread = engine.thread(chain.client)
    client_identity = thread.process.account.qualified
    results: list[HopResult] = []
    served_threads: list[tuple[int, Hop, ServerThread]] = []
    final: Decision | None = None
    deciding: tuple[int, Decision] | None = None

    early = None
    low_at: tuple[int, Decision] | None = None  # the first hop whose server got a token below Impersonate
    for index, hop in enumerate(chain.hops, start=1):
        served = thread.call(early, None) if early is not None else thread.call(hop.server, hop.binding)
        early = None
        if not served.ok or served.thread is None:
            results.append(HopResult(index, hop, served.decision))
            final, deciding = served.decision, deciding or (index, served.decision)
            break
        server = served.thread
        served_threads.append((len(results), hop, server))
        following = chain.hops[index] if index < len(chain.hops) else None
        if following is not None and following.bound_before_impersonating:
            early = server.bind(following.server, following.binding)  # identity captured now (R31)
        imp = server.rpc_impersonate_client() if hop.impersonate else None
        refused = imp is not None and not imp.ok and hop.check_result
        # a token below Impersonate decides where it is first used (R15), not where it was taken (R10)
        low = imp is not None and imp.ok and imp.level is not None and imp.level < TokenLevel.IMPERSONATION
        if imp is not None and deciding is None and not imp.ok:
            deciding = (index, imp)
        if deciding is None and not low and served.decision.identity_seen != client_identity:
            deciding = (index, served.decision)
        accesses: list[AccessDecision] = []
        if not refused:
            for access in hop.access:
                result = server.open(access.resource, access.right)
                accesses.append(result)
                if deciding is None and not result.ok:
                    deciding = (index, result)
        if low and low_at is None:
            low_at = (index, served.decision)
        token = server.effective_token
        results.append(
            HopResult(
                index,
                hop,
                served.decision,
                imp,
                tuple(accesses),
                None,
                server.acting_as if not refused else "",
                token.level,
                token.network_credentials if not refused else False,
                refused,
            )
        )
        final = accesses[-1] if accesses else (imp if refused else served.decision)
        if refused and imp is not None:
            deciding = deciding or (index, imp)
            break
        thread = server

    _unwind(served_threads, results)
    assert final is not None
    at, decider = deciding or low_at or (len(results), final)
    outcome = Decision(
        action="chain",
        code=final.code,
        rules=decider.rules,
        sentence=_summary(chain, results, final, decider, at, client_identity),
        reasons=tuple(decider.reasons),
        rpc_api=isinstance(final, (CallDecision, ImpersonationResult)),
    )
    return ChainResult(chain, client_identity, tuple(results), outcome, at)


def _unwind(served_threads: list[tuple[int, Hop, ServerThread]], results: list[HopResult]) -> None:
    """Each server reverts (or forgets to) and returns, innermost first (R13, R14)."""
    for position, hop, server in reversed(served_threads):
        if hop.revert and server.impersonating:
            server.rpc_revert_to_self()
        results[position] = replace(results[position], end=server.end_call())


def _summary(chain: Chain, results: list[HopResult], final: Decision, decider: Decision, at: int, client: str) -> str:
    last = results[-1]
    if not last.call.ok:
        return f"The call to {last.hop.server} (hop {last.index}) failed, so nothing ran on {last.hop.server}."
    if last.refused_request:
        return f"{last.hop.server} refused the request because its impersonation failed."
    who = last.acting_as
    if last.thread_level is TokenLevel.ANONYMOUS:
        where = f"{last.hop.server} held an anonymous-level token, which names nobody"
    elif who == client:
        where = f"{last.hop.server} acted as {client}"
    elif who == ANONYMOUS_LOGON:
        where = f"{last.hop.server} saw ANONYMOUS LOGON instead of {client}"
    else:
        where = f"{last.hop.server} acted as {who}, not as {client}"
    tail = "" if isinstance(final, CallDecision) or final.sentence == final.cause.sentence else f"; {final.sentence}"
    return f"{where}{tail}".rstrip(".") + ("." if decider is final else f" (decided at hop {at}).")
