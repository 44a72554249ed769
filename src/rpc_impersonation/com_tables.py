"""COM's decision tables (BEYOND THE SEEDS, R32-R38): the proxy blanket, the identity a call presents,
the authentication level, CoInitializeSecurity, CoImpersonateClient and CoRevertToSelf. Used by :mod:`.com`."""

from __future__ import annotations

from typing import Any

from .constants import Cloaking, ErrorCode
from .rules import DecisionTable, Row
from .tables import Effect, Outcome

__all__ = [
    "ComIdentity",
    "AuthnSource",
    "COM_BLANKET",
    "COM_IDENTITY",
    "COM_AUTHN_LEVEL",
    "CO_REVERT",
    "CO_INIT",
    "CO_IMPERSONATE",
    "COM_TABLES",
]

B = (True, False)
_CTX = ("caller", "server", "client", "process_identity", "cloaking", "level", "authn", "server_authn")


class ComIdentity(Effect):
    """COM_IDENTITY: which identity the call presents (R32)."""

    EXPLICIT = "explicit"
    CAPTURED = "captured"
    THREAD = "thread"
    PROCESS = "process"


class AuthnSource(Effect):
    """COM_AUTHN_LEVEL: where the authentication level came from (R34)."""

    NEGOTIATED = "negotiated"
    AS_SET = "as set"


def _table(
    name: str, facts: dict[str, Any], rows: list[Row], effect: type | tuple[type, ...], ordered: bool = True
) -> DecisionTable:
    return DecisionTable(name, facts, rows, ordered=ordered, context=_CTX, effect=effect)


COM_BLANKET = _table(
    "CoSetProxyBlanket",
    {
        "cloaking": (Cloaking.NONE, Cloaking.STATIC, Cloaking.DYNAMIC, Cloaking.BOTH),
        "explicit": B,
        "level_none": B,
        "service_none": B,
    },
    [
        Row(
            "R35",
            ErrorCode.E_INVALIDARG,
            {"cloaking": Cloaking.BOTH},
            "Static and dynamic cloaking cannot be set together; CoSetProxyBlanket returns E_INVALIDARG.",
        ),
        Row(
            "R35",
            ErrorCode.E_INVALIDARG,
            {"cloaking": {Cloaking.STATIC, Cloaking.DYNAMIC}, "explicit": True},
            "Cloaking presents the thread's identity, so it cannot be combined with an explicit identity; "
            "CoSetProxyBlanket returns E_INVALIDARG.",
        ),
        Row(
            "R35",
            ErrorCode.E_INVALIDARG,
            {"level_none": True, "service_none": False},
            "Authentication level NONE with a security service is a contradiction; CoSetProxyBlanket returns "
            "E_INVALIDARG.",
        ),
        Row("R35", Outcome.OK, {}, "The blanket is valid.", decisive=False),
    ],
    (ErrorCode, Outcome),
)

COM_IDENTITY = _table(
    "COM outbound identity",
    {
        "cloaking": (Cloaking.NONE, Cloaking.STATIC, Cloaking.DYNAMIC),
        "explicit": B,
        "impersonating": B,
        "source": ("blanket", "process"),
    },
    [
        Row(
            "R32",
            ComIdentity.EXPLICIT,
            {"cloaking": Cloaking.NONE, "explicit": True},
            "The proxy carries an explicit identity, so the call presents {client}.",
        ),
        # Cloaking comes before "not impersonating": a captured identity outlives a revert.
        Row(
            "R32",
            ComIdentity.CAPTURED,
            {"cloaking": Cloaking.STATIC, "source": "blanket"},
            "Static cloaking set with CoSetProxyBlanket captured the thread's identity when the blanket was set, "
            "{client}, and every call through the proxy presents it.",
        ),
        Row(
            "R32",
            ComIdentity.CAPTURED,
            {"cloaking": Cloaking.STATIC, "source": "process"},
            "Static cloaking from CoInitializeSecurity captured the thread's identity at the proxy's first call, "
            "{client}, and every later call through the proxy presents it.",
        ),
        Row(
            "R32",
            ComIdentity.THREAD,
            {"cloaking": Cloaking.DYNAMIC},
            "Dynamic cloaking presents the thread's current identity on every call: {client}.",
        ),
        Row(
            "R32",
            ComIdentity.PROCESS,
            {"impersonating": False},
            "{caller} is not impersonating, so the call presents its process identity, {process_identity}.",
            decisive=False,
        ),
        Row(
            "R32",
            ComIdentity.PROCESS,
            {"cloaking": Cloaking.NONE},
            "Without cloaking a COM call presents the process identity, {process_identity}, even while the thread "
            "impersonates.",
        ),
    ],
    ComIdentity,
)

