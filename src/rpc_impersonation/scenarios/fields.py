"""The scenario format declared once, as data: every object, its fields, their types, defaults and meaning.

The loader checks documents against these declarations and the JSON Schema in
``docs/scenario.schema.json`` is generated from them (:mod:`.schema`), so the two cannot drift.

The kinds of value a field may hold are in :mod:`.kinds` (re-exported here).

>>> SCENARIO.field("chains").kind.describe()
'a list of chain objects (at least 1)'
>>> Flag().problem("false")
'a string'
"""

from __future__ import annotations

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
from .kinds import (
    Choice,
    Count,
    Field,
    Flag,
    ListOf,
    MapOf,
    Nullable,
    Obj,
    ObjectSpec,
    Rights,
    Text,
)

__all__ = ["SCENARIO", "OBJECTS"]  # the kinds of value they use are in kinds.py


def _name(doc: str) -> Field:
    return Field("name", Text(), doc, required=True)


NAMES = ListOf(Text())
LEVEL_NAMES = Choice.of(ImpLevel, exclude=(ImpLevel.DEFAULT,))

DOMAIN = ObjectSpec(
    "domain",
    "A further Active Directory domain.",
    (
        _name("The domain's name."),
        Field("trusts", NAMES, "Domains this one trusts (both ways); each must be declared before.", default=[]),
    ),
)

MACHINE = ObjectSpec(
    "machine",
    "A computer.",
    (
        _name("The computer's name."),
        Field("domain", Nullable(Text(), "a workgroup machine"), "Its domain; the world's default domain when absent."),
        Field("com_default_level", LEVEL_NAMES, "The machine-wide COM impersonation level (R6).", default="identify"),
        Field("ignore_delegation_failure", Flag(), "The machine policy IgnoreDelegationFailure (R20).", default=False),
        Field("try_ip_spn", Flag(), "Clients on this machine try Kerberos to an IP address (R22).", default=False),
        Field("ip_spn", Flag(), "This machine has an SPN for its IP address (R22).", default=False),
        Field(
            "trusted_for_delegation",
            Flag(),
            "The computer account is trusted for delegation to any service "
            "(used by services running as SYSTEM or NETWORK SERVICE).",
            default=False,
        ),
        Field(
            "delegate_to",
            NAMES,
            "The computer account is trusted for delegation to these machines only (M2).",
            default=[],
        ),
        Field(
            "allowed_to_act_for",
            NAMES,
            "Beyond the seeds: services allowed to act for users towards this machine "
            "(resource-based delegation, R24).",
            default=[],
        ),
    ),
)

ACCOUNT = ObjectSpec(
    "account",
    "A user or service account.",
    (
        _name("The account's name (without domain)."),
        Field("domain", Nullable(Text(), "only with local_to"), "Its domain; the world's default domain when absent."),
        Field("local_to", Text(), "A machine: the account is local to it instead of a domain account."),
        Field("trusted_for_delegation", Flag(), "Trust for delegation to any service (R19).", default=False),
        Field(
            "delegate_to",
            NAMES,
            "Trust for delegation to these machines only (M2); exclusive with trusted_for_delegation.",
            default=[],
        ),
        Field("trusted_to_auth_for_delegation", Flag(), "Beyond the seeds: protocol transition (R24).", default=False),
        Field(
            "allowed_to_act_for",
            NAMES,
            "Beyond the seeds: services that may act for users towards this account (resource-based delegation, R24).",
            default=[],
        ),
        Field("sensitive", Flag(), "Account is sensitive and cannot be delegated (R25).", default=False),
        Field("protected_user", Flag(), "Member of Protected Users (R25).", default=False),
        Field("groups", NAMES, "Groups (declared in world.groups) the account belongs to.", default=[]),
    ),
)

