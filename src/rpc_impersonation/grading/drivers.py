"""Drivers: tests that call the student's code with engine objects, without the engine in the sandbox.

In the sandbox the student's code gets stand-ins built from plain data (see ``harness.py``): the
handler exercise gets a thread whose every API call is sent back here, run on the grader's own
engine and answered with plain data; the trace exercise gets a world rebuilt from the scenario's
data. What is graded (the action trace, the engine's final state) is recorded here, so nothing the
student's code does inside the sandbox changes it.

``DRIVERS`` keeps the older in-process form (the student's module and engine objects in one
process) for the nbgrader export, which has no sandbox.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import ImpersonationError
from .worlds import serve

__all__ = ["SANDBOX_DRIVERS", "HandlerDriver", "TraceDriver", "DRIVERS", "forbid", "forbidden", "thread_proxy"]

_API = ("rpc_impersonate_client", "rpc_revert_to_self", "rpc_revert_to_self_ex", "open", "access_check")


def _answer(decision) -> dict[str, Any]:
    code = getattr(decision, "code", None)
    return {
        "ok": bool(getattr(decision, "ok", False)),
        "code": int(code) if code is not None else -1,
        "code_name": getattr(code, "name", str(code)),
        "sentence": str(getattr(decision, "sentence", ""))[:500],
    }


class HandlerDriver:
    """``run.drive("handler", client)``: the student's handler serves one call of ``client``.

    Returns ``{"returned": what the handler returned, "trace": the API calls it made}``; the calls
    were made on this driver's engine, whose thread is kept as ``self.thread`` (its final state).
    """

    MAX_CALLS = 200
    callbacks = True  # the handler's API calls come back to this driver while it runs

    def __init__(self, client: str) -> None:
        self.engine, self.thread = serve(client)
        self.trace: list[list[str]] = []

    def request(self) -> list[Any]:
        return []

    def callback(self, name: str, args: list[Any]) -> dict[str, Any]:
        if name not in _API or not all(isinstance(a, str) and len(a) <= 200 for a in args) or len(args) > 2:
            return {"ok": False, "code": -1, "code_name": "INVALID_CALL", "sentence": f"{name} is not an API call"}
        if len(self.trace) >= self.MAX_CALLS:
            return {
                "ok": False,
                "code": -1,
                "code_name": "TOO_MANY_CALLS",
                "sentence": f"more than {self.MAX_CALLS} API calls in one request",
            }
        thread = self.thread
        if name in ("rpc_impersonate_client", "rpc_revert_to_self_ex"):
            handle = args[0] if args else "0"
            self.trace.append(["impersonate" if name == "rpc_impersonate_client" else "revert_ex", handle])
            method = thread.rpc_impersonate_client if name == "rpc_impersonate_client" else thread.rpc_revert_to_self_ex
            return _answer(method(thread.call_handle if handle == "call" else 0))
        if name == "rpc_revert_to_self":
            self.trace.append(["revert"])
            return _answer(thread.rpc_revert_to_self())
        resource, right = (list(args) + ["read"])[:2] if args else ("", "read")
        self.trace.append([name, resource, right])
        try:
            return _answer(getattr(thread, name)(resource, right))
        except ImpersonationError as exc:
            return {"ok": False, "code": -1, "code_name": "INVALID_ARGUMENT", "sentence": str(exc)[:300]}

    def finish(self, value: Any) -> dict[str, Any]:
        return {"returned": value, "trace": self.trace}


class TraceDriver:
    """``run.drive("trace", scenario, chain)``: the student's ``trace(world, client, hops)`` on a scenario.

    The sandbox gets the scenario's world as the plain data it is written in and rebuilds it.
    """

    callbacks = False  # one request, one reply: it can be sent with others (see session.py)

    def __init__(self, scenario: str, chain: str) -> None:
        self.spec = _trace_spec(scenario, chain)

    def request(self) -> list[Any]:
        return [self.spec]

    def callback(self, name: str, args: list[Any]) -> Any:
        return None

    def finish(self, value: Any) -> Any:
        return value


@lru_cache(maxsize=256)
def _trace_spec(scenario: str, chain: str) -> dict[str, Any]:
    from ..scenarios import load_named

    s = load_named(scenario)  # validates the scenario; its file is the plain data the sandbox gets
    s.chain(chain)
    from .. import scenarios

    path = Path(s.source)
    if not path.is_file():
        path = Path(scenarios.__file__).parent / "data" / path.name
    doc = json.loads(path.read_text(encoding="utf-8"))
    node = next(c for c in doc["chains"] if c["name"] == chain)
    return {
        "name": doc["name"],
        "world": doc["world"],
        "client": node["client"],
        "hops": [[h["server"], h.get("binding", {})] for h in node["hops"]],
    }


SANDBOX_DRIVERS = {"handler": HandlerDriver, "trace": TraceDriver}


# --- in-process drivers (nbgrader export only: no sandbox there) ----------------------------------------------
class NotAllowed(ImpersonationError):
    pass


def _owner(dotted: str) -> tuple[object, str]:
    """The object holding the last name of ``dotted`` (module.attr or module.Class.attr), and that name."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:-1]:
            owner = getattr(owner, attr)
        return owner, parts[-1]
    raise ImpersonationError(f"cannot forbid {dotted!r}: no such module")


