"""A strict JSON reader for hand-written scenario files that remembers where every value is.

Unlike :func:`json.loads` it refuses duplicate keys (naming both places), NaN and Infinity,
bytes that are not UTF-8 and documents nested deeper than :data:`MAX_DEPTH` or larger than
:data:`MAX_BYTES`, always with a :class:`~rpc_impersonation.errors.ScenarioError` that names the
file, the line and the column. A UTF-8 byte-order mark is accepted and skipped.

>>> doc = read('{"a": [1, {"b": true}]}', "x.json")
>>> doc.value, doc.where(("a", 1, "b"))
({'a': [1, {'b': True}]}, (1, 17))
>>> read('{"a": 1, "a": 2}', "x.json")
Traceback (most recent call last):
...
rpc_impersonation.errors.ScenarioError: x.json:1:10 at a: duplicate key 'a' (first at 1:2); a key may appear once per object
"""

from __future__ import annotations

import json.decoder
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ScenarioError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "JsonText", "read", "decode", "display_path"]

#: Largest scenario file accepted, in bytes (the shipped ones are under 10 kB).
MAX_BYTES = 1_048_576
#: Deepest nesting of objects and arrays accepted (a scenario needs 6).
MAX_DEPTH = 32

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_SPACE = re.compile(r"[ \t\n\r]*")
_SURROGATES = re.compile(r"\\u[dD][89abAB]|[\ud800-\udfff]")
_LITERALS = (("true", True), ("false", False), ("null", None))
_MAX_DIGITS = 100  # a longer number is no count or level, and int() of thousands of digits is slow or refused

Path = tuple  # of str keys and int indexes, from the document's root


