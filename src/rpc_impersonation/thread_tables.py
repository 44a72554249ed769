"""The decision tables of a thread acting with its token: reaching a machine as whom (OUTBOUND, also a
step of the call), RpcImpersonateClient, RpcRevertToSelf, AccessCheck and OpenThreadToken.

Tables about a token the thread holds are keyed on :class:`TokenLevel`, never on the request enum (R1).

>>> OUTBOUND.decide(primary=False, level=TokenLevel.IDENTIFICATION, remote=False, credentials=True,
...                 in_scope=True, mode="anonymous_logon").effect.name
'ERROR_BAD_IMPERSONATION_LEVEL'
"""

from __future__ import annotations

from .constants import ErrorCode, TokenLevel
from .effects import TOKEN_LEVELS, TOKEN_LOW, Arrives, B, Outcome
from .effects import engine_table as _table
from .rules import Row

__all__ = ["OUTBOUND", "IMPERSONATE", "REVERT", "ACCESS_CHECK", "OPEN_THREAD_TOKEN", "THREAD_TABLES"]

# R15, M3, R17, R18, M2, A16: acting with the thread's effective token, here or on another machine.
# Effect: "as token", "anonymous" (arrives as ANONYMOUS LOGON) or an error code.
OUTBOUND = _table(
    "outbound identity",
    {
        "primary": B,
        "level": TOKEN_LEVELS,
        "remote": B,
        "credentials": B,
        "in_scope": B,
        "mode": ("anonymous_logon", "client_error"),
    },
    [
        Row(
            "R15",
            ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL,
            {"primary": False, "level": TokenLevel.ANONYMOUS},
            "The thread holds an anonymous-level token: it carries no identity, so it cannot act as anyone and the "
            "attempt fails with ERROR_BAD_IMPERSONATION_LEVEL.",
        ),
        Row(
            "R15",
            ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL,
            {"primary": False, "level": TOKEN_LOW},
            "The thread holds a token for {client} at the {level} level; below Impersonate it cannot act as {client}, "
            "so the attempt fails with ERROR_BAD_IMPERSONATION_LEVEL.",
        ),
        Row(
            "R17",
            Arrives.AS_TOKEN,
            {"remote": False},
            "On its own machine the thread acts as {client}.",
            decisive=False,
        ),
        Row(
            "R18",
            Arrives.AS_TOKEN,
            {"primary": True},
            "The thread is not impersonating, so it uses the process's own credentials ({client}).",
            decisive=False,
        ),
        Row(
            "A16",
            Arrives.ANONYMOUS,
            {"credentials": False, "mode": "anonymous_logon"},
            "The thread's token for {client} has no credentials that work on {target}, so it arrives there as "
            "ANONYMOUS LOGON.",
        ),
        Row(
            "A16",
            ErrorCode.RPC_S_SEC_PKG_ERROR,
            {"credentials": False, "mode": "client_error"},
            "The thread's token for {client} has no credentials that work on {target}; the security package fails at "
            "the client.",
        ),
        Row(
            "M2",
            Arrives.ANONYMOUS,
            {"in_scope": False, "mode": "anonymous_logon"},
            "{client}'s delegated credentials may be used only towards the computers listed for the server; {target} "
            "is not one of them, so the attempt arrives as ANONYMOUS LOGON.",
        ),
        Row(
            "M2",
            ErrorCode.RPC_S_SEC_PKG_ERROR,
            {"in_scope": False, "mode": "client_error"},
            "{client}'s delegated credentials may be used only towards the listed computers, and {target} is not one.",
        ),
        Row(
            "R18",
            Arrives.AS_TOKEN,
            {},
            "The token's logon session holds credentials, so {target} sees {client}.",
            decisive=False,
        ),
    ],
    ordered=True,
    effect=(ErrorCode, Arrives),
)

