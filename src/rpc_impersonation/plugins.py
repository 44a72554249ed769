"""How plug-ins attach to the core. The core never imports a plug-in; a plug-in imports this module and
registers what it adds, and the package's ``__init__`` imports the plug-ins (``com``, ``kerberos``).

What a plug-in can add:

* ``call_handlers[api]``: makes the calls of one API family (COM, COM+) from a thread, instead of the
  core's plain RPC call; ``bind_hooks[api]``: what binding a handle of that family captures;
* ``thread_operations[name]`` / ``engine_operations[name]``: methods reachable as ``thread.name(...)``
  or ``engine.name(...)`` (the function gets the thread or engine first);
* ``thread_state[name]`` / ``engine_state[name]``: a factory for per-thread or per-engine state, read as
  ``thread.name`` and kept in ``thread.state``;
* ``end_of_call`` / ``on_revert``: hooks when a handler returns (first non-None decision wins) or the
  thread reverts;
* ``credential_sources``: other ways a token without credentials may still authenticate to a target
  (Kerberos S4U2proxy); ``delegation_trust``: adjusts a server account's delegation trust;
  ``network_session``: extra data a network logon session carries;
* ``tables``: the plug-in's decision tables, checked at import like the core's (listed for tests and docs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .constants import ApiFamily
from .errors import ImpersonationError
from .reason import Reason
from .rules import DecisionTable

__all__ = ["Registry", "REGISTRY", "Attached", "PluginAttributes", "PluginState", "ThreadState", "EngineState"]

#: (token, world, options, target machine, target account) -> (usable, reason), or None when not applicable.
CredentialSource = Callable[[Any, Any, Any, str, "str | None"], "tuple[bool, Reason] | None"]
#: (server account, options) -> (trust, reasons), or None to leave the trust as it is.
DelegationTrust = Callable[[Any, Any], "tuple[str, tuple[Reason, ...]] | None"]
#: (world, options, server account, provider) -> extra data for the network logon session, or None.
NetworkSession = Callable[[Any, Any, Any, Any], object]


class Attached(dict[str, Any]):
    """A registry table whose entries also become attributes of the core classes it serves.

    An operation becomes a method (``thread.co_impersonate_client()``); a state entry a property that
    reads ``obj.state[name]``. They are real class attributes, installed when registered: a class with a
    ``__getattr__`` fallback would make every attribute read on engines and threads several times slower.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind  # "operation" or "state"
        self.owners: list[type] = []

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        for owner in self.owners:
            self._install(owner, name)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def serve(self, owner: type) -> None:
        """Make this table's entries, now and later, attributes of ``owner``."""
        self.owners.append(owner)
        for name in self:
            self._install(owner, name)

    def _install(self, owner: type, name: str) -> None:
        installed = _installed(owner)
        if name not in installed and hasattr(owner, name):
            raise ImpersonationError(f"a plug-in cannot add {name!r} to {owner.__name__}: it has one already")
        installed.add(name)
        setattr(owner, name, self[name] if self.kind == "operation" else _state_property(name))


def _installed(owner: type) -> set[str]:
    names: set[str] | None = owner.__dict__.get("_plugin_names")
    if names is None:
        names = set()
        type.__setattr__(owner, "_plugin_names", names)
    return names


def _state_property(name: str) -> property:
    return property(lambda obj: obj.state[name], doc=f"Plug-in state {name!r} (kept in ``state``).")


@dataclass
class Registry:
    """Everything the plug-ins registered (one per process: :data:`REGISTRY`)."""

    call_handlers: dict[ApiFamily, Callable[..., Any]] = field(default_factory=dict)
    bind_hooks: dict[ApiFamily, Callable[..., Any]] = field(default_factory=dict)
    thread_operations: Attached = field(default_factory=lambda: Attached("operation"))
    thread_state: Attached = field(default_factory=lambda: Attached("state"))
    engine_operations: Attached = field(default_factory=lambda: Attached("operation"))
    engine_state: Attached = field(default_factory=lambda: Attached("state"))
    end_of_call: list[Callable[[Any], Any]] = field(default_factory=list)
    on_revert: list[Callable[[Any], None]] = field(default_factory=list)
    credential_sources: list[CredentialSource] = field(default_factory=list)
    delegation_trust: list[DelegationTrust] = field(default_factory=list)
    network_session: list[NetworkSession] = field(default_factory=list)
    tables: dict[str, DecisionTable] = field(default_factory=dict)

    def add_tables(self, *tables: DecisionTable) -> None:
        for table in tables:
            self.tables[table.name] = table

    def add_hook(self, hooks: list[Any], hook: Any) -> None:
        """Append ``hook`` once (importing a plug-in twice must not run its hooks twice)."""
        name = (hook.__module__, hook.__qualname__)
        hooks[:] = [h for h in hooks if (h.__module__, h.__qualname__) != name] + [hook]


REGISTRY = Registry()


class PluginState(dict[str, Any]):
    """An engine's or a thread's plug-in state (``obj.state``): each entry is made by its registered
    factory the first time it is read, so a new thread costs nothing here."""

    __slots__ = ()
    factories: Attached  # the registry table of factories (set by each kind of state below)

    def __missing__(self, name: str) -> Any:
        make = self.factories.get(name)
        if make is None:
            raise KeyError(name)
        value = self[name] = make()
        return value


class ThreadState(PluginState):
    __slots__ = ()
    factories = REGISTRY.thread_state


class EngineState(PluginState):
    __slots__ = ()
    factories = REGISTRY.engine_state


class PluginAttributes:
    """Operations and state the plug-ins registered, reached as attributes of the core object
    (an engine's ``co_initialize_security``, a thread's ``co_impersonate_client`` or ``com_depth``).

    A core class names its registry tables: ``class Engine(PluginAttributes, operations=..., state=...)``.
    """

    def __init_subclass__(
        cls, operations: Attached | None = None, state: Attached | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        for table in (operations, state):
            if table is not None:
                table.serve(cls)

    if TYPE_CHECKING:  # for the type checker only: the attributes are installed on the class (see Attached)

        def __getattr__(self, name: str) -> Any: ...
