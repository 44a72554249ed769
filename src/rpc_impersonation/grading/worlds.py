"""Worlds and clients the exercises share between the sandbox (to run student code) and the grader
(to compute what should happen). Nothing secret lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from ..world import World

__all__ = ["handler_world", "HANDLER_CLIENTS", "serve", "QOS_TASKS"]

#: Exercise 3: task -> (capability the server needs, where it runs: see rpc_impersonation.capabilities).
QOS_TASKS = {
    "log the caller's name": ("learn the identity", "remote"),
    "check the caller against an ACL": ("check an ACL", "remote"),
    "read a file on the server as the caller": ("open a local resource", "remote"),
    "read a share on a third machine as the caller": ("reach another machine", "remote"),
    "a local service reads a network share as the caller": ("reach another machine", "local"),
    "let the back end call a further machine as the caller": ("let the next server go on", "remote"),
    "a local service checks the caller against an ACL": ("check an ACL", "local"),
}


def handler_world() -> World:
    """A service running as SYSTEM on SRV1; callers on WS1 and a console session on SRV1 itself."""
    from ..world import World  # here, not at the top: student code may import QOS_TASKS without the engine

    w = World("CORP", name="handler")
    w.machine("WS1")
    w.machine("SRV1")
    w.account("alice")
    w.account("bob")
    w.process("remote_alice", on="WS1", runs_as="alice")
    w.process("console_bob", on="SRV1", runs_as="bob")
    w.process("service", on="SRV1", runs_as="SYSTEM")
    w.resource("report.txt", on="SRV1", allow={"alice": "read", "bob": "read", "SYSTEM": "read"})
    w.resource("secret.txt", on="SRV1", allow={"SYSTEM": "read"})
    return w


class ClientBinding(TypedDict, total=False):
    """The plain names of a client's binding (keywords of ``Binding.of``)."""

    protseq: str
    provider: str
    level: str


#: Client name -> (calling process, binding). The service's handler is run once per client.
HANDLER_CLIENTS: dict[str, tuple[str, ClientBinding]] = {
    "unauthenticated": ("remote_alice", ClientBinding(provider="none", level="impersonate")),
    "unauthenticated local": (
        "console_bob",
        ClientBinding(protseq="ncacn_ip_tcp", provider="none", level="impersonate"),
    ),
    "anonymous": ("console_bob", ClientBinding(protseq="ncalrpc", provider="ntlm", level="anonymous")),
    "identify-level": ("remote_alice", ClientBinding(provider="ntlm", level="identify")),
    "well-behaved": ("remote_alice", ClientBinding(provider="ntlm", level="impersonate")),
    "local well-behaved": ("console_bob", ClientBinding(protseq="ncalrpc", provider="ntlm", level="impersonate")),
}


def serve(client: str):
    """A fresh engine and the service thread serving one call from ``client``."""
    from ..binding import Binding
    from ..engine import Engine

    process, binding = HANDLER_CLIENTS[client]
    engine = Engine(handler_world())
    served = engine.thread(process).call("service", Binding.of(**binding))
    return engine, served.thread
