"""The engine: one world, one set of options; it decides calls and hands out server threads.

>>> from rpc_impersonation.scenarios import seed_delegation_world
>>> world = seed_delegation_world()
>>> engine = Engine(world)
>>> client = engine.thread("client")
>>> served = client.call("server_a", Binding.of(provider="kerberos", level="delegate", mutual_auth=True))
>>> served.decision.identity_seen
'CORP\\\\alice'
>>> server = served.thread
>>> server.rpc_impersonate_client().code_name
'RPC_S_OK (0)'
>>> server.acting_as
'CORP\\\\alice'
>>> server.rpc_revert_to_self().code_name
'RPC_S_OK (0)'
>>> server.acting_as
'CORP\\\\svc_a'

The call itself is the pipeline of named steps in :mod:`.call`; the thread's API is in :mod:`.thread`;
COM and Kerberos (beyond the seeds) attach through :mod:`.plugins`. Taught in
notebooks/01_security_context.ipynb.
"""

from __future__ import annotations

from typing import Any

from .binding import Binding
from .call import CallFacts, decide_call
from .constants import ErrorCode
from .decisions import CallDecision
from .errors import InvalidValueError
from .options import Options
from .plugins import REGISTRY, EngineState, PluginAttributes
from .thread import BindingHandle, CallHandle, ServedCall, ServerThread
from .tokens import Token
from .world import Process, World

__all__ = ["Options", "Engine", "ServerThread", "ServedCall", "CallHandle", "BindingHandle"]

_SUCCESS = ErrorCode.ERROR_SUCCESS
_REMEMBERED_CALLS = 65_536  # bound on remembered call decisions per engine; the memo starts afresh beyond it


class Engine(PluginAttributes, operations=REGISTRY.engine_operations, state=REGISTRY.engine_state):
    """Evaluates calls and thread actions in one world, with one set of :class:`Options`."""

    def __init__(self, world: World, options: Options | None = None, *, remember: bool = True) -> None:
        world.validate()
        self.world = world
        self.options = options or Options()
        self.remember = remember  # reuse decisions of calls made again (see connect); off to measure, or in walks
        self._handles = 0
        self.active: dict[int, ServerThread] = {}
        self._decided: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._decided_version = world.version
        self.process_tokens: dict[tuple[str, str], Token] = {}
        self.state: dict[str, Any] = EngineState()

    def thread(self, process: str) -> ServerThread:
        """A thread in ``process`` that is not serving any call (a client, or a server's worker thread)."""
        return ServerThread(self, self.world.get_process(process), None, None)

    def next_handle(self) -> int:
        self._handles += 1
        return self._handles

    def connect(self, caller: Process, presented: Token, server_name: str, binding: Binding) -> ServedCall:
        """Decide what happens when ``caller`` calls ``server_name`` presenting ``presented``.

        A call decision depends only on the world, the options and these four inputs, so the
        engine remembers it: the same call made again (same caller, the same token, server and
        binding) reuses the decision and only gets a fresh call handle and server thread. Any
        change to the world through its methods forgets every remembered decision.
        """
        if not isinstance(binding, Binding):
            raise InvalidValueError("binding", binding, "a Binding (use Binding.of(...))", what="invalid")
        if self.remember:
            decision, server = self._remembered(caller, presented, server_name, binding)
        else:  # every decision from scratch (measurements, walks that memoise themselves)
            world = self.world
            found = world.processes.get(server_name.lower()) if type(server_name) is str else None
            server = found if found is not None else world.get_process(server_name)  # raises if there is none
            decision = decide_call(CallFacts.of(world, self.options, caller, presented, server, binding))
        if decision.code is not _SUCCESS:
            return ServedCall(decision, None)
        self._handles = number = self._handles + 1  # a fresh call handle and server thread for the accepted call
        thread = ServerThread(self, server, CallHandle.of(number, caller.name, server.name), decision)
        self.active[number] = thread
        return ServedCall(decision, thread)

    def _remembered(
        self, caller: Process, presented: Token, server_name: str, binding: Binding
    ) -> tuple[CallDecision, Process]:
        """The decision of this call made before (same caller, token, server and binding), else a new one."""
        world = self.world
        if self._decided_version != world.version:
            self._decided.clear()
            self._decided_version = world.version
        key = (caller.name, presented, server_name, binding)
        entry = self._decided.get(key)
        if entry is None or entry[0] is not caller or entry[1] is not presented.origin:
            decision, server = self._decide_call(caller, presented, world.get_process(server_name), binding)
            if len(self._decided) >= _REMEMBERED_CALLS:
                self._decided.clear()
            self._decided[key] = (caller, presented.origin, decision, server)
            return decision, server
        return entry[2], entry[3]

    def _decide_call(
        self, caller: Process, presented: Token, server: Process, binding: Binding
    ) -> tuple[CallDecision, Process]:
        """The call decision itself: a pure function of the world, the options and the inputs (:mod:`.call`)."""
        facts = CallFacts.of(self.world, self.options, caller, presented, server, binding)
        return decide_call(facts), server
