"""The scenario format declared once, as data: every object, its fields, their types, defaults and meaning.

The loader checks documents against these declarations and the JSON Schema in
``docs/scenario.schema.json`` is generated from them (:mod:`.schema`), so the two cannot drift.

>>> SCENARIO.field("chains").kind.describe()
'a list of chain objects (at least 1)'
>>> Flag().problem("false")
'a string'
>>> Choice.of(ImpLevel).problem(3)
'a number: the RPC constant RPC_C_IMP_LEVEL_IMPERSONATE (ImpLevel.IMPERSONATE); write its name, "impersonate" (token levels are numbered differently, R1)'
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..constants import (
    ApiFamily,
    AuthnLevel,
    Cloaking,
    ErrorCode,
    ImpLevel,
    Protseq,
    Provider,
    ResourceKind,
    Right,
    SpnChoice,
    TargetName,
    Tracking,
)
from ..rules import RULES
from ..seeds import SEED_STATEMENTS

__all__ = ["Kind", "Text", "Flag", "Choice", "Count", "ListOf", "MapOf", "Nullable", "Rights", "Obj", "Field",
           "ObjectSpec", "NO_DEFAULT", "SCENARIO", "OBJECTS", "json_type", "show", "with_article"]

NO_DEFAULT = object()  # the field has no fixed default (absence means something the doc text explains)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as an author would say it."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "not a JSON value"


def with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def show(value: Any, limit: int = 60) -> str:
    """A value as JSON text, shortened; never a Python class name."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    if len(text) <= limit:
        return text
    return text[:limit - 5] + {"{": " ...}", "[": " ...]"}.get(text[0], " ...")


class Kind:
    """What a field may hold. ``problem`` completes "VALUE is ..." for a wrong value (None if it is right);
    ``describe`` says what is allowed; ``schema`` is the JSON Schema of the same thing."""

    def problem(self, value: Any) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        """(path step, value, kind) of the values inside ``value`` that are checked next."""
        return []


@dataclass(frozen=True)
class Text(Kind):
    """A string; ``name=True`` means a name, which must contain a visible character."""

    name: bool = True

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return json_type(value)
        if self.name and not re.search(r"\S", value):
            return "an empty name"
        return None

    def describe(self) -> str:
        return "a name (a string)" if self.name else "a string"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "\\S"} if self.name else {"type": "string"}


@dataclass(frozen=True)
class Flag(Kind):
    """JSON true or false, and nothing else: "false", 0 and "no" are refused, never read as true."""

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else json_type(value)

    def describe(self) -> str:
        return "true or false (JSON booleans, without quotes)"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of lower-case names. ``constants`` maps the numbers of a numeric enum to its
    constant's name, so that a number gets an error that says which constant it is."""

    values: tuple[str, ...]
    constants: tuple[tuple[int, str, str], ...] = ()  # (number, constant name, member) for numeric enums

    @classmethod
    def of(cls, kind: type[enum.Enum], *, exclude: tuple[Any, ...] = ()) -> Choice:
        members = [m for m in kind if m not in exclude]
        values = tuple(m.value if isinstance(m.value, str) else m.name.lower() for m in members)
        constants: tuple[tuple[int, str, str], ...] = ()
        if issubclass(kind, enum.IntEnum) or kind is Provider:
            constants = tuple((int(m.value), _constant(m), f"{kind.__name__}.{m.name}") for m in members)
        return cls(values, constants)

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            if value in self.values:
                return None
            near = [v for v in self.values if v == value.strip().lower().replace("-", "_").replace(" ", "_")]
            if near:
                return f"written differently: names are lower case, with underscores; write {show(near[0])}"
            return "not a known value"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            for number, constant, member in self.constants:
                if value == number:
                    name = self.values[[c[0] for c in self.constants].index(number)]
                    extra = " (token levels are numbered differently, R1)" if member.startswith("ImpLevel") else ""
                    return f"a number: the RPC constant {constant} ({member}); write its name, {show(name)}{extra}"
            return "a number; this field takes a name"
        return json_type(value)

    def describe(self) -> str:
        return "one of " + ", ".join(self.values)

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.values)}


def _constant(member: enum.Enum) -> str:
    if hasattr(member, "constant"):
        return str(member.constant)
    prefixes: dict[type[enum.Enum], str] = {AuthnLevel: "RPC_C_AUTHN_LEVEL_", Tracking: "RPC_C_QOS_IDENTITY_"}
    prefix = prefixes[type(member)]
    return prefix + member.name


