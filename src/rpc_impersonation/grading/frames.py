"""The frames between the grader and a sandbox: 4-byte big-endian length, then UTF-8 JSON.

Everything that comes back from a sandbox is read here and checked before the grader looks at it
(size, nesting, UTF-8, the fields each reply must carry); see ``harness.py`` for the other side.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

__all__ = ["SandboxFault", "decode_frame", "MAX_FRAME", "MAX_DEPTH", "HEADER"]

MAX_FRAME = 256 * 1024
MAX_DEPTH = 64
#: a frame's length prefix
HEADER = struct.Struct(">I")


class SandboxFault(Exception):
    """The sandbox or the student's process sent something unreadable, or stopped answering."""

    def __init__(self, message: str, kind: str = "protocol") -> None:
        super().__init__(message)
        self.kind = kind


_OPS: dict[str, dict[str, type]] = {
    "zygote": {"pid": int},
    "ready": {"output": str},
    "import error": {"message": str, "output": str},
    "ok": {"output": str},
    "error": {"kind": str, "message": str, "output": str},
    "callback": {"name": str, "args": list},
    "ended": {},
    "stopped": {},
    "fault": {"message": str},
}
_SURROGATES = re.compile("[\ud800-\udfff]")


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (iteratively: no recursion on the student's data)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _clean(value: Any) -> Any:
    """``value`` with every lone surrogate (unencodable as UTF-8) replaced by U+FFFD; depth already capped."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def decode_frame(data: bytes) -> dict[str, Any]:
    """A frame from the sandbox as a checked dict; SandboxFault for anything else (never a crash).

    Parsed by ``json.loads`` alone (linear; no pre-scan a crafted frame can make quadratic): nesting
    beyond the C parser's recursion guard, integers beyond Python's digit limit and bad UTF-8 are
    refused; the depth is checked on the parsed value; lone surrogates become U+FFFD, so nothing the
    student sent can break a UTF-8 report later."""
    if len(data) > MAX_FRAME:
        raise SandboxFault(f"a reply of {len(data)} bytes (at most {MAX_FRAME} are accepted)")
    try:
        message = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise SandboxFault(f"a reply nested too deeply to read (at most {MAX_DEPTH} levels are accepted)") from None
    except (ValueError, MemoryError) as exc:
        raise SandboxFault(f"an unreadable reply ({type(exc).__name__}: {str(exc)[:200]})") from None
    # both walks are skipped where the text shows they cannot find anything (linear counts, done in C):
    # fewer brackets than the depth limit; no \uD8xx-\uDFxx escape, the only way JSON text that decoded
    # as UTF-8 can carry a lone surrogate
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth(message) > MAX_DEPTH:
        raise SandboxFault(f"a reply nested more than {MAX_DEPTH} levels deep (at most {MAX_DEPTH} are accepted)")
    if b"\\ud" in data or b"\\uD" in data:
        message = _clean(message)
    if not isinstance(message, dict) or message.get("op") not in _OPS:
        raise SandboxFault("a reply that is not one the grader asked for")
    for key, kind in _OPS[message["op"]].items():
        if not isinstance(message.get(key, kind()), kind):
            raise SandboxFault(f"a reply whose field {key!r} is not a {kind.__name__}")
    return message
