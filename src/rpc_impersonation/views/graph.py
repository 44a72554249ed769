"""A small graph model and its deterministic DOT text. Diagrams build a Graph; nothing here decides.

>>> g = Graph("demo")
>>> g.node("a", "CORP\\\\alice", cluster="WS1")
>>> print(to_dot(g).splitlines()[5])
    label="WS1";
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Graph", "Node", "Edge", "to_dot", "PALETTE"]

#: Okabe-Ito colours, readable with the common colour-vision deficiencies. Meaning is never carried by
#: colour alone: refused edges are also dashed, ANONYMOUS LOGON nodes are also dotted, the deciding hop
#: is also bold and labelled.
PALETTE = {
    "client": "#0072B2",  # blue
    "ok": "#009E73",  # bluish green
    "refused": "#D55E00",  # vermillion
    "anonymous": "#CC79A7",  # reddish purple
    "decisive": "#E69F00",  # orange
    "neutral": "#555555",
    "fill": "#F2F2F2",
    "fill_client": "#DCEBF7",
    "fill_anonymous": "#F6E3EE",
}


def _quote(text: str, left: bool = False) -> str:
    """Quote for DOT; backslashes (as in CORP\\alice) are escaped, newlines become line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l" if left else "\\n")
    return '"' + body + '"'


@dataclass
class Node:
    id: str
    label: str
    cluster: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Edge:
    src: str
    dst: str
    label: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Graph:
    name: str
    title: str = ""
    rankdir: str = "LR"
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    cluster_labels: dict[str, str] = field(default_factory=dict)
    same_rank: list[tuple[str, ...]] = field(default_factory=list)  # node ids drawn side by side

    def node(self, id: str, label: str, cluster: str | None = None, **attrs: str) -> None:
        self.nodes.append(Node(id, label, cluster, attrs))
        if cluster is not None and cluster not in self.cluster_labels:
            self.cluster_labels[cluster] = cluster

    def edge(self, src: str, dst: str, label: str = "", **attrs: str) -> None:
        self.edges.append(Edge(src, dst, label, attrs))


def _attrs(attrs: dict[str, str], label: str | None = None) -> str:
    attrs = dict(attrs)
    left = attrs.pop("justify", "") == "left"
    items = ([f"label={_quote(label, left)}"] if label is not None else []) + [
        f"{k}={_quote(v)}" for k, v in sorted(attrs.items())
    ]
    return f" [{', '.join(items)}]" if items else ""


def to_dot(graph: Graph) -> str:
    """DOT source; the same graph always gives the same text (no ids, no timestamps)."""
    lines = [
        f"digraph {_quote(graph.name)} {{",
        f'  graph [rankdir={graph.rankdir}, fontname="Helvetica", fontsize=11, labelloc=t, '
        f"label={_quote(graph.title)}, nodesep=0.35, ranksep=0.6];",
        '  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#F2F2F2"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    order = list(dict.fromkeys(n.cluster for n in graph.nodes if n.cluster is not None))
    for i, cluster in enumerate(order):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={_quote(graph.cluster_labels[cluster])};")
        lines.append('    style="rounded"; color="#999999"; fontname="Helvetica";')
        members = {n.id for n in graph.nodes if n.cluster == cluster}
        for n in graph.nodes:
            if n.cluster == cluster:
                lines.append(f"    {_quote(n.id)}{_attrs(n.attrs, n.label)};")
        for group in graph.same_rank:
            if set(group) <= members:
                lines.append(f"    {{rank=same; {' '.join(_quote(i) for i in group)};}}")
        lines.append("  }")
    for n in graph.nodes:
        if n.cluster is None:
            lines.append(f"  {_quote(n.id)}{_attrs(n.attrs, n.label)};")
    for e in graph.edges:
        lines.append(f"  {_quote(e.src)} -> {_quote(e.dst)}{_attrs(e.attrs, e.label)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
