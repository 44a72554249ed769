"""The engine's decision tables: every decision point of the core, as data (the call's here, the
thread's in :mod:`.thread_tables`; their effect types in :mod:`.effects`, all re-exported here).

Each table is compiled and checked when this module is imported (see :mod:`.rules`). The
engine only gathers facts, looks the row up and fills the row's sentence from the situation.

>>> CREDENTIALS.decide(protseq=Protseq.NCALRPC, local=True, level=ImpLevel.IMPERSONATE, delegation="none",
...                    like_ncalrpc=False).name
'ncalrpc exception'
"""

from __future__ import annotations

from .constants import ApiFamily, ErrorCode, ImpLevel, Protseq, Provider, SpnChoice
from .effects import (
    AUTH_PROVIDERS,
    COMISH,
    CONTEXT_FIELDS,
    HIGH,
    LEVELS,
    LOW,
    REMOTE_PROTSEQS,
    Arrival,
    Arrives,
    B,
    Delegation,
    Effect,
    Grant,
    Mutual,
    Outcome,
    Package,
    Session,
)
from .effects import engine_table as _table
from .rules import Row
from .thread_tables import ACCESS_CHECK, IMPERSONATE, OPEN_THREAD_TOKEN, OUTBOUND, REVERT

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
    "LEVEL_DEFAULT",
    "PROVIDER",
    "MUTUAL_AUTH",
    "ARRIVAL_LEVEL",
    "DELEGATION",
    "DELEGATION_REFUSED",
    "CREDENTIALS",
    "OUTBOUND",
    "SERVER_GATE",
    "IMPERSONATE",
    "REVERT",
    "ACCESS_CHECK",
    "NTLM_ALLOWED",
    "OPEN_THREAD_TOKEN",
    "ALL_TABLES",
    "CONTEXT_FIELDS",
]


# R4, R6 (A1): what DEFAULT means depends on the API family.
LEVEL_DEFAULT = _table(
    "level default",
    {"api": tuple(ApiFamily), "requested": tuple(ImpLevel)},
    [
        Row(
            "R4",
            ImpLevel.IMPERSONATE,
            {"api": ApiFamily.RPC, "requested": ImpLevel.DEFAULT},
            "{caller} asked for the default level; in plain RPC that means Impersonate.",
        ),
        Row(
            "R6",
            Grant.MACHINE,
            {"api": ApiFamily.COM, "requested": ImpLevel.DEFAULT},
            "{caller} is a COM client that set no level, so the machine-wide default of {caller_machine} applies: "
            "{default_level}.",
        ),
        Row(
            "R6",
            Grant.COMPLUS,
            {"api": ApiFamily.COMPLUS, "requested": ImpLevel.DEFAULT},
            "{caller} is a COM+ server application that set no level, so its own setting applies: {default_level}.",
        ),
        Row("R2", Grant.AS_ASKED, {"requested": set(LEVELS)}, "{caller} asked for {requested}.", decisive=False),
    ],
    effect=(ImpLevel, Grant),
)