PROCESS = ObjectSpec(
    "process",
    "A process running as an account on a machine.",
    (
        _name("The process's name, used by chains."),
        Field("on", Text(), "The machine it runs on.", required=True),
        Field("runs_as", Text(), "An account, or SYSTEM, NETWORK SERVICE, LOCAL SERVICE.", required=True),
        Field("impersonate_privilege", Flag(), "Holds SeImpersonatePrivilege (R9).", default=True),
        Field(
            "requires_authentication",
            Flag(),
            "Refuses unauthenticated and ANONYMOUS LOGON callers (M1).",
            default=False,
        ),
        Field(
            "complus_default_level",
            LEVEL_NAMES,
            "The level a COM+ server application uses when it sets none (R6).",
            default="impersonate",
        ),
    ),
)

RESOURCE = ObjectSpec(
    "resource",
    "A securable object on a machine, with its ACL.",
    (
        _name("The resource's name."),
        Field("on", Text(), "The machine it is on.", required=True),
        Field("kind", Choice.of(ResourceKind), "What it is.", default="file"),
        Field(
            "allow",
            MapOf(Rights(), "principals (account, group, Everyone, Authenticated Users, ANONYMOUS LOGON)"),
            "Allow entries: principal to rights.",
            default={},
        ),
        Field(
            "deny",
            MapOf(Rights(), "principals (account, group, Everyone, Authenticated Users, ANONYMOUS LOGON)"),
            "Deny entries (checked first): principal to rights.",
            default={},
        ),
    ),
)

WORLD = ObjectSpec(
    "world",
    "Domains, machines, accounts, groups, processes and resources.",
    (
        Field(
            "domain",
            Nullable(Text(), "no default domain: every machine is in a workgroup unless it names one"),
            "The default domain.",
            default="CORP",
        ),
        Field("domains", ListOf(Obj(DOMAIN)), "More domains.", default=[]),
        Field("machines", ListOf(Obj(MACHINE)), "The computers.", required=True),
        Field("accounts", ListOf(Obj(ACCOUNT)), "User and service accounts.", default=[]),
        Field("groups", NAMES, "Groups that accounts join and ACLs name.", default=[]),
        Field("processes", ListOf(Obj(PROCESS)), "The processes.", required=True),
        Field("resources", ListOf(Obj(RESOURCE)), "Files, shares, databases, registry keys.", default=[]),
    ),
)

OPTIONS = ObjectSpec(
    "options",
    "Switches for the facts sheet's ambiguities; the defaults are the course's decisions.",
    (
        Field(
            "legacy_provider_bump",
            Flag(),
            "A2: NTLM and Kerberos raise Anonymous and Identify to Impersonate off ncalrpc.",
            default=False,
        ),
        Field(
            "local_non_lrpc_like_ncalrpc", Flag(), "A9: same-machine TCP and pipes behave like ncalrpc.", default=False
        ),
        Field(
            "second_hop",
            Choice(("anonymous_logon", "client_error")),
            "A16: what a credential-less second hop looks like.",
            default="anonymous_logon",
        ),
        Field(
            "delegated_credentials_expired",
            Flag(),
            "R26: delegated Kerberos credentials work only locally.",
            default=False,
        ),
        Field(
            "kerberos_delegation",
            Flag(),
            "Beyond the seeds: real constrained and resource-based delegation (R24).",
            default=False,
        ),
    ),
)

BINDING = ObjectSpec(
    "binding",
    "How the caller binds to the server: protocol, provider, level and QOS.",
    (
        Field(
            "protseq",
            Choice.of(Protseq),
            "Protocol sequence; ncalrpc reaches the same machine only.",
            default="ncacn_ip_tcp",
        ),
        Field(
            "provider", Choice.of(Provider), "Security provider; none = no RpcBindingSetAuthInfo.", default="default"
        ),
        Field("authn_level", Choice.of(AuthnLevel), "Authentication level.", default="pkt_privacy"),
        Field("level", Choice.of(ImpLevel), "The impersonation level the client grants.", default="default"),
        Field("mutual_auth", Flag(), "Ask for mutual authentication (R21).", default=False),
        Field(
            "ignore_delegation_failure", Flag(), "RPC_C_QOS_CAPABILITIES_IGNORE_DELEGATE_FAILURE (R20).", default=False
        ),
        Field("tracking", Choice.of(Tracking), "Identity tracking (R31).", default="static"),
        Field(
            "api", Choice.of(ApiFamily), "Plain RPC, a COM client or a COM+ server application (R4, R6).", default="rpc"
        ),
        Field("spn", Choice.of(SpnChoice), "The server principal name the client gives (R21).", default="correct"),
        Field("target_name", Choice.of(TargetName), "How the server's machine is named (R22).", default="name"),
        Field("cloaking", Choice.of(Cloaking), "COM cloaking (beyond the seeds, R32).", default="default"),
        Field(
            "auth_identity",
            Nullable(Text(), "none"),
            "COM: an account the proxy presents explicitly (beyond the seeds).",
            default=None,
        ),
    ),
)

