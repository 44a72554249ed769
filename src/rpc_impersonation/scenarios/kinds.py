"""The kinds of value a scenario field may hold (text, flag, choice, count, list, map, object, ...), each able
to check a JSON value, describe itself in words and give its JSON Schema; a field and an object declared
with them. The scenario format itself is declared with these in :mod:`.fields`.

>>> from rpc_impersonation.constants import ImpLevel
>>> Flag().problem("false")
'a string'
>>> Choice.of(ImpLevel).problem(3)
'a number: the RPC constant RPC_C_IMP_LEVEL_IMPERSONATE (ImpLevel.IMPERSONATE); write its name, "impersonate" (token levels are numbered differently, R1)'
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..constants import (
    AuthnLevel,
    Provider,
    Right,
    Tracking,
)

__all__ = [
    "Kind",
    "Text",
    "Flag",
    "Choice",
    "Count",
    "ListOf",
    "MapOf",
    "Nullable",
    "Rights",
    "Obj",
    "Field",
    "ObjectSpec",
    "NO_DEFAULT",
    "json_type",
    "show",
    "with_article",
]

NO_DEFAULT = object()  # the field has no fixed default (absence means something the doc text explains)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as an author would say it."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "not a JSON value"


def with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def show(value: Any, limit: int = 60) -> str:
    """A value as JSON text, shortened; never a Python class name."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    if len(text) <= limit:
        return text
    return text[: limit - 5] + {"{": " ...}", "[": " ...]"}.get(text[0], " ...")


class Kind:
    """What a field may hold. ``problem`` completes "VALUE is ..." for a wrong value (None if it is right);
    ``describe`` says what is allowed; ``schema`` is the JSON Schema of the same thing."""

    def problem(self, value: Any) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        """(path step, value, kind) of the values inside ``value`` that are checked next."""
        return []


@dataclass(frozen=True)
class Text(Kind):
    """A string; ``name=True`` means a name, which must contain a visible character."""

    name: bool = True

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return json_type(value)
        if self.name and not re.search(r"\S", value):
            return "an empty name"
        return None

    def describe(self) -> str:
        return "a name (a string)" if self.name else "a string"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "\\S"} if self.name else {"type": "string"}


@dataclass(frozen=True)
class Flag(Kind):
    """JSON true or false, and nothing else: "false", 0 and "no" are refused, never read as true."""

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else json_type(value)

    def describe(self) -> str:
        return "true or false (JSON booleans, without quotes)"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of lower-case names. ``constants`` maps the numbers of a numeric enum to its
    constant's name, so that a number gets an error that says which constant it is."""

    values: tuple[str, ...]
    constants: tuple[tuple[int, str, str], ...] = ()  # (number, constant name, member) for numeric enums

    @classmethod
    def of(cls, kind: type[enum.Enum], *, exclude: tuple[Any, ...] = ()) -> Choice:
        members = [m for m in kind if m not in exclude]
        values = tuple(m.value if isinstance(m.value, str) else m.name.lower() for m in members)
        constants: tuple[tuple[int, str, str], ...] = ()
        if issubclass(kind, enum.IntEnum) or kind is Provider:
            constants = tuple((int(m.value), _constant(m), f"{kind.__name__}.{m.name}") for m in members)
        return cls(values, constants)

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            if value in self.values:
                return None
            near = [v for v in self.values if v == value.strip().lower().replace("-", "_").replace(" ", "_")]
            if near:
                return f"written differently: names are lower case, with underscores; write {show(near[0])}"
            return "not a known value"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            for number, constant, member in self.constants:
                if value == number:
                    name = self.values[[c[0] for c in self.constants].index(number)]
                    extra = " (token levels are numbered differently, R1)" if member.startswith("ImpLevel") else ""
                    return f"a number: the RPC constant {constant} ({member}); write its name, {show(name)}{extra}"
            return "a number; this field takes a name"
        return json_type(value)

    def describe(self) -> str:
        return "one of " + ", ".join(self.values)

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