@dataclass(frozen=True)
class Count(Kind):
    """A whole number, at least ``minimum``."""

    minimum: int = 1

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return json_type(value)
        if value != int(value):
            return "not a whole number"
        return None if value >= self.minimum else f"below {self.minimum}"

    def describe(self) -> str:
        return f"a whole number, {self.minimum} or more"

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum}


@dataclass(frozen=True)
class ListOf(Kind):
    item: Kind
    min_items: int = 0

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return json_type(value)
        if len(value) < self.min_items:
            return "an empty list" if not value else f"a list of {len(value)}"
        return None

    def describe(self) -> str:
        least = f" (at least {self.min_items})" if self.min_items else ""
        return f"a list of {_plural(self.item)}{least}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        return out

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [(i, v, self.item) for i, v in enumerate(value)]


def _plural(kind: Kind) -> str:
    if isinstance(kind, Obj):
        return f"{kind.spec.name} objects"
    if isinstance(kind, Text):
        return "names (strings)" if kind.name else "strings"
    if isinstance(kind, Choice):
        return "names, each " + kind.describe()
    return "values"


@dataclass(frozen=True)
class MapOf(Kind):
    """An object whose keys are names chosen by the author (``keys`` says what they name)."""

    value: Kind
    keys: str

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return json_type(value)
        return "an object with an empty name as a key" if any(not re.search(r"\S", k) for k in value) else None

    def describe(self) -> str:
        return f"an object mapping {self.keys} to {self.value.describe()}"

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "propertyNames": {"pattern": "\\S"}, "additionalProperties": self.value.schema()}

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [(k, v, self.value) for k, v in value.items()]


@dataclass(frozen=True)
class Nullable(Kind):
    inner: Kind
    meaning: str

    def problem(self, value: Any) -> str | None:
        return None if value is None else self.inner.problem(value)

    def describe(self) -> str:
        return f"{self.inner.describe()}, or null ({self.meaning})"

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}

    def children(self, value: Any) -> list[tuple[Any, Any, Kind]]:
        return [] if value is None else self.inner.children(value)


_RIGHT_NAMES = tuple(r.value for r in Right)
_RIGHTS_PATTERN = "^(read|write)(,(read|write))*$"


@dataclass(frozen=True)
class Rights(Kind):
    """Access rights: "read", "write", "read,write", or a list of those names."""

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            return None if re.fullmatch(_RIGHTS_PATTERN, value) else "not a known set of rights"
        if isinstance(value, list):
            if not value:
                return "an empty list"
            bad = [v for v in value if v not in _RIGHT_NAMES]
            return f"a list holding {show(bad[0])}, which is not a right" if bad else None
        return json_type(value)

    def describe(self) -> str:
        return '"read", "write", "read,write" or a list such as ["read", "write"]'

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "pattern": _RIGHTS_PATTERN},
                          {"type": "array", "items": {"enum": list(_RIGHT_NAMES)}, "minItems": 1}]}


@dataclass(frozen=True)
class Field:
    """One field of an object: its name, kind, whether it is required, its default and what it means."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    default: Any = NO_DEFAULT


@dataclass(frozen=True)
class ObjectSpec:
    """An object of the format: its name (used in messages and as the schema's $defs key) and fields."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    extra: tuple[str, ...] = ()  # accepted and ignored (the top level's "$schema")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Obj(Kind):
    spec: ObjectSpec = field(compare=False)

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, dict) else json_type(value)

    def describe(self) -> str:
        return f"{with_article(self.spec.name)} object"

    def schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.spec.name}"}


def _name(doc: str) -> Field:
    return Field("name", Text(), doc, required=True)


NAMES = ListOf(Text())
LEVEL_NAMES = Choice.of(ImpLevel, exclude=(ImpLevel.DEFAULT,))

DOMAIN = ObjectSpec("domain", "A further Active Directory domain.", (
    _name("The domain's name."),
    Field("trusts", NAMES, "Domains this one trusts (both ways); each must be declared before.", default=[]),
))

MACHINE = ObjectSpec("machine", "A computer.", (
    _name("The computer's name."),
    Field("domain", Nullable(Text(), "a workgroup machine"), "Its domain; the world's default domain when absent."),
    Field("com_default_level", LEVEL_NAMES, "The machine-wide COM impersonation level (R6).", default="identify"),
    Field("ignore_delegation_failure", Flag(), "The machine policy IgnoreDelegationFailure (R20).", default=False),
    Field("try_ip_spn", Flag(), "Clients on this machine try Kerberos to an IP address (R22).", default=False),
    Field("ip_spn", Flag(), "This machine has an SPN for its IP address (R22).", default=False),
    Field("trusted_for_delegation", Flag(), "The computer account is trusted for delegation to any service "
          "(used by services running as SYSTEM or NETWORK SERVICE).", default=False),
    Field("delegate_to", NAMES, "The computer account is trusted for delegation to these machines only (M2).",
          default=[]),
    Field("allowed_to_act_for", NAMES, "Beyond the seeds: services allowed to act for users towards this machine "
          "(resource-based delegation, R24).", default=[]),
))

