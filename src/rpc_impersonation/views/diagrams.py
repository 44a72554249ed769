"""Diagrams as pure functions of the engine's decision objects.

``chain_diagram(result)`` draws a chain: machines as clusters, processes with the account they
run as and the identity they acted with, calls labelled with protocol sequence, provider and
requested level, resources with the access result, the deciding hop highlighted with its rule.
``thread_diagram(history, process_identity)`` draws one server thread's states and API results.

Taught in notebooks/04_delegation.ipynb and notebooks/01_security_context.ipynb.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ..chain import ChainResult
from ..constants import ResourceKind, TokenLevel
from ..decisions import AccessDecision, CallDecision, Decision, ImpersonationResult
from ..errors import InvalidValueError
from ..world import ANONYMOUS_LOGON
from .display import Diagram
from .graph import PALETTE, Graph, to_dot

__all__ = ["chain_graph", "chain_diagram", "chain_summary", "thread_graph", "thread_diagram", "LEGEND_ITEMS"]

_SHAPES = {
    ResourceKind.DATABASE: "cylinder",
    ResourceKind.SHARE: "folder",
    ResourceKind.FILE: "note",
    ResourceKind.REGISTRY_KEY: "component",
}


def _level(level: TokenLevel | None) -> str:
    return "primary token" if level is None else level.label


#: Every mark of the chain and thread diagrams, in words: shown once, collapsed, under each drawing. Colour
#: is never the only signal: each colour comes with a line style, a shape or a word.
LEGEND_ITEMS = (
    ("solid blue box", "the client, or a server acting as the client"),
    ("dotted pink box", "a server acting as ANONYMOUS LOGON (or holding an anonymous-level token)"),
    ("grey box", "a server acting as some other account (its own, for example)"),
    ("dashed grey box, 'never ran'", "a server whose call was refused: it never ran"),
    ("dashed box, 'refused the request'", "a server whose impersonation failed and that stopped"),
    ("solid green arrow", "the call carried the client's identity"),
    ("dashed red arrow", "refused or denied (the word says which)"),
    ("thick orange arrow, 'decided here'", "the hop that decided the outcome, with its rules"),
    ("note / folder / cylinder / component", "a file / share / database / registry key, with the access result"),
    ("rounded frame", "a machine, with its domain"),
)
LEGEND_HTML = (
    "<ul style='margin: 0.2em 0; font-size: 12px'>"
    + "".join(f"<li><b>{mark}</b>: {meaning}</li>" for mark, meaning in LEGEND_ITEMS)
    + "</ul>"
)
LEGEND = "legend\n" + "\n".join(f"{mark}: {meaning}" for mark, meaning in LEGEND_ITEMS) + "\n"
THREAD_LEGEND_HTML = (
    "<ul style='margin: 0.2em 0; font-size: 12px'>"
    + "".join(
        f"<li><b>{m}</b>: {t}</li>"
        for m, t in (
            ("box", "whose identity the thread acts with after the step"),
            ("blue box", "a thread token for the client; dotted pink: an anonymous-level token"),
            ("solid green arrow", "the API call succeeded (its return code and rules on the arrow)"),
            ("dashed red arrow", "the call failed; the thread keeps what it had"),
            ("double octagon, 'STILL IMPERSONATING'", "the handler returned without reverting (R14)"),
        )
    )
    + "</ul>"
)
#: Characters per line in node and edge labels: keeps every drawing within the 968 px output area.
WRAP = 36


def _wrap(*lines: str, width: int = WRAP) -> str:
    return "\n".join(part for line in lines for part in textwrap.wrap(line, width, break_on_hyphens=False) or [""])


def _legend(g: Graph) -> None:
    g.node(
        "legend",
        _wrap(*LEGEND.splitlines(), width=44),
        justify="left",
        shape="note",
        style="filled",
        fillcolor="#FFFFFF",
        color="#999999",
        fontsize="9",
    )


def chain_graph(result: ChainResult, world=None, legend: bool = False) -> Graph:
    """The graph of a chain result, top to bottom: each server below its caller, the resources it opened
    beside it. ``world`` (optional) supplies machine domains and resource kinds; ``legend`` draws the legend
    into the graph (for saved images; on a page it is a collapsed section under the drawing)."""
    if not isinstance(result, ChainResult):
        raise InvalidValueError("result", type(result).__name__, "a ChainResult from evaluate()", what="invalid")
    g = Graph(result.chain.name, title=f"{result.chain.path}:\n{result.outcome.code_name}", rankdir="TB")
    client_id = "p:0"

    def cluster(machine: str) -> str:
        if world is not None:
            dom = world.get_machine(machine).domain
            g.cluster_labels.setdefault(machine, f"{machine} ({dom or 'workgroup'})")
        return machine

    first = result.hops[0].call
    g.node(
        client_id,
        _wrap(first.caller, f"runs as {result.client_identity}"),
        cluster=cluster(first.caller_machine),
        fillcolor=PALETTE["fill_client"],
        color=PALETTE["client"],
        penwidth="2",
    )
    prev = client_id
    for h in result.hops:
        c = h.call
        nid = f"p:{h.index}"
        decisive = h.index == result.deciding_hop
        lines = [c.server, f"runs as {c.server_account}"]
        attrs = {"fillcolor": PALETTE["fill"], "color": PALETTE["neutral"]}
        if not c.ok:
            lines.append("never ran")
            attrs["style"] = "rounded,filled,dashed"
        elif h.refused_request and h.impersonation is not None:
            lines.append(f"refused the request: {h.impersonation.code.name}")
            attrs["style"] = "rounded,filled,dashed"
        else:
            lines.append(f"acts as {h.acting_as}")
            lines.append(f"{_level(h.thread_level)}; network: {'yes' if h.network_credentials else 'no'}")
            if h.acting_as == result.client_identity:
                attrs.update(fillcolor=PALETTE["fill_client"], color=PALETTE["client"], penwidth="2")
            elif h.acting_as == ANONYMOUS_LOGON or h.thread_level is TokenLevel.ANONYMOUS:
                attrs.update(
                    fillcolor=PALETTE["fill_anonymous"],
                    color=PALETTE["anonymous"],
                    style="rounded,filled,dotted",
                    penwidth="2",
                )
        if decisive:
            attrs["penwidth"] = "3"
        g.node(nid, _wrap(*lines), cluster=cluster(c.server_machine), **attrs)

        label, eattrs = _hop_edge(result, h)
        g.edge(prev, nid, _wrap(*label), **eattrs)

        opened = _resource_nodes(g, h, nid, world, cluster)
        if opened and all(a.machine.lower() == c.server_machine.lower() for a in h.accesses):
            g.same_rank.append((nid, *opened))
        prev = nid
    if legend:
        _legend(g)
    return g


def _hop_edge(result: ChainResult, h) -> tuple[list[str], dict[str, str]]:
    """The label lines and drawing attributes of the arrow into one hop's server."""
    c = h.call
    decisive = h.index == result.deciding_hop
    b = h.hop.binding
    label = [
        f"{h.index}. {b.protseq.value}, {(c.provider or b.provider).label}",
        f"asks {c.requested.key if c.requested else b.qos.level.key}" + (", mutual" if b.qos.mutual_auth else ""),
    ]
    if c.ok:
        seen = c.identity_seen
        level = c.context.level.label if c.context is not None else "no context"
        label.append(f"sees {seen} ({level})")
        color = (
            PALETTE["ok"]
            if seen == result.client_identity
            else PALETTE["anonymous"]
            if seen == ANONYMOUS_LOGON
            else PALETTE["neutral"]
        )
        eattrs = {"color": color}
    else:
        label.append(f"refused: {c.code.name}")
        eattrs = {"color": PALETTE["refused"], "style": "dashed"}
    if decisive:
        label.append(f"decided here [{', '.join(result.outcome.rules)}]")
        eattrs.update(penwidth="3", color=PALETTE["decisive"])
    return label, eattrs