def display_path(path: Path) -> str:
    """``("world", "machines", 0, "name")`` -> ``world.machines[0].name``; the root is ``$``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@dataclass
class JsonText:
    """A parsed document and, for every value and key in it, its offset in the text.

    The offsets are found only when an error needs one (a second, slower pass over the text)."""

    value: Any
    text: str
    source: str
    values: dict[Path, int] | None = None
    keys: dict[Path, int] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its key, with ``key=True``)."""
        if self.values is None:
            located = _located(self.text, self.source)
            self.values, self.keys = located.values, located.keys
        table = self.keys if key and path in self.keys else self.values
        assert table is not None
        while path and path not in table:
            path = path[:-1]
        return line_column(self.text, table.get(path, 0))

    def error(self, message: str, path: Path, *, key: bool = False) -> ScenarioError:
        line, column = self.where(path, key=key) if self.text else (None, None)
        return ScenarioError(
            message, source=self.source, path=display_path(path) if path else "$", line=line, column=column
        )


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source
        self.doc = JsonText(None, text, source, values={})
        self.values: dict[Path, int] = self.doc.values  # type: ignore[assignment]  # never None here

    def fail(self, message: str, offset: int, path: Path = ()) -> ScenarioError:
        line, column = line_column(self.text, offset)
        return ScenarioError(
            message, source=self.source, path=display_path(path) if path else "", line=line, column=column
        )

    def skip(self, i: int) -> int:
        space = _SPACE.match(self.text, i)
        return space.end() if space else i

    def expect_end(self, i: int) -> None:
        i = self.skip(i)
        if i < len(self.text):
            raise self.fail("malformed JSON: extra text after the document (one JSON object per file)", i)

    def value(self, i: int, path: Path, depth: int) -> tuple[Any, int]:
        text = self.text
        i = self.skip(i)
        self.values[path] = i
        if i >= len(text):
            raise self.fail("malformed JSON: Expecting value (the text ends here)", i, path)
        c = text[i]
        if c == "{" or c == "[":
            if depth >= MAX_DEPTH:
                raise self.fail(
                    f"nested more than {MAX_DEPTH} levels deep; a scenario needs at most 6, so this is "
                    "not a scenario (the limit is documented in docs/scenarios.md)",
                    i,
                    path,
                )
            return (self.obj if c == "{" else self.array)(i, path, depth + 1)
        if c == '"':
            return self.string(i, path)
        for word, val in _LITERALS:
            if text.startswith(word, i):
                return val, i + len(word)
        m = _NUMBER.match(text, i)
        if m and m.end() > i:
            digits = m.group(0)
            if len(digits) > _MAX_DIGITS:
                raise self.fail(f"a number of {len(digits)} characters; no field takes such a number", i, path)
            if m.group(1) or m.group(2):
                number = float(digits)
                if number in (float("inf"), float("-inf")):
                    raise self.fail(f"the number {digits} is too large", i, path)
                return number, m.end()
            return int(digits), m.end()
        bare = re.match(r"[A-Za-z_]+", text[i : i + 20])
        if bare and bare.group(0) in ("NaN", "Infinity", "True", "False", "None", "undefined"):
            hint = {"True": "true", "False": "false", "None": "null"}.get(bare.group(0))
            raise self.fail(
                f"malformed JSON: {bare.group(0)} is not JSON" + (f"; write {hint}" if hint else ""), i, path
            )
        raise self.fail("malformed JSON: Expecting value", i, path)

    def string(self, i: int, path: Path) -> tuple[str, int]:
        try:
            s, end = json.decoder.scanstring(self.text, i + 1, True)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise self.fail(f"malformed JSON: {exc.msg}", exc.pos, path) from None
        lone = re.search(r"[\ud800-\udfff]", s)
        if lone:
            raise self.fail(
                f"the string contains a lone surrogate \\u{ord(lone.group(0)):04x}, which is not text", i, path
            )
        return s, end

    def obj(self, i: int, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        text, out = self.text, dict[str, Any]()
        first: dict[str, int] = {}
        i = self.skip(i + 1)
        if i < len(text) and text[i] == "}":
            return out, i + 1
        while True:
            if i >= len(text) or text[i] != '"':
                raise self.fail("malformed JSON: Expecting property name enclosed in double quotes", i, path)
            key_at = i
            key, i = self.string(i, path)
            if key in first:
                line, column = line_column(text, first[key])
                raise self.fail(
                    f"duplicate key {key!r} (first at {line}:{column}); a key may appear once per object",
                    key_at,
                    path + (key,),
                )
            first[key] = key_at
            self.doc.keys[path + (key,)] = key_at
            i = self.skip(i)
            if i >= len(text) or text[i] != ":":
                raise self.fail("malformed JSON: Expecting ':' delimiter", i, path + (key,))
            out[key], i = self.value(i + 1, path + (key,), depth)
            i = self.skip(i)
            if i < len(text) and text[i] == ",":
                i = self.skip(i + 1)
                continue
            if i < len(text) and text[i] == "}":
                return out, i + 1
            raise self.fail("malformed JSON: Expecting ',' delimiter or '}'", i, path)

    def array(self, i: int, path: Path, depth: int) -> tuple[list[Any], int]:
        text, out = self.text, list[Any]()
        i = self.skip(i + 1)
        if i < len(text) and text[i] == "]":
            return out, i + 1
        while True:
            item, i = self.value(i, path + (len(out),), depth)
            out.append(item)
            i = self.skip(i)
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            if i < len(text) and text[i] == "]":
                return out, i + 1
            raise self.fail("malformed JSON: Expecting ',' delimiter or ']'", i, path)


class _Refused(Exception):
    """The quick parse met something the strict reader refuses; the strict reader then says where and why."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused
    return out


def _refuse(_: str) -> Any:
    raise _Refused


def _whole(digits: str) -> int:
    if len(digits) > _MAX_DIGITS:
        raise _Refused
    return int(digits)


def _fraction(digits: str) -> float:
    number = float(digits)
    if len(digits) > _MAX_DIGITS or number in (float("inf"), float("-inf")):
        raise _Refused
    return number


_QUICK = json.decoder.JSONDecoder(
    object_pairs_hook=_unique_pairs, parse_constant=_refuse, parse_int=_whole, parse_float=_fraction
)


def _too_deep(value: Any) -> bool:
    """Whether objects and lists nest more than MAX_DEPTH levels (walked without recursion)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [c for v in level if isinstance(v, (dict, list)) for c in (v.values() if isinstance(v, dict) else v)]
        if not level:
            return False
    return any(isinstance(v, (dict, list)) for v in level)


def _located(text: str, source: str) -> JsonText:
    """The strict reader: slower, but knows where every value is, and raises the located error."""
    reader = _Reader(text, source)
    value, end = reader.value(0, (), 0)
    reader.expect_end(end)
    reader.doc.value = value
    return reader.doc


def read(text: str, source: str = "<scenario>") -> JsonText:
    """Parse ``text`` (a leading byte-order mark is skipped), remembering where each value is.

    A well-formed document is parsed by the C decoder; anything it would accept that the format
    refuses (duplicate keys, NaN, surrogate escapes, deep nesting), and any error, goes to the
    strict reader, which names the place."""
    if len(text) > MAX_BYTES:
        raise ScenarioError(
            f"the text is {len(text):,} characters long; a scenario may have at most "
            f"{MAX_BYTES:,} (documented in docs/scenarios.md)",
            source=source,
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _SURROGATES.search(text):
        try:
            value = _QUICK.decode(text)
        except (_Refused, ValueError, RecursionError):
            pass
        else:
            if not _too_deep(value):
                return JsonText(value, text, source)
    return _located(text, source)


def decode(data: bytes, source: str) -> str:
    """UTF-8 bytes (with or without a byte-order mark) to text, or an error naming the first bad byte."""
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            f"the file is larger than {MAX_BYTES:,} bytes, the most a scenario may have "
            "(documented in docs/scenarios.md)",
            source=source,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", errors="replace")
        line, column = line_column(before, len(before))
        raise ScenarioError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02X} ({exc.reason}); save the file as UTF-8",
            source=source,
            line=line,
            column=column,
        ) from None