def _constant(member: enum.Enum) -> str:
    if hasattr(member, "constant"):
        return str(member.constant)
    prefixes: dict[type[enum.Enum], str] = {AuthnLevel: "RPC_C_AUTHN_LEVEL_", Tracking: "RPC_C_QOS_IDENTITY_"}
    prefix = prefixes[type(member)]
    return prefix + member.name


@dataclass(frozen=True)
class Count(Kind):
    """A whole number, at least ``minimum``."""

    minimum: int = 1

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return json_type(value)
        if value != int(value):
            return "not a whole number"
        return None if value >= self.minimum else f"below {self.minimum}"

    def describe(self) -> str:
        return f"a whole number, {self.minimum} or more"

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum}


@dataclass(frozen=True)
class ListOf(Kind):
    item: Kind
    min_items: int = 0

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return json_type(value)
        if len(value) < self.min_items:
            return "an empty list" if not value else f"a list of {len(value)}"
        return None

    def describe(self) -> str:
        least = f" (at least {self.min_items})" if self.min_items else ""
        return f"a list of {_plural(self.item)}{least}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return out

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [(i, v, self.item) for i, v in enumerate(value)]


def _plural(kind: Kind) -> str:
    if isinstance(kind, Obj):
        return f"{kind.spec.name} objects"
    if isinstance(kind, Text):
        return "names (strings)" if kind.name else "strings"
    if isinstance(kind, Choice):
        return "names, each " + kind.describe()
    return "values"


@dataclass(frozen=True)
class MapOf(Kind):
    """An object whose keys are names chosen by the author (``keys`` says what they name)."""

    value: Kind
    keys: str

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return json_type(value)
        return "an object with an empty name as a key" if any(not re.search(r"\S", k) for k in value) else None

    def describe(self) -> str:
        return f"an object mapping {self.keys} to {self.value.describe()}"

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "propertyNames": {"pattern": "\\S"}, "additionalProperties": self.value.schema()}

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [(k, v, self.value) for k, v in value.items()]


@dataclass(frozen=True)
class Nullable(Kind):
    inner: Kind
    meaning: str

    def problem(self, value: Any) -> str | None:
        return None if value is None else self.inner.problem(value)

    def describe(self) -> str:
        return f"{self.inner.describe()}, or null ({self.meaning})"

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [] if value is None else self.inner.children(value)


_RIGHT_NAMES = tuple(r.value for r in Right)
_RIGHTS_PATTERN = "^(read|write)(,(read|write))*$"


@dataclass(frozen=True)
class Rights(Kind):
    """Access rights: "read", "write", "read,write", or a list of those names."""

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            return None if re.fullmatch(_RIGHTS_PATTERN, value) else "not a known set of rights"
        if isinstance(value, list):
            if not value:
                return "an empty list"
            bad = [v for v in value if v not in _RIGHT_NAMES]
            return f"a list holding {show(bad[0])}, which is not a right" if bad else None
        return json_type(value)

    def describe(self) -> str:
        return '"read", "write", "read,write" or a list such as ["read", "write"]'

    def schema(self) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string", "pattern": _RIGHTS_PATTERN},
                {"type": "array", "items": {"enum": list(_RIGHT_NAMES)}, "minItems": 1},
            ]
        }


@dataclass(frozen=True)
class Field:
    """One field of an object: its name, kind, whether it is required, its default and what it means."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    default: Any = NO_DEFAULT


@dataclass(frozen=True)
class ObjectSpec:
    """An object of the format: its name (used in messages and as the schema's $defs key) and fields."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    extra: tuple[str, ...] = ()  # accepted and ignored (the top level's "$schema")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Obj(Kind):
    spec: ObjectSpec = field(compare=False)

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, dict) else json_type(value)

    def describe(self) -> str:
        return f"{with_article(self.spec.name)} object"

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.spec.name}"}
