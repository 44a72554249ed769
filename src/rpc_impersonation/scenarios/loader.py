"""The JSON scenario format: a world, engine options and named chains with optional expectations.

A file is read strictly (:mod:`.jsontext`), checked against the format's declarations
(:mod:`.fields`, from which docs/scenario.schema.json is generated), then built into a world,
options and chains. Errors name the file, the line and column, the path inside the document,
the bad value and what is allowed. The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..binding import Binding
from ..chain import Access, Chain, ChainResult, Hop, evaluate
from ..constants import Protseq
from ..engine import Options
from ..errors import ImpersonationError, InvalidValueError, ScenarioError
from ..world import World
from .fields import SCENARIO
from .jsontext import MAX_BYTES, JsonText, decode, read
from .jsontext import Path as DocPath
from .kinds import Kind, Nullable, Obj, ObjectSpec, show, with_article

__all__ = ["Scenario", "Expectation", "load", "loads", "parse_document"]


@dataclass(frozen=True)
class Expectation:
    """What an instructor says a chain must produce; checked by ``explain`` and the tests."""

    code: str | None = None
    acting_as: tuple[tuple[str, str | None], ...] = ()
    rules: tuple[str, ...] = ()
    deciding_hop: int | None = None

    def check(self, result: ChainResult) -> list[str]:
        """The list of unmet expectations (empty when all hold)."""
        problems = []
        if self.code is not None and result.outcome.code.name != self.code:
            problems.append(f"outcome {result.outcome.code.name}, expected {self.code}")
        for server, identity in self.acting_as:
            got = result.reached_as(server)
            if (got or None) != identity:
                problems.append(f"{server} acted as {got}, expected {identity}")
        for r in self.rules:
            if r not in result.outcome.rules:
                problems.append(f"rule {r} not among the deciding rules {list(result.outcome.rules)}")
        if self.deciding_hop is not None and result.deciding_hop != self.deciding_hop:
            problems.append(f"decided at hop {result.deciding_hop}, expected hop {self.deciding_hop}")
        return problems


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: its world, options, chains and expectations."""

    name: str
    title: str
    description: str
    world: World
    options: Options
    chains: tuple[Chain, ...]
    expectations: dict[str, Expectation] = field(default_factory=dict)
    seeds: tuple[str, ...] = ()
    source: str = "<scenario>"

    def chain(self, name: str | None = None) -> Chain:
        if name is None:
            return self.chains[0]
        for c in self.chains:
            if c.name == name:
                return c
        raise InvalidValueError("chain", name, [c.name for c in self.chains])

    def evaluate(self, name: str | None = None) -> ChainResult:
        """Evaluate one chain (the first if no name is given)."""
        return evaluate(self.world, self.chain(name), self.options)

    def evaluate_all(self) -> list[ChainResult]:
        return [evaluate(self.world, c, self.options) for c in self.chains]

    def check(self) -> dict[str, list[str]]:
        """Unmet expectations per chain name."""
        return {
            c.name: self.expectations[c.name].check(evaluate(self.world, c, self.options))
            for c in self.chains
            if c.name in self.expectations
        }


# --- checking and building ---------------------------------------------------------------------

# Where an engine error about a field (InvalidValueError.field) points in the object that was built.
_PROCESS_KEYS = {"machine": "on", "account": "runs_as"}
_RESOURCE_KEYS = {"machine": "on", "acl principal": "allow"}


