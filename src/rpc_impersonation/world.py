"""The world a scenario happens in: domains, machines, accounts, processes and resources.

>>> w = World("CORP")
>>> w.machine("WS1"); w.machine("SRVA")
>>> w.account("alice"); w.account("svc_a", trusted_for_delegation=True)
>>> w.process("client", on="WS1", runs_as="alice"); w.process("server_a", on="SRVA", runs_as="svc_a")
>>> w.get_process("server_a").account.qualified
'CORP\\\\svc_a'
>>> w.process("server_b", on="SRVB", runs_as="svc_a")
Traceback (most recent call last):
...
rpc_impersonation.errors.InvalidValueError: unknown machine 'SRVB'; expected one of SRVA, WS1

Taught in notebooks/01_security_context.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from .constants import ImpLevel, ResourceKind, Right, parse
from .errors import ImpersonationError, InvalidValueError
from .world_objects import (
    ANONYMOUS_LOGON,
    AUTHENTICATED_USERS,
    EVERYONE,
    LOCAL_SERVICE,
    NETWORK_SERVICE,
    SYSTEM,
    Account,
    Ace,
    Domain,
    Machine,
    Process,
    Resource,
)

__all__ = [
    "World",
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

_BUILTIN_ALIASES = {
    "system": SYSTEM,
    "localsystem": SYSTEM,
    "nt authority\\system": SYSTEM,
    "network service": NETWORK_SERVICE,
    "networkservice": NETWORK_SERVICE,
    "nt authority\\network service": NETWORK_SERVICE,
    "local service": LOCAL_SERVICE,
    "localservice": LOCAL_SERVICE,
    "nt authority\\local service": LOCAL_SERVICE,
}
_WELL_KNOWN_PRINCIPALS = {
    EVERYONE.lower(): EVERYONE,
    "authenticated users": AUTHENTICATED_USERS,
    AUTHENTICATED_USERS.lower(): AUTHENTICATED_USERS,
    "anonymous logon": ANONYMOUS_LOGON,
    ANONYMOUS_LOGON.lower(): ANONYMOUS_LOGON,
}

_T = TypeVar("_T")


def _names(names: Iterable[str] | str) -> tuple[str, ...]:
    """A tuple of names (a single string counts as one); machines named here are checked by validate()."""
    return (names,) if isinstance(names, str) else tuple(names)


def _flag(value: object, field_name: str) -> bool:
    """A setting that is on or off: True or False only ("false" or 0 would silently mean something else)."""
    if not isinstance(value, bool):
        raise InvalidValueError(field_name, value, "True or False", what="invalid")
    return value


def _rights(value: object, field_name: str) -> frozenset[Right]:
    if isinstance(value, (str, Right)):
        parts = [value] if isinstance(value, Right) else [p for p in value.replace(",", " ").split() if p]
    elif isinstance(value, Iterable):
        parts = list(value)
    else:
        raise InvalidValueError(field_name, value, [r.value for r in Right])
    if not parts:
        raise InvalidValueError(field_name, value, "at least one of read, write", what="empty")
    return frozenset(parse(Right, p, field_name) for p in parts)


class World:
    """A mutable description of machines, accounts, processes and resources, checked as it is built."""

    def __init__(self, domain: str | None = "CORP", *, name: str = "world") -> None:
        self.name = name
        self.default_domain = domain
        self.version = 0  # counts changes, so that engines can forget decisions made in an older world
        self._derived: dict[tuple[Any, ...], Any] = {}  # answers derived from the world, valid until it changes
        self.domains: dict[str, Domain] = {}
        self.machines: dict[str, Machine] = {}
        self.accounts: dict[str, Account] = {}
        self.groups: dict[str, str] = {}
        self.processes: dict[str, Process] = {}
        self.resources: dict[str, Resource] = {}
        if domain:
            self.domain(domain)
        for builtin in (SYSTEM, NETWORK_SERVICE, LOCAL_SERVICE):
            self.accounts[builtin.lower()] = Account(builtin, None, builtin=True)

    # --- building -------------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1
        self._derived.clear()

    def _derive(self, key: tuple[Any, ...], compute: Callable[..., _T], *args: Any) -> _T:
        """``compute(*args)``, remembered under ``key`` until the world changes (lookups on every decision)."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[key] = compute(*args)
            return value

    def domain(self, name: str, *, trusts: Iterable[str] = ()) -> None:
        """Add a domain that trusts (both ways) the named domains."""
        self._changed()
        self._unique("domain", name, self.domains)
        trusts = tuple(trusts)
        for t in trusts:
            self._lookup("trusts", t, self.domains)
        self.domains[name.lower()] = Domain(name, trusts)

    def machine(
        self,
        name: str,
        *,
        domain: str | None | object = ...,
        com_default_level: object = "identify",
        ignore_delegation_failure: bool = False,
        try_ip_spn: bool = False,
        ip_spn: bool = False,
        trusted_for_delegation: bool = False,
        delegate_to: Iterable[str] = (),
        allowed_to_act_for: Iterable[str] = (),
    ) -> None:
        """Add a machine; its computer account (NAME$) carries delegation settings for SYSTEM services."""
        self._changed()
        self._unique("machine", name, self.machines)
        dom = self.default_domain if domain is ... else domain
        if dom is not None:
            dom = self._lookup("domain", dom, self.domains).name
        level = parse(ImpLevel, com_default_level, "com_default_level")
        if level is ImpLevel.DEFAULT:
            raise InvalidValueError(
                "com_default_level",
                "default",
                ["anonymous", "identify", "impersonate", "delegate"],
                what="machine-wide level cannot be",
            )
        self.machines[name.lower()] = Machine(
            name,
            dom,
            level,
            _flag(ignore_delegation_failure, "ignore_delegation_failure"),
            _flag(try_ip_spn, "try_ip_spn"),
            _flag(ip_spn, "ip_spn"),
        )
        if dom is not None:
            self._add_account(
                Account(
                    f"{name}$",
                    dom,
                    trusted_for_delegation=_flag(trusted_for_delegation, "trusted_for_delegation"),
                    delegate_to=_names(delegate_to),
                    allowed_to_act_for=tuple(allowed_to_act_for),
                )
            )

    def account(
        self,
        name: str,
        *,
        domain: str | None | object = ...,
        local_to: str | None = None,
        trusted_for_delegation: bool = False,
        delegate_to: Iterable[str] = (),
        trusted_to_auth_for_delegation: bool = False,
        allowed_to_act_for: Iterable[str] = (),
        sensitive: bool = False,
        protected_user: bool = False,
        groups: Iterable[str] = (),
    ) -> None:
        """Add a user or service account with its AD settings (see :class:`Account`)."""
        self._changed()
        dom: str | None
        if local_to is not None:
            dom = None
            local_to = self._lookup("local_to", local_to, self.machines).name
        else:
            given = self.default_domain if domain is ... else domain
            if given is None:
                raise InvalidValueError(
                    "domain", None, "a domain name, or local_to=<machine> for a local account", what="missing"
                )
            dom = self._lookup("domain", given, self.domains).name
        if trusted_for_delegation and delegate_to:
            raise InvalidValueError(
                "delegate_to",
                list(delegate_to),
                "empty when trusted_for_delegation is set (AD offers one or the other)",
                what="conflicting",
            )
        groups = tuple(self._lookup("groups", g, self.groups) for g in groups)
        self._add_account(
            Account(
                name,
                dom,
                _flag(trusted_for_delegation, "trusted_for_delegation"),
                _names(delegate_to),
                _flag(trusted_to_auth_for_delegation, "trusted_to_auth_for_delegation"),
                tuple(allowed_to_act_for),
                _flag(sensitive, "sensitive"),
                _flag(protected_user, "protected_user"),
                groups,
                local_to,
            )
        )

    def group(self, name: str) -> None:
        """Declare a group that accounts can join (``groups=``) and ACLs can name."""
        self._changed()
        self._unique("group", name, self.groups)
        self.groups[name.lower()] = name

    def process(
        self,
        name: str,
        *,
        on: str,
        runs_as: str,
        impersonate_privilege: bool = True,
        requires_authentication: bool = False,
        complus_default_level: object = "impersonate",
    ) -> None:
        """Add a process running as an account on a machine."""
        self._changed()
        self._unique("process", name, self.processes)
        machine = self._lookup("machine", on, self.machines)
        account = self.get_account(runs_as)
        if account.local_to and account.local_to.lower() != machine.name.lower():
            raise InvalidValueError(
                "runs_as",
                runs_as,
                f"an account usable on {machine.name}; it is local to {account.local_to}",
                what="unusable",
            )
        level = parse(ImpLevel, complus_default_level, "complus_default_level")
        if level is ImpLevel.DEFAULT:
            raise InvalidValueError(
                "complus_default_level",
                "default",
                ["anonymous", "identify", "impersonate", "delegate"],
                what="a COM+ application's own level cannot be",
            )
        self.processes[name.lower()] = Process(
            name,
            machine.name,
            account,
            _flag(impersonate_privilege, "impersonate_privilege"),
            _flag(requires_authentication, "requires_authentication"),
            level,
        )

    def resource(
        self,
        name: str,
        *,
        on: str,
        kind: object = "file",
        allow: Mapping[str, object] | None = None,
        deny: Mapping[str, object] | None = None,
    ) -> None:
        """Add a resource; ``allow``/``deny`` map principals to rights ('read', 'write' or both)."""
        self._changed()
        self._unique("resource", name, self.resources)
        machine = self._lookup("machine", on, self.machines)
        aces = []
        for allowed, table in ((False, deny or {}), (True, allow or {})):
            for principal, rights in table.items():
                aces.append(Ace(self._principal(principal), _rights(rights, f"acl[{principal!r}]"), allowed))
        self.resources[name.lower()] = Resource(name, machine.name, parse(ResourceKind, kind, "kind"), tuple(aces))

    # --- lookups --------------------------------------------------------------------------------
    def get_machine(self, name: str) -> Machine:
        return self._lookup("machine", name, self.machines)

    def get_process(self, name: str) -> Process:
        return self._lookup("process", name, self.processes)

    def get_resource(self, name: str) -> Resource:
        return self._lookup("resource", name, self.resources)

    def get_account(self, name: str) -> Account:
        """Find an account by 'name', 'DOMAIN\\\\name' or a built-in name such as 'SYSTEM'."""
        if not isinstance(name, str):
            return self._find_account(name)  # raises, naming the accounts there are
        return self._derive(("account", name), self._find_account, name)

    def _find_account(self, name: str) -> Account:
        if not isinstance(name, str):
            raise InvalidValueError("account", name, sorted(a.qualified for a in self.accounts.values()))
        key = name.lower()
        key = _BUILTIN_ALIASES.get(key, key).lower()
        if key in self.accounts:
            return self.accounts[key]
        short = [a for a in self.accounts.values() if not a.builtin and a.name.lower() == key]
        if len(short) == 1:
            return short[0]
        allowed = sorted(a.qualified for a in self.accounts.values())
        if len(short) > 1:
            raise InvalidValueError("account", name, sorted(a.qualified for a in short), what="ambiguous")
        raise InvalidValueError("account", name, allowed)

    def network_identity(self, account: Account, machine: str) -> str:
        """The name another machine sees when this account authenticates from ``machine``.

        SYSTEM and NETWORK SERVICE use the computer account; LOCAL SERVICE presents no credentials.
        """
        if account.qualified in (SYSTEM, NETWORK_SERVICE):
            m = self.get_machine(machine)
            return f"{m.domain}\\{m.name}$" if m.domain else ANONYMOUS_LOGON
        if account.qualified == LOCAL_SERVICE:
            return ANONYMOUS_LOGON
        return account.qualified

    def computer_account(self, machine: str) -> str | None:
        """The computer account (DOMAIN\\NAME$) that a resource on ``machine`` is reached through."""
        m = self.get_machine(machine)
        return f"{m.domain}\\{m.name}$" if m.domain else None

    def network_account(self, account: Account, machine: str) -> Account | None:
        """The account whose AD settings apply when ``account`` authenticates from ``machine``."""
        return self._derive(("network account", account.qualified, machine), self._network_account, account, machine)

    def _network_account(self, account: Account, machine: str) -> Account | None:
        ident = self.network_identity(account, machine)
        if ident == ANONYMOUS_LOGON:
            return None
        return self.accounts.get(ident.lower(), account)

    def kerberos_between(self, a: str, b: str) -> bool:
        """True when both machines are in domains that are the same or trust each other (M5)."""
        return self._derive(("kerberos", a, b), self._kerberos_between, a, b)

    def _kerberos_between(self, a: str, b: str) -> bool:
        da, db = self.get_machine(a).domain, self.get_machine(b).domain
        if da is None or db is None:
            return False
        if da.lower() == db.lower():
            return True
        return db in self.domains[da.lower()].trusts or da in self.domains[db.lower()].trusts

    def memberships(self, identity: str) -> frozenset[str]:
        """Every principal name an identity matches in an ACL (itself, its groups, well-known groups)."""
        return self._derive(("memberships", identity), self._memberships, identity)

    def _memberships(self, identity: str) -> frozenset[str]:
        names = {identity}
        if identity != ANONYMOUS_LOGON:
            names |= {EVERYONE, AUTHENTICATED_USERS}
            account = self.accounts.get(identity.lower())
            if account is not None:
                names |= set(account.groups)
        return frozenset(n.lower() for n in names)

    def describe(self) -> str:
        """A short, deterministic listing of the world."""
        lines = [f"World {self.name!r} (default domain {self.default_domain})"]
        for m in self.machines.values():
            lines.append(f"  machine {m.name} in {m.domain or 'a workgroup'}")
        for p in self.processes.values():
            lines.append(f"  process {p.name} on {p.machine} as {p.account.qualified}")
        for r in self.resources.values():
            lines.append(f"  {r.kind.value} {r.name} on {r.machine}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"World({self.name!r}: {len(self.machines)} machines, {len(self.processes)} processes, "
            f"{len(self.resources)} resources)"
        )

    # --- helpers --------------------------------------------------------------------------------
    def _add_account(self, account: Account) -> None:
        key = account.qualified.lower()
        if key in self.accounts:
            raise ImpersonationError(f"duplicate account {account.qualified!r}; account names must be unique")
        self.accounts[key] = account
        self._derived.clear()  # a new account can make a short name ambiguous

    def _principal(self, name: str) -> str:
        if not isinstance(name, str):
            raise InvalidValueError("acl principal", name, "an account, group or well-known name")
        key = name.lower()
        if key in _WELL_KNOWN_PRINCIPALS:
            return _WELL_KNOWN_PRINCIPALS[key]
        if key in self.groups:
            return self.groups[key]
        try:
            return self.get_account(name).qualified
        except InvalidValueError:
            allowed = sorted(
                {a.qualified for a in self.accounts.values()}
                | set(self.groups.values())
                | {EVERYONE, AUTHENTICATED_USERS, ANONYMOUS_LOGON}
            )
            raise InvalidValueError("acl principal", name, allowed) from None

    def validate(self) -> None:
        """Check cross-references that may be written in any order (delegation targets)."""
        for a in self.accounts.values():
            for service in a.allowed_to_act_for:
                self.get_account(service)
            for target in a.delegate_to:
                if target.lower() not in self.machines:
                    raise InvalidValueError(
                        f"delegate_to of {a.qualified}", target, sorted(m.name for m in self.machines.values())
                    )

    @staticmethod
    def _unique(kind: str, name: str, table: Mapping[str, object]) -> None:
        if not isinstance(name, str) or not name.strip():
            raise InvalidValueError(f"{kind} name", name, "a non-empty string", what="invalid")
        if name.lower() in table:
            raise ImpersonationError(f"duplicate {kind} {name!r}; {kind} names must be unique")

    @staticmethod
    def _lookup(kind: str, name: object, table: Mapping[str, _T]) -> _T:
        if isinstance(name, str) and name.lower() in table:
            return table[name.lower()]
        raise InvalidValueError(
            kind, name, sorted(v if isinstance(v, str) else getattr(v, "name", str(v)) for v in table.values())
        )