def _resource_nodes(g: Graph, h, nid: str, world, cluster) -> list[str]:
    """One node per resource the hop's server opened, joined to it; their ids."""
    opened = []
    for j, a in enumerate(h.accesses):
        rid = f"r:{h.index}:{j}"
        kind = ResourceKind.FILE
        if world is not None:
            kind = world.get_resource(a.resource).kind
        if a.ok:
            text, ea = f"{a.right} as {a.identity}: allowed", {"color": PALETTE["ok"]}
        else:
            who = f" as {a.identity}" if a.identity else ""
            text, ea = f"{a.right}{who}: {a.code.name}", {"color": PALETTE["refused"], "style": "dashed"}
        g.node(
            rid,
            _wrap(f"{a.resource} ({kind.value})", text, width=26),
            cluster=cluster(a.machine),
            shape=_SHAPES[kind],
            style="filled",
            fillcolor="#FFFFFF",
            color=ea["color"],
            **({"penwidth": "2"} if not a.ok else {}),
        )
        g.edge(nid, rid, "", **ea)
        opened.append(rid)
    return opened


def chain_summary(result: ChainResult) -> str:
    """A short, deterministic text of what the chain diagram shows."""
    lines = [f"Chain {result.chain.name!r}: {result.chain.path}"]
    for h in result.hops:
        c, b = h.call, h.hop.binding
        head = (
            f"hop {h.index} {c.caller} -> {c.server} ({b.protseq.value}, {(c.provider or b.provider).label}, "
            f"asks {c.requested.key if c.requested else b.qos.level.key})"
        )
        if not c.ok:
            body = f"refused: {c.code_name} [{', '.join(c.rules)}]"
        elif h.refused_request and h.impersonation is not None:
            body = f"{c.server} refused the request: {h.impersonation.code_name}"
        else:
            body = (
                f"{c.server} acts as {h.acting_as} ({_level(h.thread_level)}, network: "
                f"{'yes' if h.network_credentials else 'no'})"
            )
            for a in h.accesses:
                body += f"; {a.resource} {a.right}: {'allowed' if a.ok else a.code.name}"
        lines.append(f"{head}: {body}")
    lines.append(
        f"outcome: {result.outcome.code_name}, decided at hop {result.deciding_hop} [{', '.join(result.outcome.rules)}]"
    )
    return "\n".join(lines)


