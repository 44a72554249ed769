"""What the engine's decision tables share: their effect types, the names their sentences may use,
the fact domains and the table builder. The tables are in :mod:`.tables` and :mod:`.thread_tables`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .constants import ApiFamily, ErrorCode, ImpLevel, Protseq, Provider, TokenLevel
from .rules import DecisionTable, Row

__all__ = [
    "Effect",
    "Grant",
    "Arrival",
    "Delegation",
    "Session",
    "Arrives",
    "Outcome",
    "Package",
    "Mutual",
    "CONTEXT_FIELDS",
    "engine_table",
]


class Effect(enum.Enum):
    """Base of the tables' named effects; prints as its value (notebook 05 lists rows with their effects)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Grant(Effect):
    """LEVEL_DEFAULT: where the granted level comes from when it is not a fixed level."""

    MACHINE = "machine"  # the machine-wide COM default (R6)
    COMPLUS = "complus"  # the COM+ application's own setting (R6)
    AS_ASKED = "as asked"


class Arrival(Effect):
    """ARRIVAL_LEVEL, when the level is not changed to a fixed one."""

    AS_ASKED = "as asked"
    NO_QOS = "no qos"  # an unauthenticated call carries no QOS: the level is never sent (R4)


class Delegation(Effect):
    """DELEGATION's outcome, and the CREDENTIALS table's fact about it."""

    NONE = "none"  # Delegate was not asked for
    LOCAL = "local"
    DELEGATED = "delegated"
    REFUSED = "refused"


class Session(Effect):
    """CREDENTIALS: which logon session the delivered token has."""

    SHARED = "shared"  # the caller's own logon session
    DELEGATED = "delegated"  # a new session holding forwarded credentials
    NONE = "none"  # a network logon without reusable credentials


class Arrives(Effect):
    """OUTBOUND: as whom the thread's token arrives."""

    AS_TOKEN = "as token"
    ANONYMOUS = "anonymous"  # as ANONYMOUS LOGON (A16, M2)


class Outcome(Effect):
    """What a table decides when it lets the action go on (refusals are ErrorCodes)."""

    OK = "ok"
    IDENTIFY = "identify"  # RpcImpersonateClient succeeds with an Identify-level token (R9)
    DOWNGRADE = "downgrade"  # Delegate refused, the call goes on at Impersonate (R20)
    ACCEPT = "accept"
    REVERTED = "reverted"
    EVALUATE = "evaluate"
    ALLOWED = "allowed"


@dataclass(frozen=True)
class Package:
    """The PROVIDER table's effect: the package that runs, or the error that refuses the call (its own field)."""

    provider: Provider = Provider.NONE
    transport: bool = False  # no package, but the protocol sequence carries the caller's identity itself (R5)
    error: ErrorCode | None = None


@dataclass(frozen=True)
class Mutual:
    """The MUTUAL_AUTH table's effect: whether mutual authentication is in force, and the error if it failed."""

    in_force: bool
    error: ErrorCode | None = None


#: The names a row's sentence may use; the engine fills them from the situation.
CONTEXT_FIELDS = (
    "caller",
    "server",
    "client",
    "server_account",
    "machine",
    "caller_machine",
    "level",
    "requested",
    "provider",
    "requested_provider",
    "protseq",
    "api",
    "default_level",
    "target",
    "resource",
    "right",
    "handle",
)

B = (True, False)
LEVELS = (ImpLevel.ANONYMOUS, ImpLevel.IDENTIFY, ImpLevel.IMPERSONATE, ImpLevel.DELEGATE)
LOW = {ImpLevel.ANONYMOUS, ImpLevel.IDENTIFY}
# Tables about a token the thread holds are keyed on TokenLevel, never on the request enum (R1).
TOKEN_LEVELS = tuple(TokenLevel)
TOKEN_LOW = {TokenLevel.ANONYMOUS, TokenLevel.IDENTIFICATION}
HIGH = {ImpLevel.IMPERSONATE, ImpLevel.DELEGATE}
REMOTE_PROTSEQS = {Protseq.NCACN_IP_TCP, Protseq.NCACN_NP}
AUTH_PROVIDERS = (Provider.NONE, Provider.NTLM, Provider.KERBEROS)
COMISH = {ApiFamily.COM, ApiFamily.COMPLUS}


def engine_table(
    name: str, facts: dict, rows: list[Row], ordered: bool = False, effect: type | tuple[type, ...] = ()
) -> DecisionTable:
    """A core table: its rows' sentences may use :data:`CONTEXT_FIELDS`, its effects are ``effect``."""
    return DecisionTable(name, facts, rows, ordered=ordered, context=CONTEXT_FIELDS, effect=effect)
