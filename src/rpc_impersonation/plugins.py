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
from functools import partial
from typing import Any

from .constants import ApiFamily
from .reason import Reason
from .rules import DecisionTable

__all__ = ["Registry", "REGISTRY", "PluginAttributes"]

#: (token, world, options, target machine, target account) -> (usable, reason), or None when not applicable.
CredentialSource = Callable[[Any, Any, Any, str, "str | None"], "tuple[bool, Reason] | None"]
#: (server account, options) -> (trust, reasons), or None to leave the trust as it is.
DelegationTrust = Callable[[Any, Any], "tuple[str, tuple[Reason, ...]] | None"]
#: (world, options, server account, provider) -> extra data for the network logon session, or None.
NetworkSession = Callable[[Any, Any, Any, Any], object]


@dataclass
class Registry:
    """Everything the plug-ins registered (one per process: :data:`REGISTRY`)."""

    call_handlers: dict[ApiFamily, Callable[..., Any]] = field(default_factory=dict)
    bind_hooks: dict[ApiFamily, Callable[..., Any]] = field(default_factory=dict)
    thread_operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    thread_state: dict[str, Callable[[], Any]] = field(default_factory=dict)
    engine_operations: dict[str, Callable[..., Any]] = field(default_factory=dict)
    engine_state: dict[str, Callable[[], Any]] = field(default_factory=dict)
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


class PluginAttributes:
    """Operations and state the plug-ins registered, reached as attributes of the core object
    (an engine's ``co_initialize_security``, a thread's ``co_impersonate_client`` or ``com_depth``)."""

    #: Which of the registry's operation tables serves this class ("engine_operations" or "thread_operations").
    plugin_operations: str = ""

    def __getattr__(self, name: str) -> Any:
        operation = getattr(REGISTRY, self.plugin_operations).get(name)
        if operation is not None:
            return partial(operation, self)
        state = self.__dict__.get("state")
        if state is not None and name in state:
            return state[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
