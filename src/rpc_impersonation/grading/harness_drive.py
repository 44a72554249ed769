"""Sandbox-side drivers: plain data in, plain data out, the engine's work done by the grader.

Part of the harness (copied into the sandbox beside ``harness.py``). A driver calls the student's
``handle_request(thread)`` or ``trace(world, client, hops)``; every API call the handler makes goes
back to the grader as a ``callback`` frame.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rpc_impersonation.world import World

__all__ = ["drive_handler", "drive_trace", "DRIVERS"]


class _Result:
    """What an API call returns to the student's handler (built from the grader's plain answer)."""

    def __init__(self, answer):
        answer = answer if isinstance(answer, dict) else {}
        self.ok = bool(answer.get("ok", False))
        self.code = answer.get("code", -1)
        self.code_name = str(answer.get("code_name", ""))
        self.sentence = str(answer.get("sentence", ""))

    def __repr__(self):
        return f"Result(ok={self.ok}, code_name={self.code_name!r})"


class _ThreadProxy:
    """The server thread as the handler sees it: each call is done by the grader, on its own engine."""

    call_handle = "call"

    def __init__(self, ask):
        self._ask = ask

    def rpc_impersonate_client(self, handle=0):
        return _Result(self._ask("rpc_impersonate_client", ["call" if handle == "call" else str(handle)]))

    def rpc_revert_to_self(self):
        return _Result(self._ask("rpc_revert_to_self", []))

    def rpc_revert_to_self_ex(self, handle=0):
        return _Result(self._ask("rpc_revert_to_self_ex", ["call" if handle == "call" else str(handle)]))

    def open(self, resource, right="read"):
        return _Result(self._ask("open", [str(resource)[:200], str(right)[:50]]))

    def access_check(self, resource, right="read"):
        return _Result(self._ask("access_check", [str(resource)[:200], str(right)[:50]]))


def drive_handler(module, args, send, receive):
    handler = getattr(module, "handle_request", None)
    if handler is None:
        raise AttributeError("function handle_request() is missing")

    def ask(name, call_args):
        send(op="callback", name=name, args=call_args)
        answer = receive()
        if answer.get("op") != "answer":
            raise RuntimeError("the grader ended the call")
        return answer.get("value")

    return handler(_ThreadProxy(ask))


_WORLDS: dict[str, World] = {}  # scenario key -> its world


def drive_trace(module, args, send, receive):
    fn = getattr(module, "trace", None)
    if fn is None:
        raise AttributeError("function trace() is missing")
    spec = args[0]
    from rpc_impersonation.binding import Binding

    key = json.dumps([spec.get("name"), spec["world"]], sort_keys=True)
    if key not in _WORLDS:  # one world per scenario, as the grader's own (its derived answers stay warm)
        _WORLDS[key] = _build_world(spec)
    hops = [(server, Binding.of(**binding)) for server, binding in spec["hops"]]
    return fn(_WORLDS[key], spec["client"], hops)


def _build_world(spec):
    from rpc_impersonation.world import World

    node = spec["world"]
    world = World(node.get("domain", "CORP"), name=spec.get("name", "world"))
    for d in node.get("domains", []):
        world.domain(**d)
    for g in node.get("groups", []):
        world.group(g)
    for key, add in (
        ("machines", world.machine),
        ("accounts", world.account),
        ("processes", world.process),
        ("resources", world.resource),
    ):
        for item in node.get(key, []):
            add(**item)
    world.validate()
    return world


#: request name -> driver(module, args, send, receive)
DRIVERS = {"handler": drive_handler, "trace": drive_trace}