# R9, R10, A15: RpcImpersonateClient. Effect: error code, "identify" (downgrade) or "ok".
IMPERSONATE = _table(
    "RpcImpersonateClient",
    {
        "handle": ("no call", "own call", "other call", "client binding", "invalid"),
        "context": ("none", "ssp", "transport"),
        "privilege": B,
    },
    [
        Row(
            "R10",
            ErrorCode.RPC_S_NO_CALL_ACTIVE,
            {"handle": "no call"},
            "There is no call on this thread to take a client from.",
        ),
        Row("R10", ErrorCode.RPC_S_INVALID_BINDING, {"handle": "invalid"}, "{handle} is not a valid binding handle."),
        Row(
            "R10",
            ErrorCode.RPC_S_WRONG_KIND_OF_BINDING,
            {"handle": "client binding"},
            "{handle} is a client-side binding handle, not the handle of a call being served.",
        ),
        Row(
            "A15",
            ErrorCode.RPC_S_NO_CONTEXT_AVAILABLE,
            {"context": "none"},
            "The call from {caller} carries no security context (it was not authenticated), so there is nobody to "
            "impersonate.",
        ),
        Row(
            "R9",
            Outcome.IDENTIFY,
            {"privilege": False},
            "{server} runs as {server_account} without SeImpersonatePrivilege, so the call succeeds but the thread only "
            "gets an Identify-level token.",
        ),
        Row("R10", Outcome.OK, {}, "The thread now carries {client}'s token at {level}."),
    ],
    ordered=True,
    effect=(ErrorCode, Outcome),
)

# R13, A12: RpcRevertToSelf / RpcRevertToSelfEx.
REVERT = _table(
    "RpcRevertToSelf",
    {
        "handle": ("no call", "own call", "other call", "client binding", "invalid"),
        "impersonating": B,
    },
    [
        Row(
            "R13",
            ErrorCode.RPC_S_NO_CALL_ACTIVE,
            {"handle": "no call"},
            "There is no call on this thread, so there is nothing to revert.",
        ),
        Row("R13", ErrorCode.RPC_S_INVALID_BINDING, {"handle": "invalid"}, "{handle} is not a valid binding handle."),
        Row(
            "R13",
            ErrorCode.RPC_S_WRONG_KIND_OF_BINDING,
            {"handle": "client binding"},
            "{handle} is a client-side binding handle.",
        ),
        Row(
            "R13",
            Outcome.REVERTED,
            {"impersonating": True},
            "The thread dropped {client}'s token and is {server_account} again.",
        ),
        Row(
            "R13",
            Outcome.REVERTED,
            {},
            "The thread was not impersonating; reverting inside a call still succeeds.",
            fallback=True,
        ),
    ],
    ordered=True,
    effect=(ErrorCode, Outcome),
)

# R16: AccessCheck with the thread's token.
ACCESS_CHECK = _table(
    "AccessCheck",
    {"primary": B, "level": TOKEN_LEVELS},
    [
        Row(
            "R16",
            ErrorCode.ERROR_NO_IMPERSONATION_TOKEN,
            {"primary": True},
            "AccessCheck needs an impersonation token; the thread is not impersonating.",
        ),
        Row(
            "R16",
            ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL,
            {"primary": False, "level": TokenLevel.ANONYMOUS},
            "An anonymous-level token says nothing about the client, so AccessCheck refuses it.",
        ),
        Row(
            "R16",
            Outcome.EVALUATE,
            {"primary": False, "level": {TokenLevel.IDENTIFICATION, TokenLevel.IMPERSONATION, TokenLevel.DELEGATION}},
            "AccessCheck evaluates {resource}'s ACL for {client}.",
        ),
    ],
    effect=(ErrorCode, Outcome),
)


# R15 (and A3): OpenThreadToken on the thread's own impersonation token, to learn who the client is.
OPEN_THREAD_TOKEN = _table(
    "OpenThreadToken",
    {"impersonating": B, "level": TOKEN_LEVELS, "open_as_self": B},
    [
        Row(
            "R15",
            ErrorCode.ERROR_NO_TOKEN,
            {"impersonating": False},
            "The thread is not impersonating, so it has no thread token to open.",
        ),
        Row(
            "R15",
            ErrorCode.ERROR_CANT_OPEN_ANONYMOUS,
            {"level": TokenLevel.ANONYMOUS},
            "An anonymous-level token cannot be opened: it tells the server nothing about the client.",
        ),
        Row(
            "R15",
            ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL,
            {"level": TokenLevel.IDENTIFICATION, "open_as_self": False},
            "Opening an Identify-level token as the client fails; open it as the server (OpenAsSelf) instead.",
        ),
        Row("R16", Outcome.OK, {}, "The thread token names the client: {client}.", fallback=True),
    ],
    ordered=True,
    effect=(ErrorCode, Outcome),
)

THREAD_TABLES = (OUTBOUND, IMPERSONATE, REVERT, ACCESS_CHECK, OPEN_THREAD_TOKEN)
