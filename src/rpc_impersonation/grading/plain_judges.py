"""The judges that need no engine: a case's answer against its stored accepted answers (``equals``),
a handler's run against what its trace must show (``handler``), an order of steps (``order``).

Engine-free, so the visible checks in the student's bundle can use them; the engine-backed judges of
the design exercises are in judges.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .verdicts import Failed, Runner

__all__ = ["JUDGES", "normalized"]


def normalized(value: Any) -> Any:
    """Compare answers as JSON data: tuples are lists, strings lose surrounding blanks."""
    value = json.loads(json.dumps(value, sort_keys=True, default=str))
    return _strip(value)


def _strip(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()}
    return value


def _key(value: Any) -> str:
    return json.dumps(normalized(value), sort_keys=True)


def _show_call(data: dict) -> str:
    args = ", ".join(repr(a) for a in data.get("args", []))
    text = f"{data['call']}({args})"
    if data.get("field") is not None:
        text += f"[{data['field']!r}]"
    return text


_MISSING = object()


#: id(case data) -> (the data, its accepted answers' keys, {a wrong answer's key: its misconception}); the
#: data is kept so an id is never reused while its entry lives (cleared when it grows past _KEYS_KEPT)
_ANSWER_KEYS: dict[int, tuple[dict, frozenset[str], dict[str, str]]] = {}


_KEYS_KEPT = 20000


def _answer_keys(data: dict) -> tuple[frozenset[str], dict[str, str]]:
    """The keys of a case's accepted and known wrong answers, computed once per case."""
    hit = _ANSWER_KEYS.get(id(data))
    if hit is None or hit[0] is not data:
        if len(_ANSWER_KEYS) > _KEYS_KEPT:
            _ANSWER_KEYS.clear()
        hit = (data, frozenset(_key(a) for a in data["accepted"]), {_key(v): m for v, m in data.get("wrong", [])})
        _ANSWER_KEYS[id(data)] = hit
    return hit[1], hit[2]


def _equals(run: Runner, data: dict) -> None:
    """The default judge: the student's answer (or one field of it) must be one of the accepted answers."""
    caller = run.drive if data.get("drive") else run
    got = caller(data["call"], *data.get("args", []))
    fld = data.get("field")
    if fld is not None:
        if isinstance(fld, int):
            if not isinstance(got, (list, tuple)) or not -len(got) <= fld < len(got):
                raise Failed(
                    "wrong shape",
                    misconception="wrong-shape",
                    what=f"{data['call']} must return a list with one entry per item; it returned {got!r}",
                    got=got,
                )
            got = got[fld]
        else:
            if not isinstance(got, dict):
                raise Failed(
                    "wrong shape",
                    misconception="wrong-shape",
                    got=got,
                    what=f"{data['call']} must return a dict; it returned {type(got).__name__}",
                )
            got = got.get(fld, _MISSING)
            if got is _MISSING:
                raise Failed(
                    "missing key",
                    misconception="wrong-shape",
                    got=None,
                    what=f"{_show_call(data)}: the key {fld!r} is missing",
                )
    try:
        key = _key(got)
    except (TypeError, ValueError):
        raise Failed(
            "unusable", misconception="wrong-shape", what=f"{_show_call(data)}: not plain data", got=repr(got)
        ) from None
    accepted, wrong = _answer_keys(data)
    if key in accepted:
        return
    what = _show_call(data)
    expected = data["accepted"][0] if len(data["accepted"]) == 1 else data["accepted"]
    raise Failed(
        f"{what}: your code returned {got!r}.",
        misconception=wrong.get(key, data.get("misconception", "")),
        rule=data.get("rule", ""),
        section=data.get("section", ""),
        got=got,
        expected=expected,
        what=what,
        right=data.get("right", ""),
    )


def _handler(run: Runner, data: dict) -> None:
    """A handler's run for one client: its return code, and what its action trace shows (no engine needed:
    whether the client's impersonation succeeds is stored with the case)."""
    client = data["args"][0]
    done = run.drive("handler", client)
    if not isinstance(done, dict):
        raise Failed("wrong shape", misconception="wrong-shape", what="handle_request", got=done)
    aspect, what = data["aspect"], f"handle_request for the {client} client"
    fields = dict(rule=data.get("rule", ""), section=data.get("section", ""), what=what, right=data.get("right", ""))
    if aspect == "code":
        returned = done.get("returned")
        if returned not in data["accepted"]:
            wrong = {str(v): m for v, m in data.get("wrong", [])}
            raise Failed(
                what,
                misconception=wrong.get(str(returned), data.get("misconception", "")),
                got=returned,
                expected=data["accepted"][0],
                **fields,
            )
        return
    impersonating, as_server = False, []
    for action in done.get("trace", []):
        name = action[0] if isinstance(action, list) and action else str(action)
        if name == "impersonate":
            impersonating = bool(data["impersonation_ok"]) and action[1:2] in (["call"], ["0"])
        elif name in ("revert", "revert_ex"):
            impersonating = False
        elif name in ("open", "access_check") and not impersonating:
            as_server.append(str(action[1]) if len(action) > 1 else "?")
    attempted = any(isinstance(a, list) and a[:1] == ["impersonate"] for a in done.get("trace", []))
    if aspect in ("as-server", "reverts") and not attempted:
        fields["what"] = f"{what} never impersonated the caller"
        raise Failed(
            fields["what"],
            misconception="order-work-before-impersonate",
            **{**fields, "rule": "R17", "section": "01.cycle"},
        )
    if aspect == "as-server" and as_server:
        fields["what"] = f"{what} opened {as_server[0]} while not impersonating"
        raise Failed(fields["what"], misconception="failure-is-harmless", **fields)
    if aspect == "reverts" and impersonating:
        fields["what"] = f"{what} returned while still impersonating"
        raise Failed(fields["what"], misconception="auto-revert", **fields)


def _order(run: Runner, data: dict) -> None:
    """An order of steps: a permutation of ``data["steps"]`` keeping every ``before`` constraint
    (``[earlier, later, misconception, rule, section]``); the first broken constraint is the feedback."""
    got = run(data["call"], *data.get("args", []))
    what = _show_call(data)
    steps = data["steps"]
    if not isinstance(got, (list, tuple)) or sorted(map(str, got)) != sorted(steps):
        raise Failed(
            what, what=f"{what} must return each of {steps} exactly once", misconception="wrong-shape", got=got
        )
    got = [str(g) for g in got]
    for earlier, later, misconception, rule, section in data["before"]:
        if got.index(earlier) > got.index(later):
            raise Failed(
                what,
                what=f"{what}: {later!r} comes before {earlier!r}",
                misconception=misconception,
                rule=rule,
                section=section,
            )


#: Judges a case can name (``"judge": name``); engine-free, so visible checks can use them.
JUDGES: dict[str, Callable[[Runner, dict], None]] = {"equals": _equals, "handler": _handler, "order": _order}