COM_AUTHN_LEVEL = _table(
    "COM authentication level",
    {"explicit": B, "below": B},
    [
        Row(
            "R34",
            ErrorCode.E_ACCESSDENIED,
            {"explicit": True, "below": True},
            "{caller}'s proxy set authentication level {authn} with CoSetProxyBlanket. Blanket values are used as "
            "given, never raised, and {server} accepts no call below {server_authn}, so the call is refused with "
            "E_ACCESSDENIED.",
        ),
        Row(
            "R34",
            AuthnSource.NEGOTIATED,
            {"explicit": False},
            "{caller} left the authentication level to COM, so it is the higher of its own and {server}'s: {authn}.",
            decisive=False,
        ),
        Row(
            "R34",
            AuthnSource.AS_SET,
            {},
            "Authentication level {authn}, as the proxy set it; {server} asks for at least {server_authn}.",
            decisive=False,
        ),
    ],
    (ErrorCode, AuthnSource),
)

CO_REVERT = _table(
    "CoRevertToSelf",
    {"com_call": B},
    [
        Row(
            "R37",
            ErrorCode.E_FAIL,
            {"com_call": False},
            "CoRevertToSelf works on the COM call being served on this thread, and there is none, so it fails and "
            "nothing changes: the thread still acts as {client}.",
        ),
        Row(
            "R37",
            Outcome.OK,
            {},
            "CoRevertToSelf ended the impersonation: the thread is {client} again.",
            decisive=False,
        ),
    ],
    (ErrorCode, Outcome),
)

CO_INIT = _table(
    "CoInitializeSecurity",
    {"already": B, "level_default": B, "both_cloaking": B},
    [
        Row(
            "R6",
            ErrorCode.RPC_E_TOO_LATE,
            {"already": True},
            "{caller} already initialised COM security; a second CoInitializeSecurity returns RPC_E_TOO_LATE.",
        ),
        Row(
            "R6",
            ErrorCode.E_INVALIDARG,
            {"level_default": True},
            "CoInitializeSecurity needs a real level; RPC_C_IMP_LEVEL_DEFAULT is refused with E_INVALIDARG.",
        ),
        Row(
            "R35",
            ErrorCode.E_INVALIDARG,
            {"both_cloaking": True},
            "Static and dynamic cloaking cannot be set together; E_INVALIDARG.",
        ),
        Row("R6", Outcome.OK, {}, "{caller}'s COM calls now default to level {level} and {cloaking} cloaking."),
    ],
    (ErrorCode, Outcome),
)

CO_IMPERSONATE = _table(
    "CoImpersonateClient",
    {"com_call": B, "authenticated": B},
    [
        Row(
            "R36",
            ErrorCode.E_FAIL,
            {"com_call": False},
            "CoImpersonateClient needs a COM call being served on this thread; there is none.",
        ),
        Row(
            "R36",
            ErrorCode.E_FAIL,
            {"authenticated": False},
            "The COM call from {caller} was made at authentication level NONE, so there is nobody to impersonate.",
        ),
        Row("R36", Outcome.OK, {}, "CoImpersonateClient impersonated {client}.", decisive=False),
    ],
    (ErrorCode, Outcome),
)

COM_TABLES = (COM_BLANKET, COM_IDENTITY, COM_AUTHN_LEVEL, CO_INIT, CO_IMPERSONATE, CO_REVERT)