def chain_diagram(result: ChainResult, world=None, legend: bool = False) -> Diagram:
    """The display object for a chain (SVG plus :func:`chain_summary`, the legend collapsed under it)."""
    return Diagram(
        to_dot(chain_graph(result, world, legend)),
        chain_summary(result),
        label=f"Chain diagram {result.chain.path}: {result.outcome.code_name}, decided at hop {result.deciding_hop}",
        legend=LEGEND_HTML,
    )


def thread_graph(history: Sequence[Decision], process_identity: str) -> Graph:
    """One server thread over time: each state is whose identity the thread acts with."""
    g = Graph("thread", title=f"server thread (process token: {process_identity})", rankdir="TB")
    g.node("s0", f"acts as {process_identity}\n(process token)", fillcolor=PALETTE["fill"])
    for i, d in enumerate(history, start=1):
        sid = f"s{i}"
        attrs = {"fillcolor": PALETTE["fill"]}
        if isinstance(d, ImpersonationResult):
            if d.token is not None and d.token.level is not None:  # a thread token is never a primary token
                label = f"acts as {d.acting_as}\n({d.token.level.label}-level thread token)"
                attrs["fillcolor"] = PALETTE["fill_client"]
                if d.token.level is TokenLevel.ANONYMOUS:
                    attrs.update(fillcolor=PALETTE["fill_anonymous"], style="rounded,filled,dotted")
            else:
                label = f"acts as {d.acting_as}\n(process token)"
        elif d.action == "end of call":
            still = "R14" in d.rules
            label = "handler returned\n" + ("STILL IMPERSONATING (R14)" if still else "thread back to itself")
            attrs.update(
                shape="doubleoctagon" if still else "box", color=PALETTE["refused"] if still else PALETTE["neutral"]
            )
        else:
            label = _short(d)
        g.node(sid, _wrap(*label.split("\n")), **attrs)
        edge = {"color": PALETTE["ok"] if d.ok else PALETTE["refused"]}
        if not d.ok:
            edge["style"] = "dashed"
        g.edge(f"s{i - 1}", sid, _wrap(d.action, f"-> {d.code_name} [{', '.join(d.rules)}]"), **edge)
    return g


def _short(d: Decision) -> str:
    if isinstance(d, AccessDecision):
        who = f" as {d.identity}" if d.identity else ""
        return f"{d.resource}{who}:\n{'allowed' if d.ok else d.code.name}"
    if isinstance(d, CallDecision):
        return f"{d.server} sees {d.identity_seen}" if d.ok else f"call to {d.server} failed"
    return d.code.name


def thread_summary(history: Sequence[Decision], process_identity: str) -> str:
    lines = [f"thread of a process running as {process_identity}"]
    for d in history:
        lines.append(f"{d.action}: {d.code_name} [{', '.join(d.rules)}]")
    return "\n".join(lines)


def thread_diagram(history: Sequence[Decision], process_identity: str) -> Diagram:
    """The display object for a thread's history (e.g. ``thread.history``)."""
    last = history[-1].action if history else "no step yet"
    return Diagram(
        to_dot(thread_graph(history, process_identity)),
        thread_summary(history, process_identity),
        label=f"Server thread diagram: {len(history)} steps, last: {last}",
        legend=THREAD_LEGEND_HTML,
    )
