"""The engine's decision tables: every decision point of the core, as data.

Each table is compiled and checked when this module is imported (see :mod:`.rules`). The
engine only gathers facts, looks the row up and fills the row's sentence from the situation.

>>> CREDENTIALS.decide(protseq=Protseq.NCALRPC, local=True, level=ImpLevel.IMPERSONATE, delegation="none",
...                    like_ncalrpc=False).name
'ncalrpc exception'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .constants import ApiFamily, ErrorCode, ImpLevel, Protseq, Provider, SpnChoice, TokenLevel
from .rules import DecisionTable, Row

__all__ = ["Effect", "Grant", "Arrival", "Delegation", "Session", "Arrives", "Outcome", "Package", "Mutual", "LEVEL_DEFAULT", "PROVIDER", "MUTUAL_AUTH", "ARRIVAL_LEVEL", "DELEGATION", "DELEGATION_REFUSED",
           "CREDENTIALS", "OUTBOUND", "SERVER_GATE", "IMPERSONATE", "REVERT", "ACCESS_CHECK", "NTLM_ALLOWED", "OPEN_THREAD_TOKEN", "ALL_TABLES",
           "CONTEXT_FIELDS"]

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
    "caller", "server", "client", "server_account", "machine", "caller_machine", "level", "requested",
    "provider", "requested_provider", "protseq", "api", "default_level", "target", "resource", "right", "handle",
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


def _table(name: str, facts: dict, rows: list[Row], ordered: bool = False,
           effect: type | tuple[type, ...] = ()) -> DecisionTable:
    return DecisionTable(name, facts, rows, ordered=ordered, context=CONTEXT_FIELDS, effect=effect)


# R4, R6 (A1): what DEFAULT means depends on the API family.
LEVEL_DEFAULT = _table("level default", {"api": tuple(ApiFamily), "requested": tuple(ImpLevel)}, [
    Row("R4", ImpLevel.IMPERSONATE, {"api": ApiFamily.RPC, "requested": ImpLevel.DEFAULT},
        "{caller} asked for the default level; in plain RPC that means Impersonate."),
    Row("R6", Grant.MACHINE, {"api": ApiFamily.COM, "requested": ImpLevel.DEFAULT},
        "{caller} is a COM client that set no level, so the machine-wide default of {caller_machine} applies: "
        "{default_level}."),
    Row("R6", Grant.COMPLUS, {"api": ApiFamily.COMPLUS, "requested": ImpLevel.DEFAULT},
        "{caller} is a COM+ server application that set no level, so its own setting applies: {default_level}."),
    Row("R2", Grant.AS_ASKED, {"requested": set(LEVELS)}, "{caller} asked for {requested}.", decisive=False),
], effect=(ImpLevel, Grant))

# R4, R5, R22, R30, M5: which security package actually runs (effect: a Package; R5's row is the one place that
# says which protocol sequences carry the caller's identity without a package).
PROVIDER = _table("provider", {
    "requested": (Provider.NONE, Provider.DEFAULT, Provider.NTLM, Provider.KERBEROS, Provider.NEGOTIATE),
    "api": tuple(ApiFamily), "protseq": tuple(Protseq), "local": B, "kerberos_ok": B, "named": B,
}, [
    Row("R30", Package(error=ErrorCode.RPC_S_UNKNOWN_AUTHN_SERVICE),
        {"protseq": Protseq.NCALRPC, "requested": {Provider.KERBEROS, Provider.NEGOTIATE}},
        "ncalrpc accepts only NTLM (RPC_C_AUTHN_WINNT); {requested_provider} was refused."),
    Row("R5", Package(Provider.NONE, transport=True), {"requested": Provider.NONE, "protseq": {Protseq.NCALRPC, Protseq.NCACN_NP}},
        "{caller} set no authentication, but {protseq} carries the caller's identity itself (transport-level "
        "security), at Impersonate unless asked otherwise."),
    Row("R4", Package(Provider.NONE), {"requested": Provider.NONE},
        "{caller} set no authentication, so the call carries no security-provider context."),
    Row("R4", Package(Provider.NTLM), {"requested": Provider.DEFAULT, "api": ApiFamily.RPC},
        "RPC_C_AUTHN_DEFAULT means NTLM in plain RPC."),
    Row("R22", Package(Provider.NTLM), {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "local": True},
        "Negotiate (and COM's default) picks NTLM for a call to the same machine."),
    Row("R22", Package(Provider.KERBEROS), {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "kerberos_ok": True,
                                   "named": True},
        "Negotiate picked Kerberos: {server} is named so its SPN can be found and both machines are in trusting "
        "domains.", decisive=False),
    Row("R22", Package(Provider.NTLM), {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}, "kerberos_ok": False},
        "Negotiate fell back to NTLM: {caller_machine} and {machine} are not both in trusting domains."),
    Row("R22", Package(Provider.NTLM), {"requested": {Provider.DEFAULT, Provider.NEGOTIATE}},
        "Negotiate fell back to NTLM: {machine} was named by IP address and no IP SPN could be used."),
    Row("R8", Package(Provider.NTLM), {"requested": Provider.NTLM}, "{caller} asked for NTLM.", decisive=False),
    Row("M5", Package(error=ErrorCode.RPC_S_SEC_PKG_ERROR), {"requested": Provider.KERBEROS, "kerberos_ok": False},
        "Kerberos cannot run between {caller_machine} and {machine}: they are not both in trusting domains."),
    Row("M5", Package(error=ErrorCode.RPC_S_SEC_PKG_ERROR), {"requested": Provider.KERBEROS, "named": False},
        "Kerberos cannot find a service principal for a server named by IP address."),
    Row("M5", Package(Provider.KERBEROS), {"requested": Provider.KERBEROS}, "{caller} asked for Kerberos.", decisive=False),
], ordered=True, effect=Package)

# R21, A5, A6: mutual authentication. Effect: a Mutual (in force or not, error or None).
MUTUAL_AUTH = _table("mutual authentication", {
    "provider": AUTH_PROVIDERS, "asked": B, "api": tuple(ApiFamily), "spn": tuple(SpnChoice),
}, [
    Row("R21", Mutual(False, ErrorCode.RPC_S_SEC_PKG_ERROR),
        {"provider": Provider.KERBEROS, "asked": True, "spn": {SpnChoice.WRONG, SpnChoice.NONE}},
        "Mutual authentication with Kerberos needs {server}'s correct principal name, and the client did not give it."),
    Row("R21", Mutual(False, ErrorCode.RPC_S_SEC_PKG_ERROR),
        {"provider": Provider.KERBEROS, "api": COMISH, "spn": {SpnChoice.WRONG, SpnChoice.NONE}},
        "COM over Kerberos always authenticates the server, which needs its exact principal name."),
    Row("A5", Mutual(True), {"provider": Provider.KERBEROS, "api": COMISH, "spn": SpnChoice.CORRECT},
        "COM over Kerberos authenticates the server as well, so mutual authentication is in force.",
        decisive=False),
    Row("R21", Mutual(True), {"provider": Provider.KERBEROS, "asked": True, "spn": SpnChoice.CORRECT},
        "Kerberos proved {server}'s identity to the client (mutual authentication).", decisive=False),
    Row("A6", Mutual(False), {"provider": Provider.NTLM, "asked": True},
        "NTLM accepted the mutual-authentication flag without error, but it proves nothing about the server."),
    Row("R21", Mutual(False), {}, "No mutual authentication was requested.", fallback=True, decisive=False),
], effect=Mutual)

# R7, R30, A2, R4: the level that arrives, before delegation is considered. Effect: a level, None = as asked,
# or "no qos": an unauthenticated call carries no QOS, so its level is never sent (provider none over TCP).
ARRIVAL_LEVEL = _table("arrival level", {
    "protseq": tuple(Protseq), "provider": AUTH_PROVIDERS, "level": LEVELS, "bump": B,
}, [
    Row("R30", Arrival.AS_ASKED, {"protseq": Protseq.NCALRPC}, "ncalrpc delivers {requested} as asked.", decisive=False),
    Row("R7", ImpLevel.IDENTIFY, {"protseq": REMOTE_PROTSEQS, "level": ImpLevel.ANONYMOUS, "bump": False},
        "Anonymous is honoured only over ncalrpc; over {protseq} it arrives as Identify."),
    Row("R7", ImpLevel.IDENTIFY, {"protseq": REMOTE_PROTSEQS, "level": ImpLevel.ANONYMOUS,
                                  "provider": Provider.NONE},
        "Anonymous is honoured only over ncalrpc; over {protseq} it arrives as Identify."),
    Row("R4", Arrival.NO_QOS, {"protseq": Protseq.NCACN_IP_TCP, "provider": Provider.NONE, "level": ImpLevel.DELEGATE},
        "{caller} set no authentication, so no security quality of service goes with the call and its request for "
        "Delegate is never sent: the call proceeds as an ordinary unauthenticated call, with nothing to delegate "
        "(RpcImpersonateClient will find no security context, R10)."),
    Row("A2", ImpLevel.IMPERSONATE, {"protseq": REMOTE_PROTSEQS, "level": LOW, "bump": True,
                                     "provider": {Provider.NTLM, Provider.KERBEROS}},
        "With the legacy provider-bump switch on, {provider} raised {requested} to Impersonate.",
        overrides=("R7",)),
    Row("R8", Arrival.AS_ASKED, {}, "{requested} arrives as asked.", fallback=True, decisive=False),
], effect=(ImpLevel, Arrival))

# R19, R25, A4, M2: may the server receive a delegation-capable context? First failing prerequisite wins.
# "scoped": the caller acts with delegated credentials limited to listed computers (M2).
DELEGATION = _table("delegation prerequisites", {
    "remote": B, "provider": AUTH_PROVIDERS, "mutual": B, "server_trust": ("none", "any", "listed"), "delegable": B,
    "tgt": B, "scoped": B,
}, [
    Row("A4", Delegation.LOCAL, {"remote": False},
        "{server} runs on the caller's machine, so a Delegate-level token can be handed over locally."),
    Row("R19", Delegation.REFUSED, {"provider": {Provider.NONE, Provider.NTLM}},
        "Only Kerberos can delegate across machines, and this call used {provider}."),
    Row("R19", Delegation.REFUSED, {"mutual": False},
        "Kerberos delegates only when mutual authentication was requested, and it was not."),
    Row("R19", Delegation.REFUSED, {"server_trust": "none"},
        "{server_account}, the account {server} runs as, is not trusted for delegation."),
    Row("R25", Delegation.REFUSED, {"delegable": False},
        "{client} is marked sensitive (or is in Protected Users) and can never be delegated."),
    Row("M2", Delegation.REFUSED, {"scoped": True},
        "{caller} acts as {client} with delegated credentials that work only towards the computers listed for it: "
        "it may authenticate to {machine} as {client}, but it cannot forward {client}'s credentials again, so "
        "{server} cannot receive them."),
    Row("R24", Delegation.REFUSED, {"tgt": False},
        "{caller} can act as {client} towards {server} only through constrained delegation (S4U2proxy): it holds a "
        "service ticket as {client}, not {client}'s TGT, so there is nothing to forward."),
    Row("R19", Delegation.DELEGATED, {},
        "Kerberos, mutual authentication, a server trusted for delegation and a delegable client: {server} receives "
        "{client}'s forwarded credentials."),
], ordered=True, effect=Delegation)

# R20: what happens when Delegate was asked and refused.
DELEGATION_REFUSED = _table("delegation refused", {"ignore": B}, [
    Row("R20", Outcome.DOWNGRADE, {"ignore": True},
        "The client allowed delegation to fail (IGNORE_DELEGATE_FAILURE or the machine policy), so the call goes "
        "ahead at Impersonate without credentials."),
    Row("R20", ErrorCode.RPC_S_SEC_PKG_ERROR, {"ignore": False},
        "Delegate was required and impossible, so the call fails with RPC_S_SEC_PKG_ERROR and nothing runs on "
        "{server}."),
], effect=(ErrorCode, Outcome))

# R18, R19, R27, R29, A4, A9: which logon session (and so which credentials) the delivered token has.
# Effect: "shared" = the caller's own logon session; "delegated" = a new session holding forwarded
# credentials; "none" = a network logon without reusable credentials.
CREDENTIALS = _table("network credentials", {
    "protseq": tuple(Protseq), "local": B, "level": LEVELS, "delegation": tuple(d.value for d in Delegation),
    "like_ncalrpc": B,
}, [
    Row("R18", Session.NONE, {"level": LOW},
        "A token below Impersonate can never be used to reach another machine."),
    Row("R27", Session.SHARED, {"protseq": Protseq.NCALRPC, "local": True, "level": HIGH},
        "The token came over ncalrpc at {level}, so it belongs to {client}'s own logon session on {machine}: "
        "{server} can authenticate to one further machine as {client} (the ncalrpc exception).",
        name="ncalrpc exception", overrides=("R18",)),
    Row("A4", Session.SHARED, {"local": True, "protseq": REMOTE_PROTSEQS, "level": ImpLevel.DELEGATE,
                         "delegation": "local"},
        "A same-machine Delegate-level token shares {client}'s logon session on {machine}."),
    Row("A9", Session.SHARED, {"local": True, "protseq": REMOTE_PROTSEQS, "level": HIGH, "like_ncalrpc": True},
        "With the local_non_lrpc_like_ncalrpc switch on, a same-machine {protseq} call shares {client}'s logon "
        "session like ncalrpc."),
    Row("R29", Session.NONE, {"local": True, "protseq": REMOTE_PROTSEQS, "level": ImpLevel.IMPERSONATE,
                        "like_ncalrpc": False},
        "A same-machine {protseq} call is a network logon: the ncalrpc exception does not apply to it."),
    Row("R19", Session.DELEGATED, {"local": False, "level": ImpLevel.DELEGATE, "delegation": "delegated"},
        "{server} holds {client}'s forwarded Kerberos credentials and can authenticate onward as {client}."),
    Row("R18", Session.NONE, {},
        "{server} received a network logon for {client}: it can act as {client} on {machine} only, with no "
        "credentials to reach another machine.", fallback=True),
], effect=Session)

# R15, M3, R17, R18, M2, A16: acting with the thread's effective token, here or on another machine.
# Effect: "as token", "anonymous" (arrives as ANONYMOUS LOGON) or an error code.
OUTBOUND = _table("outbound identity", {
    "primary": B, "level": TOKEN_LEVELS, "remote": B, "credentials": B, "in_scope": B,
    "mode": ("anonymous_logon", "client_error"),
}, [
    Row("R15", ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, {"primary": False, "level": TokenLevel.ANONYMOUS},
        "The thread holds an anonymous-level token: it carries no identity, so it cannot act as anyone and the "
        "attempt fails with ERROR_BAD_IMPERSONATION_LEVEL."),
    Row("R15", ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, {"primary": False, "level": TOKEN_LOW},
        "The thread holds a token for {client} at the {level} level; below Impersonate it cannot act as {client}, "
        "so the attempt fails with ERROR_BAD_IMPERSONATION_LEVEL."),
    Row("R17", Arrives.AS_TOKEN, {"remote": False}, "On its own machine the thread acts as {client}.", decisive=False),
    Row("R18", Arrives.AS_TOKEN, {"primary": True},
        "The thread is not impersonating, so it uses the process's own credentials ({client}).", decisive=False),
    Row("A16", Arrives.ANONYMOUS, {"credentials": False, "mode": "anonymous_logon"},
        "The thread's token for {client} has no credentials that work on {target}, so it arrives there as "
        "ANONYMOUS LOGON."),
    Row("A16", ErrorCode.RPC_S_SEC_PKG_ERROR, {"credentials": False, "mode": "client_error"},
        "The thread's token for {client} has no credentials that work on {target}; the security package fails at "
        "the client."),
    Row("M2", Arrives.ANONYMOUS, {"in_scope": False, "mode": "anonymous_logon"},
        "{client}'s delegated credentials may be used only towards the computers listed for the server; {target} "
        "is not one of them, so the attempt arrives as ANONYMOUS LOGON."),
    Row("M2", ErrorCode.RPC_S_SEC_PKG_ERROR, {"in_scope": False, "mode": "client_error"},
        "{client}'s delegated credentials may be used only towards the listed computers, and {target} is not one."),
    Row("R18", Arrives.AS_TOKEN, {}, "The token's logon session holds credentials, so {target} sees {client}.",
        decisive=False),
], ordered=True, effect=(ErrorCode, Arrives))

# M1: does the server let this caller in?
SERVER_GATE = _table("server gate", {"requires_auth": B, "arrives": ("authenticated", "anonymous_logon", "none")}, [
    Row("M1", ErrorCode.ERROR_ACCESS_DENIED, {"requires_auth": True, "arrives": {"anonymous_logon", "none"}},
        "{server} accepts only authenticated callers, and this call arrived as {client}."),
    Row("M1", Outcome.ACCEPT, {}, "{server} accepted the call.", fallback=True, decisive=False),
], effect=(ErrorCode, Outcome))

# R9, R10, A15: RpcImpersonateClient. Effect: error code, "identify" (downgrade) or "ok".
IMPERSONATE = _table("RpcImpersonateClient", {
    "handle": ("no call", "own call", "other call", "client binding", "invalid"),
    "context": ("none", "ssp", "transport"), "privilege": B,
}, [
    Row("R10", ErrorCode.RPC_S_NO_CALL_ACTIVE, {"handle": "no call"},
        "There is no call on this thread to take a client from."),
    Row("R10", ErrorCode.RPC_S_INVALID_BINDING, {"handle": "invalid"}, "{handle} is not a valid binding handle."),
    Row("R10", ErrorCode.RPC_S_WRONG_KIND_OF_BINDING, {"handle": "client binding"},
        "{handle} is a client-side binding handle, not the handle of a call being served."),
    Row("A15", ErrorCode.RPC_S_NO_CONTEXT_AVAILABLE, {"context": "none"},
        "The call from {caller} carries no security context (it was not authenticated), so there is nobody to "
        "impersonate."),
    Row("R9", Outcome.IDENTIFY, {"privilege": False},
        "{server} runs as {server_account} without SeImpersonatePrivilege, so the call succeeds but the thread only "
        "gets an Identify-level token."),
    Row("R10", Outcome.OK, {}, "The thread now carries {client}'s token at {level}."),
], ordered=True, effect=(ErrorCode, Outcome))

# R13, A12: RpcRevertToSelf / RpcRevertToSelfEx.
REVERT = _table("RpcRevertToSelf", {
    "handle": ("no call", "own call", "other call", "client binding", "invalid"), "impersonating": B,
}, [
    Row("R13", ErrorCode.RPC_S_NO_CALL_ACTIVE, {"handle": "no call"},
        "There is no call on this thread, so there is nothing to revert."),
    Row("R13", ErrorCode.RPC_S_INVALID_BINDING, {"handle": "invalid"}, "{handle} is not a valid binding handle."),
    Row("R13", ErrorCode.RPC_S_WRONG_KIND_OF_BINDING, {"handle": "client binding"},
        "{handle} is a client-side binding handle."),
    Row("R13", Outcome.REVERTED, {"impersonating": True}, "The thread dropped {client}'s token and is {server_account} again."),
    Row("R13", Outcome.REVERTED, {}, "The thread was not impersonating; reverting inside a call still succeeds.",
        fallback=True),
], ordered=True, effect=(ErrorCode, Outcome))

# R16: AccessCheck with the thread's token.
ACCESS_CHECK = _table("AccessCheck", {"primary": B, "level": TOKEN_LEVELS}, [
    Row("R16", ErrorCode.ERROR_NO_IMPERSONATION_TOKEN, {"primary": True},
        "AccessCheck needs an impersonation token; the thread is not impersonating."),
    Row("R16", ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, {"primary": False, "level": TokenLevel.ANONYMOUS},
        "An anonymous-level token says nothing about the client, so AccessCheck refuses it."),
    Row("R16", Outcome.EVALUATE, {"primary": False, "level": {TokenLevel.IDENTIFICATION, TokenLevel.IMPERSONATION,
                                                        TokenLevel.DELEGATION}},
        "AccessCheck evaluates {resource}'s ACL for {client}."),
], effect=(ErrorCode, Outcome))


# R25: Protected Users members cannot use NTLM to reach another machine.
NTLM_ALLOWED = _table("NTLM for Protected Users", {"protected": B, "provider": AUTH_PROVIDERS, "remote": B}, [
    Row("R25", ErrorCode.ERROR_ACCESS_DENIED, {"protected": True, "provider": Provider.NTLM, "remote": True},
        "{client} is in Protected Users, which cannot authenticate to another machine with NTLM."),
    Row("R25", Outcome.ALLOWED, {}, "", fallback=True),
], effect=(ErrorCode, Outcome))

# R15 (and A3): OpenThreadToken on the thread's own impersonation token, to learn who the client is.
OPEN_THREAD_TOKEN = _table("OpenThreadToken", {"impersonating": B, "level": TOKEN_LEVELS, "open_as_self": B}, [
    Row("R15", ErrorCode.ERROR_NO_TOKEN, {"impersonating": False},
        "The thread is not impersonating, so it has no thread token to open."),
    Row("R15", ErrorCode.ERROR_CANT_OPEN_ANONYMOUS, {"level": TokenLevel.ANONYMOUS},
        "An anonymous-level token cannot be opened: it tells the server nothing about the client."),
    Row("R15", ErrorCode.ERROR_BAD_IMPERSONATION_LEVEL, {"level": TokenLevel.IDENTIFICATION, "open_as_self": False},
        "Opening an Identify-level token as the client fails; open it as the server (OpenAsSelf) instead."),
    Row("R16", Outcome.OK, {}, "The thread token names the client: {client}.", fallback=True),
], ordered=True, effect=(ErrorCode, Outcome))

ALL_TABLES = (LEVEL_DEFAULT, PROVIDER, MUTUAL_AUTH, ARRIVAL_LEVEL, DELEGATION, DELEGATION_REFUSED, CREDENTIALS,
              OUTBOUND, SERVER_GATE, IMPERSONATE, REVERT, ACCESS_CHECK, NTLM_ALLOWED, OPEN_THREAD_TOKEN)