ACCESS = ObjectSpec(
    "access",
    "A resource the server opens after impersonating.",
    (
        Field("resource", Text(), "The resource's name.", required=True),
        Field("right", Choice.of(Right), "The right asked for.", default="read"),
    ),
)

HOP = ObjectSpec(
    "hop",
    "One call in the chain and what the called server does.",
    (
        Field("server", Text(), "The process called.", required=True),
        Field("binding", Obj(BINDING), "How the caller binds.", default={}),
        Field("impersonate", Flag(), "The server calls RpcImpersonateClient.", default=True),
        Field(
            "check_result",
            Flag(),
            "The server checks RpcImpersonateClient's result (false: the unchecked-return bug).",
            default=True,
        ),
        Field("revert", Flag(), "The server calls RpcRevertToSelf at the end.", default=True),
        Field("access", ListOf(Obj(ACCESS)), "Resources the server opens.", default=[]),
        Field(
            "bound_before_impersonating",
            Flag(),
            "The caller set up this hop's binding before it impersonated "
            "(static tracking then carries the caller's own identity, R31).",
            default=False,
        ),
    ),
)

EXPECT = ObjectSpec(
    "expect",
    "What the chain must produce; checked by explain and the tests.",
    (
        Field("code", Choice(tuple(ErrorCode.__members__)), "The outcome's error name."),
        Field(
            "acting_as",
            MapOf(Nullable(Text(), "the server is never reached"), "server (process) names"),
            "Server to the identity it acted as, such as CORP\\\\alice.",
        ),
        Field("rules", ListOf(Choice(tuple(RULES))), "Rule ids that must be among the deciding rules."),
        Field("deciding_hop", Count(1), "The hop (1 = the first) that decided the outcome."),
    ),
)

CHAIN = ObjectSpec(
    "chain",
    "A client process and the hops its request travels.",
    (
        _name("The chain's name, unique in the scenario."),
        Field("description", Text(name=False), "Free text.", default=""),
        Field("client", Text(), "The client process.", required=True),
        Field("hops", ListOf(Obj(HOP), min_items=1), "The calls, in order.", required=True),
        Field("expect", Obj(EXPECT), "Expectations."),
    ),
)

SCENARIO = ObjectSpec(
    "scenario",
    "A course scenario: a world, engine options and named chains of calls.",
    (
        _name("The scenario's name."),
        Field("title", Text(name=False), "A one-line title; the name when absent."),
        Field("description", Text(name=False), "Free text shown by explain.", default=""),
        Field(
            "seeds",
            ListOf(Choice(tuple(s.id for s in SEED_STATEMENTS))),
            "Seed statements the scenario shows.",
            default=[],
        ),
        Field("options", Obj(OPTIONS), "Engine options.", default={}),
        Field("world", Obj(WORLD), "The world.", required=True),
        Field("chains", ListOf(Obj(CHAIN), min_items=1), "The chains of calls.", required=True),
    ),
    extra=("$schema",),
)

#: Every object of the format, the document itself first.
OBJECTS = (SCENARIO, OPTIONS, WORLD, DOMAIN, MACHINE, ACCOUNT, PROCESS, RESOURCE, CHAIN, HOP, BINDING, ACCESS, EXPECT)
