"""rpc_impersonation: an explainable reference engine for Windows RPC/COM client impersonation.

Describe a world, make calls, act inside the server, follow a chain, and ask why:

>>> from rpc_impersonation import World, Binding, Chain, Hop, Access, evaluate
>>> w = World("CORP")
>>> for m in ("WS1", "SRVA", "SRVB"): w.machine(m)
>>> w.account("alice"); w.account("svc_a", trusted_for_delegation=True); w.account("svc_b")
>>> w.process("client", on="WS1", runs_as="alice")
>>> w.process("server_a", on="SRVA", runs_as="svc_a"); w.process("server_b", on="SRVB", runs_as="svc_b")
>>> w.resource("orders.db", on="SRVB", kind="database", allow={"alice": "read"})
>>> kerberos = Binding.of(provider="kerberos", level="delegate", mutual_auth=True)
>>> result = evaluate(w, Chain("client", (Hop("server_a", kerberos),
...                                       Hop("server_b", kerberos.with_(level="impersonate"),
...                                           access=(Access.of("orders.db"),)))))
>>> result.outcome.code_name, result.reached_as("server_b")
('ERROR_SUCCESS (0)', 'CORP\\\\alice')
"""

from . import com, kerberos  # plug-ins: they register with plugins.REGISTRY; the core never imports them
from .binding import Binding, Qos
from .chain import Access, Chain, ChainResult, Hop, evaluate
from .constants import ErrorCode, ImpLevel, Protseq, Provider, TokenLevel
from .decisions import Decision
from .engine import Engine, Options
from .errors import ImpersonationError
from .rules import RULES
from .scenarios import load, load_named
from .world import World

__all__ = [
    "World",
    "Binding",
    "Qos",
    "Engine",
    "Options",
    "Chain",
    "Hop",
    "Access",
    "evaluate",
    "ChainResult",
    "Decision",
    "ImpLevel",
    "TokenLevel",
    "Protseq",
    "Provider",
    "ErrorCode",
    "RULES",
    "ImpersonationError",
    "load",
    "load_named",
]
__version__ = "0.1.0"