ACCOUNT = ObjectSpec("account", "A user or service account.", (
    _name("The account's name (without domain)."),
    Field("domain", Nullable(Text(), "only with local_to"), "Its domain; the world's default domain when absent."),
    Field("local_to", Text(), "A machine: the account is local to it instead of a domain account."),
    Field("trusted_for_delegation", Flag(), "Trust for delegation to any service (R19).", default=False),
    Field("delegate_to", NAMES, "Trust for delegation to these machines only (M2); exclusive with "
          "trusted_for_delegation.", default=[]),
    Field("trusted_to_auth_for_delegation", Flag(), "Beyond the seeds: protocol transition (R24).", default=False),
    Field("allowed_to_act_for", NAMES, "Beyond the seeds: services that may act for users towards this account "
          "(resource-based delegation, R24).", default=[]),
    Field("sensitive", Flag(), "Account is sensitive and cannot be delegated (R25).", default=False),
    Field("protected_user", Flag(), "Member of Protected Users (R25).", default=False),
    Field("groups", NAMES, "Groups (declared in world.groups) the account belongs to.", default=[]),
))

PROCESS = ObjectSpec("process", "A process running as an account on a machine.", (
    _name("The process's name, used by chains."),
    Field("on", Text(), "The machine it runs on.", required=True),
    Field("runs_as", Text(), "An account, or SYSTEM, NETWORK SERVICE, LOCAL SERVICE.", required=True),
    Field("impersonate_privilege", Flag(), "Holds SeImpersonatePrivilege (R9).", default=True),
    Field("requires_authentication", Flag(), "Refuses unauthenticated and ANONYMOUS LOGON callers (M1).",
          default=False),
    Field("complus_default_level", LEVEL_NAMES, "The level a COM+ server application uses when it sets none (R6).",
          default="impersonate"),
))

RESOURCE = ObjectSpec("resource", "A securable object on a machine, with its ACL.", (
    _name("The resource's name."),
    Field("on", Text(), "The machine it is on.", required=True),
    Field("kind", Choice.of(ResourceKind), "What it is.", default="file"),
    Field("allow", MapOf(Rights(), "principals (account, group, Everyone, Authenticated Users, ANONYMOUS LOGON)"),
          "Allow entries: principal to rights.", default={}),
    Field("deny", MapOf(Rights(), "principals (account, group, Everyone, Authenticated Users, ANONYMOUS LOGON)"),
          "Deny entries (checked first): principal to rights.", default={}),
))

WORLD = ObjectSpec("world", "Domains, machines, accounts, groups, processes and resources.", (
    Field("domain", Nullable(Text(), "no default domain: every machine is in a workgroup unless it names one"),
          "The default domain.", default="CORP"),
    Field("domains", ListOf(Obj(DOMAIN)), "More domains.", default=[]),
    Field("machines", ListOf(Obj(MACHINE)), "The computers.", required=True),
    Field("accounts", ListOf(Obj(ACCOUNT)), "User and service accounts.", default=[]),
    Field("groups", NAMES, "Groups that accounts join and ACLs name.", default=[]),
    Field("processes", ListOf(Obj(PROCESS)), "The processes.", required=True),
    Field("resources", ListOf(Obj(RESOURCE)), "Files, shares, databases, registry keys.", default=[]),
))

OPTIONS = ObjectSpec("options", "Switches for the facts sheet's ambiguities; the defaults are the course's decisions.", (
    Field("legacy_provider_bump", Flag(), "A2: NTLM and Kerberos raise Anonymous and Identify to Impersonate off "
          "ncalrpc.", default=False),
    Field("local_non_lrpc_like_ncalrpc", Flag(), "A9: same-machine TCP and pipes behave like ncalrpc.", default=False),
    Field("second_hop", Choice(("anonymous_logon", "client_error")), "A16: what a credential-less second hop looks "
          "like.", default="anonymous_logon"),
    Field("delegated_credentials_expired", Flag(), "R26: delegated Kerberos credentials work only locally.",
          default=False),
    Field("kerberos_delegation", Flag(), "Beyond the seeds: real constrained and resource-based delegation (R24).",
          default=False),
))