def forbid(dotted: str) -> None:
    """Replace a function (module.attr or module.Class.attr) with one that explains it is off limits."""
    owner, name = _owner(dotted)

    def refused(*_a, _name=dotted, **_k):
        raise NotAllowed(
            f"{_name} is not allowed in this exercise; use the engine's primitives (Engine, ServerThread) instead"
        )

    setattr(owner, name, refused)


@contextmanager
def forbidden(names: tuple[str, ...], namespaces: tuple[dict, ...] = ()) -> Iterator[None]:
    """Forbid ``names`` while the block runs, then put the originals back (for graders sharing a process)."""
    saved = [(owner, name, getattr(owner, name)) for owner, name in map(_owner, names)]
    for dotted in names:
        forbid(dotted)
    swaps = {id(original): getattr(owner, name) for owner, name, original in saved}
    rebound = [(ns, key, value) for ns in namespaces for key, value in list(ns.items()) if id(value) in swaps]
    for ns, key, value in rebound:
        ns[key] = swaps[id(value)]
    try:
        yield
    finally:
        for ns, key, value in rebound:
            ns[key] = value
        for owner, name, original in saved:
            setattr(owner, name, original)


def _result(answer: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(**answer)


def thread_proxy(driver: HandlerDriver):
    """The server thread as an in-process handler sees it: the same calls as in the sandbox, plain results."""
    call_handle = "call"

    def ask(name, *args):
        return _result(driver.callback(name, [call_handle if a is call_handle else str(a) for a in args]))

    return SimpleNamespace(
        rpc_impersonate_client=lambda h=0: ask("rpc_impersonate_client", h),
        rpc_revert_to_self=lambda: ask("rpc_revert_to_self"),
        rpc_revert_to_self_ex=lambda h=0: ask("rpc_revert_to_self_ex", h),
        open=lambda resource, right="read": ask("open", resource, right),
        access_check=lambda resource, right="read": ask("access_check", resource, right),
        call_handle=call_handle,
    )


def drive_handler(module, client: str):
    handler = getattr(module, "handle_request", None)
    if handler is None:
        raise AttributeError("function handle_request() is missing")
    driver = HandlerDriver(client)
    return driver.finish(handler(thread_proxy(driver)))


def drive_trace(module, scenario: str, chain: str):
    from ..scenarios import load_named

    fn = getattr(module, "trace", None)
    if fn is None:
        raise AttributeError("function trace() is missing")
    s = load_named(scenario)
    c = s.chain(chain)
    return fn(s.world, c.client, [(h.server, h.binding) for h in c.hops])


#: driver name -> driver(module, *plain args)
DRIVERS: dict[str, Callable[..., Any]] = {"handler": drive_handler, "trace": drive_trace}
