"""What a world holds: domains, machines, accounts (with their Active Directory delegation settings),
processes and resources with their ACLs, and the well-known principals' names. Built and looked up
through :class:`world.World`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .constants import ImpLevel, ResourceKind, Right

__all__ = [
    "Domain",
    "Machine",
    "Account",
    "Process",
    "Resource",
    "Ace",
    "ANONYMOUS_LOGON",
    "EVERYONE",
    "AUTHENTICATED_USERS",
    "SYSTEM",
    "NETWORK_SERVICE",
    "LOCAL_SERVICE",
]

ANONYMOUS_LOGON = "NT AUTHORITY\\ANONYMOUS LOGON"
EVERYONE = "Everyone"
AUTHENTICATED_USERS = "NT AUTHORITY\\Authenticated Users"
SYSTEM = "NT AUTHORITY\\SYSTEM"
NETWORK_SERVICE = "NT AUTHORITY\\NETWORK SERVICE"
LOCAL_SERVICE = "NT AUTHORITY\\LOCAL SERVICE"


@dataclass(frozen=True)
class Domain:
    """An Active Directory domain; ``trusts`` names the domains it trusts both ways."""

    name: str
    trusts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Machine:
    """A computer. ``domain`` is None for a workgroup machine.

    ``com_default_level`` is the machine-wide COM impersonation level (LegacyImpersonationLevel,
    Identify unless an administrator changes it, R6); ``ignore_delegation_failure`` is the
    machine policy of the same name (R20); ``try_ip_spn`` and ``ip_spn`` govern Kerberos to an
    IP address (R22).
    """

    name: str
    domain: str | None
    com_default_level: ImpLevel = ImpLevel.IDENTIFY
    ignore_delegation_failure: bool = False
    try_ip_spn: bool = False
    ip_spn: bool = False


@dataclass(frozen=True)
class Account:
    """A user, service or computer account with its Active Directory delegation settings.

    ``trusted_for_delegation`` is "trust for delegation to any service"; ``delegate_to`` is
    "trust for delegation to the listed computers only" (the two are exclusive, as in AD).
    ``sensitive`` is "account is sensitive and cannot be delegated"; ``protected_user`` is
    membership of Protected Users. ``local_to`` names the machine of a local (non-domain) account.
    """

    name: str
    domain: str | None
    trusted_for_delegation: bool = False
    delegate_to: tuple[str, ...] = ()
    trusted_to_auth_for_delegation: bool = False
    allowed_to_act_for: tuple[str, ...] = ()
    sensitive: bool = False
    protected_user: bool = False
    groups: tuple[str, ...] = ()
    local_to: str | None = None
    builtin: bool = False

    @cached_property
    def qualified(self) -> str:
        if self.builtin:
            return self.name
        prefix = self.domain if self.domain else self.local_to
        return f"{prefix}\\{self.name}"

    def describe(self) -> str:
        """The account's delegation settings in words."""
        trust = {
            "any": "trusted for delegation to any computer",
            "none": "not trusted for delegation",
            "listed": f"trusted for delegation to {', '.join(self.delegate_to)} only",
        }[self.delegation]
        can = (
            "may be delegated"
            if self.delegable
            else ("in Protected Users: never delegated" if self.protected_user else "sensitive: never delegated")
        )
        return f"{self.qualified}: {trust}; {can}"

    @cached_property
    def delegable(self) -> bool:
        """False for sensitive accounts and Protected Users members (R25)."""
        return not (self.sensitive or self.protected_user)

    @cached_property
    def delegation(self) -> str:
        """'none', 'any' or 'listed': how far this account is trusted to receive delegated identities (R19, M2)."""
        if self.trusted_for_delegation:
            return "any"
        return "listed" if self.delegate_to else "none"


@dataclass(frozen=True)
class Process:
    """A process: the account it runs as, the machine it runs on and what it holds.

    ``impersonate_privilege``: SeImpersonatePrivilege (services hold it by default, R9).
    ``requires_authentication``: the server rejects unauthenticated callers (M1).
    ``complus_default_level``: the impersonation level a COM+ server application uses for its
    own outgoing calls when it sets none (R6).
    """

    name: str
    machine: str
    account: Account
    impersonate_privilege: bool = True
    requires_authentication: bool = False
    complus_default_level: ImpLevel = ImpLevel.IMPERSONATE


@dataclass(frozen=True)
class Ace:
    """One access-control entry: a principal (account, group or well-known name), rights, allow or deny."""

    principal: str
    rights: frozenset[Right]
    allow: bool = True


@dataclass(frozen=True)
class Resource:
    """A securable thing on a machine (file, share, database, registry key) with its ACL."""

    name: str
    machine: str
    kind: ResourceKind
    acl: tuple[Ace, ...] = ()
