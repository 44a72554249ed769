"""The JSON scenario format: a world, engine options and named chains with optional expectations.

Errors name the file, the line and column, the path inside the document, the bad value and
what is allowed. The format is documented in docs/scenarios.md.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..binding import Binding
from ..chain import Access, Chain, ChainResult, Hop, evaluate
from ..constants import ErrorCode
from ..engine import Options
from ..errors import ImpersonationError, InvalidValueError, ScenarioError
from ..world import World

__all__ = ["Scenario", "Expectation", "load", "loads", "parse_document"]


class _Located(dict):
    """A JSON object that remembers where it started in the text."""

    offset = 0


class _Decoder(json.JSONDecoder):
    def __init__(self) -> None:
        super().__init__(object_pairs_hook=self._pairs)
        self.parse_object = self._parse_object
        self.scan_once = json.scanner.py_make_scanner(self)

    @staticmethod
    def _pairs(pairs: list[tuple[str, Any]]) -> _Located:
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r}")
            seen.add(k)
        return _Located(pairs)

    def _parse_object(self, s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None, _w=None):
        start = s_and_end[1] - 1
        obj, end = json.decoder.JSONObject(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo)
        if isinstance(obj, _Located):
            obj.offset = start
        return obj, end


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
        return {c.name: self.expectations[c.name].check(evaluate(self.world, c, self.options))
                for c in self.chains if c.name in self.expectations}


# --- parsing -------------------------------------------------------------------------------------

_TOP = {"name": True, "title": False, "description": False, "seeds": False, "options": False, "world": True,
        "chains": True}
_WORLD = {"domain": False, "domains": False, "machines": True, "accounts": False, "groups": False,
          "processes": True, "resources": False}
_DOMAIN = {"name": True, "trusts": False}
_MACHINE = {"name": True, "domain": False, "com_default_level": False, "ignore_delegation_failure": False,
            "try_ip_spn": False, "ip_spn": False, "trusted_for_delegation": False, "delegate_to": False,
            "allowed_to_act_for": False}
_ACCOUNT = {"name": True, "domain": False, "local_to": False, "trusted_for_delegation": False, "delegate_to": False,
            "trusted_to_auth_for_delegation": False, "allowed_to_act_for": False, "sensitive": False,
            "protected_user": False, "groups": False}
_PROCESS = {"name": True, "on": True, "runs_as": True, "impersonate_privilege": False,
            "requires_authentication": False, "complus_default_level": False}
_RESOURCE = {"name": True, "on": True, "kind": False, "allow": False, "deny": False}
_CHAIN = {"name": True, "client": True, "hops": True, "expect": False, "description": False}
_HOP = {"server": True, "binding": False, "impersonate": False, "check_result": False, "revert": False,
        "access": False, "bound_before_impersonating": False}
_BINDING = {"protseq": False, "provider": False, "authn_level": False, "level": False, "mutual_auth": False,
            "ignore_delegation_failure": False, "tracking": False, "api": False, "spn": False, "target_name": False,
            "cloaking": False, "auth_identity": False}
_ACCESS = {"resource": True, "right": False}
_EXPECT = {"code": False, "acting_as": False, "rules": False, "deciding_hop": False}
_OPTIONS = {"legacy_provider_bump": False, "local_non_lrpc_like_ncalrpc": False, "second_hop": False,
            "delegated_credentials_expired": False, "kerberos_delegation": False}


_FIELD_KEYS = {"machine": "on", "account": "runs_as", "process": "server", "resource": "resource"}


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def where(self, node: Any, key: str | None = None) -> tuple[int | None, int | None]:
        offset = getattr(node, "offset", None)
        if offset is None:
            return None, None
        if key is not None:
            found = self.text.find(json.dumps(key), offset)
            if found >= 0:
                offset = found
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, col

    def fail(self, message: str, node: Any, path: str, key: str | None = None) -> ScenarioError:
        line, col = self.where(node, key)
        return ScenarioError(message, source=self.source, path=path, line=line, column=col)

    def obj(self, node: Any, spec: dict[str, bool], path: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise self.fail(f"expected an object, got {type(node).__name__}", node, path)
        unknown = [k for k in node if k not in spec]
        if unknown:
            raise self.fail(f"unknown field {unknown[0]!r}; expected one of {', '.join(spec)}", node, path, unknown[0])
        missing = [k for k, required in spec.items() if required and k not in node]
        if missing:
            raise self.fail(f"missing required field {missing[0]!r}", node, path)
        return node

    def items(self, node: Any, key: str, path: str) -> list[Any]:
        value = node.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"field {key!r} must be a list, got {type(value).__name__}", node, path, key)
        return value

    def build(self, call, node: dict, path: str, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except InvalidValueError as exc:
            key = exc.field if exc.field in node else _FIELD_KEYS.get(exc.field)
            raise self.fail(str(exc), node, path, key if key in node else None) from None
        except ImpersonationError as exc:
            raise self.fail(str(exc), node, path) from None
        except TypeError as exc:
            raise self.fail(f"wrong type of value: {exc}", node, path) from None

    def document(self, doc: Any) -> Scenario:
        self.obj(doc, _TOP, "$")
        wnode = self.obj(doc["world"], _WORLD, "world")
        world = self.build(World, wnode, "world", domain=wnode.get("domain", "CORP"), name=doc["name"])
        for i, d in enumerate(self.items(wnode, "domains", "world")):
            p = f"world.domains[{i}]"
            self.obj(d, _DOMAIN, p)
            self.build(world.domain, d, p, **d)
        for i, g in enumerate(self.items(wnode, "groups", "world")):
            if not isinstance(g, str):
                raise self.fail("a group is a name (string)", wnode, f"world.groups[{i}]", "groups")
            self.build(world.group, wnode, f"world.groups[{i}]", name=g)
        for key, spec, add in (("machines", _MACHINE, world.machine), ("accounts", _ACCOUNT, world.account),
                               ("processes", _PROCESS, world.process), ("resources", _RESOURCE, world.resource)):
            for i, item in enumerate(self.items(wnode, key, "world")):
                p = f"world.{key}[{i}]"
                self.obj(item, spec, p)
                self.build(add, item, p, **item)
        self.build(world.validate, wnode, "world")
        onode = doc.get("options", {})
        options = self.build(Options, self.obj(onode, _OPTIONS, "options"), "options", **onode)
        chains, expectations = [], {}
        for i, c in enumerate(self.items(doc, "chains", "$")):
            p = f"chains[{i}]"
            self.obj(c, _CHAIN, p)
            hops = []
            for j, h in enumerate(self.items(c, "hops", p)):
                hp = f"{p}.hops[{j}]"
                self.obj(h, _HOP, hp)
                self.build(world.get_process, h, hp, name=h["server"])
                bnode = self.obj(h.get("binding", {}), _BINDING, f"{hp}.binding")
                binding = self.build(Binding.of, bnode, f"{hp}.binding", **bnode)
                access = []
                for k, a in enumerate(self.items(h, "access", hp)):
                    ap = f"{hp}.access[{k}]"
                    self.obj(a, _ACCESS, ap)
                    self.build(world.get_resource, a, ap, name=a["resource"])
                    access.append(self.build(Access.of, a, ap, **a))
                flags = {k: h[k] for k in ("impersonate", "check_result", "revert", "bound_before_impersonating")
                         if k in h}
                for k, v in flags.items():
                    if not isinstance(v, bool):
                        raise self.fail(f"field {k!r} must be true or false, got {v!r}", h, hp, k)
                hops.append(Hop(h["server"], binding, access=tuple(access), **flags))
            self.build(world.get_process, c, p, name=c["client"])
            chain = self.build(Chain, c, p, client=c["client"], hops=tuple(hops), name=c["name"])
            if any(existing.name == chain.name for existing in chains):
                raise self.fail(f"duplicate chain name {chain.name!r}", c, p, "name")
            chains.append(chain)
            if "expect" in c:
                expectations[chain.name] = self.expectation(c["expect"], f"{p}.expect")
        if not chains:
            raise self.fail("a scenario needs at least one chain", doc, "chains", "chains")
        seeds = doc.get("seeds", [])
        return Scenario(doc["name"], doc.get("title", doc["name"]), doc.get("description", ""), world, options,
                        tuple(chains), expectations, tuple(seeds), self.source)

    def expectation(self, node: Any, path: str) -> Expectation:
        self.obj(node, _EXPECT, path)
        code = node.get("code")
        if code is not None and code not in ErrorCode.__members__:
            raise self.fail(str(InvalidValueError("code", code, list(ErrorCode.__members__))), node, path, "code")
        acting = node.get("acting_as", {})
        if not isinstance(acting, dict):
            raise self.fail("field 'acting_as' maps server names to identities", node, path, "acting_as")
        return Expectation(code, tuple(acting.items()), tuple(node.get("rules", [])), node.get("deciding_hop"))


def parse_document(doc: Any, source: str = "<scenario>", text: str = "") -> Scenario:
    """Build a scenario from an already-parsed JSON document."""
    return _Parser(text, source).document(doc)


def loads(text: str, source: str = "<scenario>") -> Scenario:
    """Parse scenario JSON text.

    >>> loads('{"name": "x", "world": {"machines": [], "processes": []}, "chains": [}', "broken.json")
    Traceback (most recent call last):
    ...
    rpc_impersonation.errors.ScenarioError: broken.json:1:70: malformed JSON: Expecting value
    """
    try:
        doc = _Decoder().decode(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"malformed JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno) from None
    except ValueError as exc:
        raise ScenarioError(f"malformed JSON: {exc}", source=source) from None
    return _Parser(text, source).document(doc)


def load(path: str | Path) -> Scenario:
    """Load a scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", source=p.name) from None
    return loads(text, source=p.name)