# R4, R5, R22, R30, M5: which security package actually runs (effect: a Package; R5's row is the one place that
# says which protocol sequences carry the caller's identity without a package).
PROVIDER = _table(
    "provider",
    {
        "requested": (Provider.NONE, Provider.DEFAULT, Provider.NTLM, Provider.KERBEROS, Provider.NEGOTIATE),
        "api": tuple(ApiFamily),
        "protseq": tuple(Protseq),
        "local": B,
        "kerberos_ok": B,
        "named": B,
    },
    [
        Row(
            "R30",
            Package(error=ErrorCode.RPC_S_UNKNOWN_AUTHN_SERVICE),
            {"protseq": Protseq.NCALRPC, "requested": {Provider.KERBEROS, Provider.NEGOTIATE}},
            "ncalrpc accepts only NTLM (RPC_C_AUTHN_WINNT); {requested_provider} was refused.",
        ),
        Row(
            "R5",
            Package(Provider.NONE, transport=True),
            {"requested": Provider.NONE, "protseq": {Protseq.NCALRPC, Protseq.NCACN_NP}},
            "{caller} set no authentication, but {protseq} carries the caller's identity itself (transport-level "
            "security), at Impersonate unless asked otherwise.",
        ),
        Row(
            "R4",
            Package(Provider.NONE),
            {"requested": Provider.NONE},
            "{caller} set no authentication, so the call carries no security-provider context.",
        ),
        Row(
            "R4",
            Package(Provider.NTLM),
            {"requested": Provider.DEFAULT, "api": ApiFamily.RPC},
            "RPC_C_AUTHN_DEFAULT means NTLM in plain RPC.",
        ),
        Row(
            "R22",
            Package(Provider.NTLM),
            {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "local": True},
            "Negotiate (and COM's default) picks NTLM for a call to the same machine.",
        ),
        Row(
            "R22",
            Package(Provider.KERBEROS),
            {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "kerberos_ok": True, "named": True},
            "Negotiate picked Kerberos: {server} is named so its SPN can be found and both machines are in trusting "
            "domains.",
            decisive=False,
        ),
        Row(
            "R22",
            Package(Provider.NTLM),
            {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "kerberos_ok": False},
            "Negotiate fell back to NTLM: {caller_machine} and {machine} are not both in trusting domains.",
        ),
        Row(
            "R22",
            Package(Provider.NTLM),
            {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}},
            "Negotiate fell back to NTLM: {machine} was named by IP address and no IP SPN could be used.",
        ),
        Row("R8", Package(Provider.NTLM), {"requested": Provider.NTLM}, "{caller} asked for NTLM.", decisive=False),
        Row(
            "M5",
            Package(error=ErrorCode.RPC_S_SEC_PKG_ERROR),
            {"requested": Provider.KERBEROS, "kerberos_ok": False},
            "Kerberos cannot run between {caller_machine} and {machine}: they are not both in trusting domains.",
        ),
        Row(
            "M5",
            Package(error=ErrorCode.RPC_S_SEC_PKG_ERROR),
            {"requested": Provider.KERBEROS, "named": False},
            "Kerberos cannot find a service principal for a server named by IP address.",
        ),
        Row(
            "M5",
            Package(Provider.KERBEROS),
            {"requested": Provider.KERBEROS},
            "{caller} asked for Kerberos.",
            decisive=False,
        ),
    ],
    ordered=True,
    effect=Package,
)

# R21, A5, A6: mutual authentication. Effect: a Mutual (in force or not, error or None).
MUTUAL_AUTH = _table(
    "mutual authentication",
    {
        "provider": AUTH_PROVIDERS,
        "asked": B,
        "api": tuple(ApiFamily),
        "spn": tuple(SpnChoice),
    },
    [
        Row(
            "R21",
            Mutual(False, ErrorCode.RPC_S_SEC_PKG_ERROR),
            {"provider": Provider.KERBEROS, "asked": True, "spn": {SpnChoice.WRONG, SpnChoice.NONE}},
            "Mutual authentication with Kerberos needs {server}'s correct principal name, and the client did not give it.",
        ),
        Row(
            "R21",
            Mutual(False, ErrorCode.RPC_S_SEC_PKG_ERROR),
            {"provider": Provider.KERBEROS, "api": COMISH, "spn": {SpnChoice.WRONG, SpnChoice.NONE}},
            "COM over Kerberos always authenticates the server, which needs its exact principal name.",
        ),
        Row(
            "A5",
            Mutual(True),
            {"provider": Provider.KERBEROS, "api": COMISH, "spn": SpnChoice.CORRECT},
            "COM over Kerberos authenticates the server as well, so mutual authentication is in force.",
            decisive=False,
        ),
        Row(
            "R21",
            Mutual(True),
            {"provider": Provider.KERBEROS, "asked": True, "spn": SpnChoice.CORRECT},
            "Kerberos proved {server}'s identity to the client (mutual authentication).",
            decisive=False,
        ),
        Row(
            "A6",
            Mutual(False),
            {"provider": Provider.NTLM, "asked": True},
            "NTLM accepted the mutual-authentication flag without error, but it proves nothing about the server.",
        ),
        Row("R21", Mutual(False), {}, "No mutual authentication was requested.", fallback=True, decisive=False),
    ],
    effect=Mutual,
)

