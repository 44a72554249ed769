"""Windows constants the engine uses, with the documented numeric values (R1, R3).

Two level enums are kept apart on purpose (R1): :class:`ImpLevel` is what a client asks for
(RPC_C_IMP_LEVEL_*, 0-4) and :class:`TokenLevel` is what a token carries
(SECURITY_IMPERSONATION_LEVEL, 0-3).

>>> ImpLevel.IMPERSONATE.to_token()
<TokenLevel.IMPERSONATION: 2>
>>> parse(ImpLevel, "impersonation", "level")
Traceback (most recent call last):
...
rpc_impersonation.errors.InvalidValueError: unknown level 'impersonation'; expected one of default, anonymous, identify, impersonate, delegate
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from .errors import ImpersonationError, InvalidValueError

__all__ = [
    "ImpLevel",
    "TokenLevel",
    "Protseq",
    "Provider",
    "AuthnLevel",
    "Tracking",
    "ApiFamily",
    "Cloaking",
    "EoacFlag",
    "QosCapability",
    "AccountFlag",
    "SpnChoice",
    "TargetName",
    "ResourceKind",
    "Right",
    "ErrorCode",
    "parse",
]


class _Named(enum.Enum):
    """Mixin: the lower-case spelling accepted by :func:`parse` and shown to learners."""

    @property
    def key(self) -> str:
        return self._name_.lower()  # _name_ rather than name: this is on every decision's path

    def __str__(self) -> str:
        return self.key


class _Symbol(_Named):
    """Mixin for enums that are not numbers: members are singletons, so they hash by identity.

    Enum's own hash runs Python code on every dictionary lookup, and the decision tables look
    these members up on every decision.
    """

    __hash__ = object.__hash__


class ImpLevel(_Named, enum.IntEnum):
    """RPC_C_IMP_LEVEL_*: the impersonation level a client grants in its QOS (R1)."""

    DEFAULT = 0
    ANONYMOUS = 1
    IDENTIFY = 2
    IMPERSONATE = 3
    DELEGATE = 4

    @property
    def constant(self) -> str:
        return f"RPC_C_IMP_LEVEL_{self.name}"

    def to_token(self) -> TokenLevel:
        """The token level this request turns into (R1: token = rpc - 1); DEFAULT must be resolved first."""
        if self is ImpLevel.DEFAULT:
            raise ImpersonationError("RPC_C_IMP_LEVEL_DEFAULT has no token level; resolve it first (R4-R6)")
        return _TOKEN_LEVELS[self._value_ - 1]


class TokenLevel(_Named, enum.IntEnum):
    """SECURITY_IMPERSONATION_LEVEL: the level an impersonation token carries (R1, R2)."""

    ANONYMOUS = 0
    IDENTIFICATION = 1
    IMPERSONATION = 2
    DELEGATION = 3

    @property
    def constant(self) -> str:
        return "Security" + self.name.capitalize()

    @property
    def label(self) -> str:
        """The level named as the course names it (Anonymous, Identify, Impersonate, Delegate)."""
        return _TOKEN_LABELS[self._value_]

    def to_request(self) -> ImpLevel:
        return _REQUEST_LEVELS[self._value_ + 1]


_TOKEN_LEVELS = tuple(TokenLevel)
_TOKEN_LABELS = ("Anonymous", "Identify", "Impersonate", "Delegate")
_REQUEST_LEVELS = tuple(ImpLevel)


class Protseq(_Symbol):
    """RPC protocol sequences the engine models."""

    NCALRPC = "ncalrpc"
    NCACN_IP_TCP = "ncacn_ip_tcp"
    NCACN_NP = "ncacn_np"

    @property
    def local_only(self) -> bool:
        """Reaches only a server on the caller's own machine (ncalrpc)."""
        return self is Protseq.NCALRPC

    @classmethod
    def remote_names(cls) -> str:
        """The protocol sequences that reach another machine, as a learner reads them ('a or b')."""
        return " or ".join(p.value for p in cls if not p.local_only)


class Provider(_Symbol):
    """Security providers (RPC_C_AUTHN_*). NONE means the client never set authentication."""

    NONE = 0
    NEGOTIATE = 9
    NTLM = 10
    KERBEROS = 16
    DEFAULT = 0xFFFFFFFF

    @property
    def constant(self) -> str:
        return {
            "NONE": "RPC_C_AUTHN_NONE",
            "NEGOTIATE": "RPC_C_AUTHN_GSS_NEGOTIATE",
            "NTLM": "RPC_C_AUTHN_WINNT",
            "KERBEROS": "RPC_C_AUTHN_GSS_KERBEROS",
            "DEFAULT": "RPC_C_AUTHN_DEFAULT",
        }[self.name]

    @property
    def label(self) -> str:
        return _PROVIDER_LABELS[self._name_]


_PROVIDER_LABELS = {
    "NONE": "none",
    "NEGOTIATE": "Negotiate",
    "NTLM": "NTLM",
    "KERBEROS": "Kerberos",
    "DEFAULT": "default",
}


class AuthnLevel(_Named, enum.IntEnum):
    """RPC_C_AUTHN_LEVEL_*."""

    DEFAULT = 0
    NONE = 1
    CONNECT = 2
    CALL = 3
    PKT = 4
    PKT_INTEGRITY = 5
    PKT_PRIVACY = 6


class Tracking(_Named, enum.IntEnum):
    """RPC_C_QOS_IDENTITY_*: when the client's outbound identity is captured."""

    STATIC = 0
    DYNAMIC = 1


class ApiFamily(_Symbol):
    """Which API the client uses; decides what a DEFAULT level means (R4-R6, A1)."""

    RPC = "rpc"
    COM = "com"
    COMPLUS = "complus"

    @property
    def label(self) -> str:
        return _API_LABELS[self._name_]