BINDING = ObjectSpec("binding", "How the caller binds to the server: protocol, provider, level and QOS.", (
    Field("protseq", Choice.of(Protseq), "Protocol sequence; ncalrpc reaches the same machine only.",
          default="ncacn_ip_tcp"),
    Field("provider", Choice.of(Provider), "Security provider; none = no RpcBindingSetAuthInfo.",
          default="default"),
    Field("authn_level", Choice.of(AuthnLevel), "Authentication level.", default="pkt_privacy"),
    Field("level", Choice.of(ImpLevel), "The impersonation level the client grants.", default="default"),
    Field("mutual_auth", Flag(), "Ask for mutual authentication (R21).", default=False),
    Field("ignore_delegation_failure", Flag(), "RPC_C_QOS_CAPABILITIES_IGNORE_DELEGATE_FAILURE (R20).",
          default=False),
    Field("tracking", Choice.of(Tracking), "Identity tracking (R31).", default="static"),
    Field("api", Choice.of(ApiFamily), "Plain RPC, a COM client or a COM+ server application (R4, R6).",
          default="rpc"),
    Field("spn", Choice.of(SpnChoice), "The server principal name the client gives (R21).", default="correct"),
    Field("target_name", Choice.of(TargetName), "How the server's machine is named (R22).",
          default="name"),
    Field("cloaking", Choice.of(Cloaking), "COM cloaking (beyond the seeds, R32).", default="default"),
    Field("auth_identity", Nullable(Text(), "none"), "COM: an account the proxy presents explicitly (beyond the "
          "seeds).", default=None),
))

ACCESS = ObjectSpec("access", "A resource the server opens after impersonating.", (
    Field("resource", Text(), "The resource's name.", required=True),
    Field("right", Choice.of(Right), "The right asked for.", default="read"),
))

HOP = ObjectSpec("hop", "One call in the chain and what the called server does.", (
    Field("server", Text(), "The process called.", required=True),
    Field("binding", Obj(BINDING), "How the caller binds.", default={}),
    Field("impersonate", Flag(), "The server calls RpcImpersonateClient.", default=True),
    Field("check_result", Flag(), "The server checks RpcImpersonateClient's result (false: the unchecked-return "
          "bug).", default=True),
    Field("revert", Flag(), "The server calls RpcRevertToSelf at the end.", default=True),
    Field("access", ListOf(Obj(ACCESS)), "Resources the server opens.", default=[]),
    Field("bound_before_impersonating", Flag(), "The caller set up this hop's binding before it impersonated "
          "(static tracking then carries the caller's own identity, R31).", default=False),
))

EXPECT = ObjectSpec("expect", "What the chain must produce; checked by explain and the tests.", (
    Field("code", Choice(tuple(ErrorCode.__members__)), "The outcome's error name."),
    Field("acting_as", MapOf(Nullable(Text(), "the server is never reached"), "server (process) names"),
          "Server to the identity it acted as, such as CORP\\\\alice."),
    Field("rules", ListOf(Choice(tuple(RULES))), "Rule ids that must be among the deciding rules."),
    Field("deciding_hop", Count(1), "The hop (1 = the first) that decided the outcome."),
))

CHAIN = ObjectSpec("chain", "A client process and the hops its request travels.", (
    _name("The chain's name, unique in the scenario."),
    Field("description", Text(name=False), "Free text.", default=""),
    Field("client", Text(), "The client process.", required=True),
    Field("hops", ListOf(Obj(HOP), min_items=1), "The calls, in order.", required=True),
    Field("expect", Obj(EXPECT), "Expectations."),
))

SCENARIO = ObjectSpec("scenario", "A course scenario: a world, engine options and named chains of calls.", (
    _name("The scenario's name."),
    Field("title", Text(name=False), "A one-line title; the name when absent."),
    Field("description", Text(name=False), "Free text shown by explain.", default=""),
    Field("seeds", ListOf(Choice(tuple(s.id for s in SEED_STATEMENTS))), "Seed statements the scenario shows.",
          default=[]),
    Field("options", Obj(OPTIONS), "Engine options.", default={}),
    Field("world", Obj(WORLD), "The world.", required=True),
    Field("chains", ListOf(Obj(CHAIN), min_items=1), "The chains of calls.", required=True),
), extra=("$schema",))

#: Every object of the format, the document itself first.
OBJECTS = (SCENARIO, OPTIONS, WORLD, DOMAIN, MACHINE, ACCOUNT, PROCESS, RESOURCE, CHAIN, HOP, BINDING, ACCESS, EXPECT)