# R7, R30, A2, R4: the level that arrives, before delegation is considered. Effect: a level, None = as asked,
# or "no qos": an unauthenticated call carries no QOS, so its level is never sent (provider none over TCP).
ARRIVAL_LEVEL = _table(
    "arrival level",
    {
        "protseq": tuple(Protseq),
        "provider": AUTH_PROVIDERS,
        "level": LEVELS,
        "bump": B,
    },
    [
        Row(
            "R30",
            Arrival.AS_ASKED,
            {"protseq": Protseq.NCALRPC},
            "ncalrpc delivers {requested} as asked.",
            decisive=False,
        ),
        Row(
            "R7",
            ImpLevel.IDENTIFY,
            {"protseq": REMOTE_PROTSEQS, "level": ImpLevel.ANONYMOUS, "bump": False},
            "Anonymous is honoured only over ncalrpc; over {protseq} it arrives as Identify.",
        ),
        Row(
            "R7",
            ImpLevel.IDENTIFY,
            {"protseq": REMOTE_PROTSEQS, "level": ImpLevel.ANONYMOUS, "provider": Provider.NONE},
            "Anonymous is honoured only over ncalrpc; over {protseq} it arrives as Identify.",
        ),
        Row(
            "R4",
            Arrival.NO_QOS,
            {"protseq": Protseq.NCACN_IP_TCP, "provider": Provider.NONE, "level": ImpLevel.DELEGATE},
            "{caller} set no authentication, so no security quality of service goes with the call and its request for "
            "Delegate is never sent: the call proceeds as an ordinary unauthenticated call, with nothing to delegate "
            "(RpcImpersonateClient will find no security context, R10).",
        ),
        Row(
            "A2",
            ImpLevel.IMPERSONATE,
            {"protseq": REMOTE_PROTSEQS, "level": LOW, "bump": True, "provider": {Provider.NTLM, Provider.KERBEROS}},
            "With the legacy provider-bump switch on, {provider} raised {requested} to Impersonate.",
            overrides=("R7",),
        ),
        Row("R8", Arrival.AS_ASKED, {}, "{requested} arrives as asked.", fallback=True, decisive=False),
    ],
    effect=(ImpLevel, Arrival),
)

# R19, R25, A4, M2: may the server receive a delegation-capable context? First failing prerequisite wins.
# "scoped": the caller acts with delegated credentials limited to listed computers (M2).
DELEGATION = _table(
    "delegation prerequisites",
    {
        "remote": B,
        "provider": AUTH_PROVIDERS,
        "mutual": B,
        "server_trust": ("none", "any", "listed"),
        "delegable": B,
        "tgt": B,
        "scoped": B,
    },
    [
        Row(
            "A4",
            Delegation.LOCAL,
            {"remote": False},
            "{server} runs on the caller's machine, so a Delegate-level token can be handed over locally.",
        ),
        Row(
            "R19",
            Delegation.REFUSED,
            {"provider": {Provider.NONE, Provider.NTLM}},
            "Only Kerberos can delegate across machines, and this call used {provider}.",
        ),
        Row(
            "R19",
            Delegation.REFUSED,
            {"mutual": False},
            "Kerberos delegates only when mutual authentication was requested, and it was not.",
        ),
        Row(
            "R19",
            Delegation.REFUSED,
            {"server_trust": "none"},
            "{server_account}, the account {server} runs as, is not trusted for delegation.",
        ),
        Row(
            "R25",
            Delegation.REFUSED,
            {"delegable": False},
            "{client} is marked sensitive (or is in Protected Users) and can never be delegated.",
        ),
        Row(
            "M2",
            Delegation.REFUSED,
            {"scoped": True},
            "{caller} acts as {client} with delegated credentials that work only towards the computers listed for it: "
            "it may authenticate to {machine} as {client}, but it cannot forward {client}'s credentials again, so "
            "{server} cannot receive them.",
        ),
        Row(
            "R24",
            Delegation.REFUSED,
            {"tgt": False},
            "{caller} can act as {client} towards {server} only through constrained delegation (S4U2proxy): it holds a "
            "service ticket as {client}, not {client}'s TGT, so there is nothing to forward.",
        ),
        Row(
            "R19",
            Delegation.DELEGATED,
            {},
            "Kerberos, mutual authentication, a server trusted for delegation and a delegable client: {server} receives "
            "{client}'s forwarded credentials.",
        ),
    ],
    ordered=True,
    effect=Delegation,
)

# R20: what happens when Delegate was asked and refused.
DELEGATION_REFUSED = _table(
    "delegation refused",
    {"ignore": B},
    [
        Row(
            "R20",
            Outcome.DOWNGRADE,
            {"ignore": True},
            "The client allowed delegation to fail (IGNORE_DELEGATE_FAILURE or the machine policy), so the call goes "
            "ahead at Impersonate without credentials.",
        ),
        Row(
            "R20",
            ErrorCode.RPC_S_SEC_PKG_ERROR,
            {"ignore": False},
            "Delegate was required and impossible, so the call fails with RPC_S_SEC_PKG_ERROR and nothing runs on "
            "{server}.",
        ),
    ],
    effect=(ErrorCode, Outcome),
)