class _Builder:
    def __init__(self, doc: JsonText) -> None:
        self.doc = doc

    # checking against the declarations (the same ones the JSON Schema is generated from)
    def check(self, value: Any, kind: Kind, path: DocPath) -> None:
        problem = kind.problem(value)
        if problem is not None:
            raise self.doc.error(f"{show(value)} is {problem}; expected {kind.describe()}", path)
        inner = kind.inner if isinstance(kind, Nullable) and value is not None else kind
        if isinstance(inner, Obj):
            self.check_fields(value, inner.spec, path)
        for step, item, item_kind in kind.children(value):
            self.check(item, item_kind, path + (step,))

    def check_fields(self, node: dict, spec: ObjectSpec, path: DocPath) -> None:
        for key in node:
            if key not in spec.names and key not in spec.extra:
                near = difflib.get_close_matches(key, spec.names, 1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise self.doc.error(
                    f"unknown field {key!r} in {with_article(spec.name)} object{hint}; expected one of "
                    f"{', '.join(spec.names)}",
                    path + (key,),
                    key=True,
                )
        for f in spec.fields:
            if f.required and f.name not in node:
                raise self.doc.error(
                    f"missing required field {f.name!r} of {with_article(spec.name)} object: {f.doc}", path
                )
        for key in spec.extra:
            if key in node and not isinstance(node[key], str):
                raise self.doc.error(
                    f"{show(node[key])} is not a string; {key} names a JSON Schema (a URL or a "
                    "path), and is otherwise ignored",
                    path + (key,),
                )
        for f in spec.fields:
            if f.name in node:
                self.check(node[f.name], f.kind, path + (f.name,))

    # building
    def build(self, call, node: dict, path: DocPath, keys: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """``call(**kwargs)``; an engine error is reported at the field it concerns."""
        try:
            return call(**kwargs)
        except InvalidValueError as exc:
            key = (keys or {}).get(exc.field, exc.field)
            at = path + (key,) if isinstance(node, dict) and key in node else path
            raise self.doc.error(str(exc), at, key=at != path) from None
        except ScenarioError:
            raise
        except ImpersonationError as exc:
            raise self.doc.error(str(exc), path) from None

    def document(self) -> Scenario:
        doc = self.doc.value
        self.check(doc, Obj(SCENARIO), ())
        wnode = doc["world"]
        world = self.build(World, wnode, ("world",), domain=wnode.get("domain", "CORP"), name=doc["name"])
        for i, d in enumerate(wnode.get("domains", [])):
            self.build(world.domain, d, ("world", "domains", i), **d)
        for i, g in enumerate(wnode.get("groups", [])):
            self.build(world.group, wnode, ("world", "groups", i), name=g)
        for key, add, keys in (
            ("machines", world.machine, None),
            ("accounts", world.account, None),
            ("processes", world.process, _PROCESS_KEYS),
            ("resources", world.resource, _RESOURCE_KEYS),
        ):
            for i, item in enumerate(wnode.get(key, [])):
                self.build(add, item, ("world", key, i), keys, **item)
        self.build(world.validate, wnode, ("world",))
        onode = doc.get("options", {})
        options = self.build(Options, onode, ("options",), **onode)
        chains: list[Chain] = []
        expectations: dict[str, Expectation] = {}
        for i, c in enumerate(doc["chains"]):
            p = ("chains", i)
            client = self.build(world.get_process, c, p, {"process": "client"}, name=c["client"])
            hops, caller = [], client
            for j, h in enumerate(c["hops"]):
                hp = p + ("hops", j)
                server = self.build(world.get_process, h, hp, {"process": "server"}, name=h["server"])
                bnode = h.get("binding", {})
                binding = self.build(Binding.of, bnode, hp + ("binding",), **bnode)
                if binding.protseq.local_only and caller.machine.lower() != server.machine.lower():
                    raise self.doc.error(
                        f"{binding.protseq.value} reaches only a server on the caller's own machine: {caller.name} "
                        f"runs on {caller.machine} and {server.name} on {server.machine}; use "
                        f"{Protseq.remote_names()}",
                        hp + ("binding", "protseq") if "protseq" in bnode else hp + ("binding",),
                    )
                access = []
                for k, a in enumerate(h.get("access", [])):
                    ap = hp + ("access", k)
                    self.build(world.get_resource, a, ap, {"resource": "resource"}, name=a["resource"])
                    access.append(self.build(Access.of, a, ap, **a))
                flags = {
                    k: h[k] for k in ("impersonate", "check_result", "revert", "bound_before_impersonating") if k in h
                }
                hops.append(Hop(h["server"], binding, access=tuple(access), **flags))
                caller = server
            chain = Chain(c["client"], tuple(hops), c["name"])
            if any(existing.name == chain.name for existing in chains):
                raise self.doc.error(f"duplicate chain name {chain.name!r}; chain names must be unique", p + ("name",))
            chains.append(chain)
            if "expect" in c:
                expectations[chain.name] = self.expectation(c["expect"], chain, p + ("expect",))
        return Scenario(
            doc["name"],
            doc.get("title", doc["name"]),
            doc.get("description", ""),
            world,
            options,
            tuple(chains),
            expectations,
            tuple(doc.get("seeds", [])),
            self.doc.source,
        )

    def expectation(self, node: dict, chain: Chain, path: DocPath) -> Expectation:
        servers = {h.server.lower() for h in chain.hops}
        for server in node.get("acting_as", {}):
            if server.lower() not in servers:
                raise self.doc.error(
                    f"acting_as names {server!r}, which is not a server of this chain; expected one "
                    f"of {', '.join(h.server for h in chain.hops)}",
                    path + ("acting_as", server),
                    key=True,
                )
        hop = node.get("deciding_hop")
        if hop is not None and hop > len(chain.hops):
            raise self.doc.error(
                f"deciding_hop {show(hop)} is past the end: the chain has {len(chain.hops)} hop(s)",
                path + ("deciding_hop",),
            )
        return Expectation(
            node.get("code"),
            tuple(node.get("acting_as", {}).items()),
            tuple(node.get("rules", [])),
            None if hop is None else int(hop),
        )


def parse_document(doc: Any, source: str = "<scenario>") -> Scenario:
    """Build a scenario from an already-parsed JSON document (errors then carry no line numbers)."""
    return _Builder(JsonText(doc, "", source)).document()


def loads(text: str, source: str = "<scenario>") -> Scenario:
    """Parse scenario JSON text.

    >>> loads('{"name": "x", "world": {"machines": [], "processes": []}, "chains": [}', "broken.json")
    Traceback (most recent call last):
    ...
    rpc_impersonation.errors.ScenarioError: broken.json:1:70 at chains[0]: malformed JSON: Expecting value
    """
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), source)
    if not isinstance(text, str):
        raise InvalidValueError("scenario text", type(text).__name__, "a str, or UTF-8 bytes", what="invalid")
    return _Builder(read(text, source)).document()


def load(path: str | Path) -> Scenario:
    """Load a scenario file (UTF-8, at most :data:`~.jsontext.MAX_BYTES` bytes)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", source=p.name) from None
    return loads(decode(data, p.name), source=p.name)