_API_LABELS = {"RPC": "plain RPC", "COM": "COM client", "COMPLUS": "COM+ server application"}


class QosCapability(enum.IntFlag):
    """RPC_C_QOS_CAPABILITIES_* flags."""

    DEFAULT = 0x0
    MUTUAL_AUTH = 0x1
    MAKE_FULLSIC = 0x2
    ANY_AUTHORITY = 0x4
    IGNORE_DELEGATE_FAILURE = 0x8
    LOCAL_MA_HINT = 0x10
    SCHANNEL_FULL_AUTH_IDENTITY = 0x20


class AccountFlag(enum.IntFlag):
    """userAccountControl bits that govern delegation."""

    TRUSTED_FOR_DELEGATION = 0x00080000
    NOT_DELEGATED = 0x00100000
    TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION = 0x01000000


class Cloaking(_Symbol):
    """COM's cloaking choice on a proxy (beyond the seeds: R32, R33, R35).

    DEFAULT means none for a COM client and dynamic for a COM+ application; BOTH (static and
    dynamic together) is invalid and exists so that the validation can reject it.
    """

    DEFAULT = "default"
    NONE = "none"
    STATIC = "static"
    DYNAMIC = "dynamic"
    BOTH = "both"


class EoacFlag(enum.IntFlag):
    """EOLE_AUTHENTICATION_CAPABILITIES flags used by the COM module."""

    NONE = 0x0
    MUTUAL_AUTH = 0x1
    STATIC_CLOAKING = 0x20
    DYNAMIC_CLOAKING = 0x40


class SpnChoice(_Symbol):
    """The server principal name a client names when it binds (mutual authentication, R21)."""

    CORRECT = "correct"
    WRONG = "wrong"
    NONE = "none"


class TargetName(_Symbol):
    """How the client names the server's machine (Negotiate's choice, R22)."""

    NAME = "name"
    IP = "ip"


class ResourceKind(_Symbol):
    FILE = "file"
    SHARE = "share"
    DATABASE = "database"
    REGISTRY_KEY = "registry_key"


class Right(_Symbol):
    READ = "read"
    WRITE = "write"


class ErrorCode(enum.IntEnum):
    """Win32, RPC and HRESULT codes the engine returns (section 1.8 of the facts)."""

    ERROR_SUCCESS = 0
    ERROR_ACCESS_DENIED = 5
    ERROR_NO_TOKEN = 1008
    ERROR_NO_IMPERSONATION_TOKEN = 1309
    ERROR_PRIVILEGE_NOT_HELD = 1314
    ERROR_BAD_IMPERSONATION_LEVEL = 1346
    ERROR_CANT_OPEN_ANONYMOUS = 1347
    ERROR_CANNOT_IMPERSONATE = 1368
    RPC_S_WRONG_KIND_OF_BINDING = 1701
    RPC_S_INVALID_BINDING = 1702
    RPC_S_NO_CALL_ACTIVE = 1725
    RPC_S_BINDING_HAS_NO_AUTH = 1746
    RPC_S_UNKNOWN_AUTHN_SERVICE = 1747
    RPC_S_UNKNOWN_AUTHN_LEVEL = 1748
    RPC_S_CANNOT_SUPPORT = 1764
    RPC_S_NO_CONTEXT_AVAILABLE = 1765
    RPC_S_SEC_PKG_ERROR = 1825
    E_FAIL = 0x80004005
    E_ACCESSDENIED = 0x80070005
    E_INVALIDARG = 0x80070057
    HRESULT_RPC_S_SEC_PKG_ERROR = 0x80070721
    RPC_E_TOO_LATE = 0x80010119
    SEC_E_UNSUPPORTED_FUNCTION = 0x80090302
    SEC_E_NO_IMPERSONATION = 0x8009030B
    SEC_E_NO_CREDENTIALS = 0x8009030E
    SEC_E_DELEGATION_REQUIRED = 0x80090345

    @property
    def hex(self) -> str:
        """Hex, with HRESULTs grouped as 0x8007_0057 (easier to read, and never mistaken for an address)."""
        if self.value > 0xFFFF:
            return f"0x{self.value >> 16:04X}_{self.value & 0xFFFF:04X}"
        return f"0x{self.value:X}"

    def display(self, rpc_api: bool = False) -> str:
        """'NAME (value)', calling success RPC_S_OK where an RPC function returned it."""
        name = "RPC_S_OK" if (rpc_api and self.value == 0) else self.name
        shown = self.hex if self.value > 0xFFFF else str(self.value)
        return f"{name} ({shown})"


E = TypeVar("E", bound=enum.Enum)


_SPELLINGS: dict[type, dict[str, Any]] = {}


def parse(kind: type[E], value: object, field: str) -> E:
    """Turn a member, its lower-case name (or, for int enums, its number) into a member of ``kind``.

    Raises :class:`InvalidValueError` naming the field, the value and the allowed spellings.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        spellings = _SPELLINGS.get(kind)
        if spellings is None:
            spellings = _SPELLINGS[kind] = {
                **{m.value: m for m in kind if isinstance(m.value, str)},
                **{m.name.lower(): m for m in kind},
            }
        found = spellings.get(value.strip().lower().replace("-", "_").replace(" ", "_"))
        if found is not None:
            return found  # type: ignore[no-any-return]
    elif isinstance(value, int) and not isinstance(value, bool) and issubclass(kind, enum.IntEnum):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = [m.name.lower() if not isinstance(m.value, str) else m.value for m in kind]
    raise InvalidValueError(field, value, allowed)