# R18, R19, R27, R29, A4, A9: which logon session (and so which credentials) the delivered token has.
# Effect: "shared" = the caller's own logon session; "delegated" = a new session holding forwarded
# credentials; "none" = a network logon without reusable credentials.
CREDENTIALS = _table(
    "network credentials",
    {
        "protseq": tuple(Protseq),
        "local": B,
        "level": LEVELS,
        "delegation": tuple(d.value for d in Delegation),
        "like_ncalrpc": B,
    },
    [
        Row(
            "R18", Session.NONE, {"level": LOW}, "A token below Impersonate can never be used to reach another machine."
        ),
        Row(
            "R27",
            Session.SHARED,
            {"protseq": Protseq.NCALRPC, "local": True, "level": HIGH},
            "The token came over ncalrpc at {level}, so it belongs to {client}'s own logon session on {machine}: "
            "{server} can authenticate to one further machine as {client} (the ncalrpc exception).",
            name="ncalrpc exception",
            overrides=("R18",),
        ),
        Row(
            "A4",
            Session.SHARED,
            {"local": True, "protseq": REMOTE_PROTSEQS, "level": ImpLevel.DELEGATE, "delegation": "local"},
            "A same-machine Delegate-level token shares {client}'s logon session on {machine}.",
        ),
        Row(
            "A9",
            Session.SHARED,
            {"local": True, "protseq": REMOTE_PROTSEQS, "level": HIGH, "like_ncalrpc": True},
            "With the local_non_lrpc_like_ncalrpc switch on, a same-machine {protseq} call shares {client}'s logon "
            "session like ncalrpc.",
        ),
        Row(
            "R29",
            Session.NONE,
            {"local": True, "protseq": REMOTE_PROTSEQS, "level": ImpLevel.IMPERSONATE, "like_ncalrpc": False},
            "A same-machine {protseq} call is a network logon: the ncalrpc exception does not apply to it.",
        ),
        Row(
            "R19",
            Session.DELEGATED,
            {"local": False, "level": ImpLevel.DELEGATE, "delegation": "delegated"},
            "{server} holds {client}'s forwarded Kerberos credentials and can authenticate onward as {client}.",
        ),
        Row(
            "R18",
            Session.NONE,
            {},
            "{server} received a network logon for {client}: it can act as {client} on {machine} only, with no "
            "credentials to reach another machine.",
            fallback=True,
        ),
    ],
    effect=Session,
)

# M1: does the server let this caller in?
SERVER_GATE = _table(
    "server gate",
    {"requires_auth": B, "arrives": ("authenticated", "anonymous_logon", "none")},
    [
        Row(
            "M1",
            ErrorCode.ERROR_ACCESS_DENIED,
            {"requires_auth": True, "arrives": {"anonymous_logon", "none"}},
            "{server} accepts only authenticated callers, and this call arrived as {client}.",
        ),
        Row("M1", Outcome.ACCEPT, {}, "{server} accepted the call.", fallback=True, decisive=False),
    ],
    effect=(ErrorCode, Outcome),
)

# R25: Protected Users members cannot use NTLM to reach another machine.
NTLM_ALLOWED = _table(
    "NTLM for Protected Users",
    {"protected": B, "provider": AUTH_PROVIDERS, "remote": B},
    [
        Row(
            "R25",
            ErrorCode.ERROR_ACCESS_DENIED,
            {"protected": True, "provider": Provider.NTLM, "remote": True},
            "{client} is in Protected Users, which cannot authenticate to another machine with NTLM.",
        ),
        Row("R25", Outcome.ALLOWED, {}, "", fallback=True),
    ],
    effect=(ErrorCode, Outcome),
)

ALL_TABLES = (
    LEVEL_DEFAULT,
    PROVIDER,
    MUTUAL_AUTH,
    ARRIVAL_LEVEL,
    DELEGATION,
    DELEGATION_REFUSED,
    CREDENTIALS,
    OUTBOUND,
    SERVER_GATE,
    IMPERSONATE,
    REVERT,
    ACCESS_CHECK,
    NTLM_ALLOWED,
    OPEN_THREAD_TOKEN,
)
