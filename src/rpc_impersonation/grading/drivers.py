"""Trusted code that runs inside the sandbox and calls the student's code with engine objects.

Drivers report plain data only. For the handler exercise they report *what the handler did*
(an action trace); the grader replays that trace on its own engine, so nothing the student's code
does inside the sandbox can change the consequences the grade is based on.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from ..errors import ImpersonationError
from ..scenarios import load_named
from .worlds import serve

__all__ = ["DRIVERS", "forbid", "forbidden", "thread_proxy", "snapshot"]

_PRISTINE: dict[str, object] = {}
_API = ("rpc_impersonate_client", "rpc_revert_to_self", "rpc_revert_to_self_ex", "open", "access_check")


def snapshot() -> None:
    """Remember the engine's thread API before the student's module is imported."""
    from ..engine import ServerThread

    for name in _API:
        _PRISTINE[name] = getattr(ServerThread, name)


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
        raise NotAllowed(f"{_name} is not allowed in this exercise; use the engine's primitives "
                         "(Engine, ServerThread) instead")
    setattr(owner, name, refused)


@contextmanager
def forbidden(names: tuple[str, ...], namespaces: tuple[dict, ...] = ()) -> Iterator[None]:
    """Forbid ``names`` while the block runs, then put the originals back (for graders sharing a process).

    Code that imported a forbidden function before the block holds its own reference; entries of
    ``namespaces`` (a notebook's globals) bound to a forbidden original are swapped for the block too.
    """
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


def _result(decision) -> SimpleNamespace:
    """What the handler sees of an API result: read-only copies, no engine objects."""
    code = getattr(decision, "code", None)
    return SimpleNamespace(ok=bool(getattr(decision, "ok", False)), code=int(code) if code is not None else -1,
                           code_name=getattr(code, "name", str(code)), sentence=str(getattr(decision, "sentence", "")))


def thread_proxy(thread, trace: list):
    """The server thread as the handler sees it: the RPC-like API, each use recorded in ``trace``."""
    impersonate, revert, revert_ex, open_, check = (
        _PRISTINE.get(name, getattr(type(thread), name)).__get__(thread) for name in _API)
    handle = thread.call_handle
    call_handle = object()

    def rpc_impersonate_client(h=0):
        trace.append(["impersonate", "call" if h is call_handle else str(h)])
        return _result(impersonate(handle if h is call_handle else h))

    def rpc_revert_to_self():
        trace.append(["revert"])
        return _result(revert())

    def rpc_revert_to_self_ex(h=0):
        trace.append(["revert_ex", "call" if h is call_handle else str(h)])
        return _result(revert_ex(handle if h is call_handle else h))

    def open(resource, right="read"):  # noqa: A001 - mirrors the engine's name
        trace.append(["open", str(resource), str(right)])
        return _result(open_(resource, right))

    def access_check(resource, right="read"):
        trace.append(["access_check", str(resource), str(right)])
        return _result(check(resource, right))

    return SimpleNamespace(rpc_impersonate_client=rpc_impersonate_client, rpc_revert_to_self=rpc_revert_to_self,
                           rpc_revert_to_self_ex=rpc_revert_to_self_ex, open=open, access_check=access_check,
                           call_handle=call_handle)


def drive_handler(module, client: str):
    handler = getattr(module, "handle_request", None)
    if handler is None:
        raise AttributeError("function handle_request() is missing")
    _, thread = serve(client)
    trace: list = []
    returned = handler(thread_proxy(thread, trace))
    return {"returned": returned, "trace": trace}


_SCENARIOS: dict = {}


def drive_trace(module, scenario: str, chain: str):
    fn = getattr(module, "trace", None)
    if fn is None:
        raise AttributeError("function trace() is missing")
    if scenario not in _SCENARIOS:
        _SCENARIOS[scenario] = load_named(scenario)
    s = _SCENARIOS[scenario]
    c = s.chain(chain)
    return fn(s.world, c.client, [(h.server, h.binding) for h in c.hops])


DRIVERS = {"handler": drive_handler, "trace": drive_trace}
