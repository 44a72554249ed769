"""The rule catalogue: every rule a decision may cite, with its title, plain sentence, sources and role.

Every decision the engine makes cites rules from :data:`RULES`: the facts sheet's R-numbers,
the A-numbers of ambiguities where the course made a decision, and M-numbers for the course's
own modelling rules (see docs/modeling-decisions.md). The decision tables that cite them are
built with :mod:`.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidValueError, RuleTableError

__all__ = ["Rule", "RULES", "ROLES", "rule", "CORE_RULE_IDS"]


@dataclass(frozen=True)
class Rule:
    """One rule: its id, a short title, a plain sentence, where it comes from, and its scope."""

    id: str
    title: str
    summary: str
    sources: tuple[str, ...] = ()
    scope: str = "core"  # "core", or "beyond-seeds" for material past the two seed documents
    role: str = "cause"  # see ROLES: how specific a reason citing this rule is, for a decision's headline


#: How a reason citing a rule explains a decision, most specific first. A decision's headline is its first
#: decisive reason of the best role: a "cause" names the condition that failed (R19: "no mutual
#: authentication"); a "consequence" states the generic result of any such failure (R20: "Delegate was
#: required and impossible"); a "remark" is true but decides nothing (A6: "NTLM proves nothing").
ROLES = ("cause", "consequence", "remark")
_ROLE_OF = {"R10": "consequence", "R20": "consequence", "R40": "consequence", "A6": "remark"}


def _rules(*rows: tuple[Any, ...]) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for r in rows:
        item = Rule(*r, role=_ROLE_OF.get(r[0], "cause"))  # type: ignore[misc]  # rows give 3-5 fields, never a role
        if item.id in out:
            raise RuleTableError(f"rule id {item.id} is defined twice")
        out[item.id] = item
    return out


RULES: Mapping[str, Rule] = _rules(
    (
        "R1",
        "Two level enums",
        "What a client asks for (RPC_C_IMP_LEVEL_*, 0-4) and what a token carries "
        "(SECURITY_IMPERSONATION_LEVEL, 0-3) are different enums; a token level is the request minus one.",
        ("CILC", "SIL"),
    ),
    (
        "R2",
        "Level order",
        "Anonymous < Identify < Impersonate < Delegate; every 'at least' test uses the token level.",
        ("SB", "SIL"),
    ),
    ("R3", "Exact constants", "Constants, flags and error codes carry their documented values.", ("HDR", "ERR")),
    (
        "R4",
        "Plain RPC defaults",
        "In plain RPC a DEFAULT level means Impersonate, tracking is static unless asked "
        "otherwise, RPC_C_AUTHN_DEFAULT means NTLM, and a client that sets no authentication makes unauthenticated calls.",
        ("AIL", "QOS", "SAIX", "ASC"),
    ),
    (
        "R5",
        "Transport-level identity",
        "ncalrpc and ncacn_np carry the caller's identity even without "
        "RpcBindingSetAuthInfo, at Impersonate unless asked otherwise.",
        ("TLS", "SBND", "CQOS"),
    ),
    (
        "R6",
        "COM defaults",
        "A COM client that sets no level uses the machine-wide default (Identify unless an "
        "administrator changed it); a COM+ server application uses its own setting (Impersonate by default).",
        ("SB", "LIL", "CDEF", "SIMP"),
    ),
    (
        "R7",
        "Anonymous only over ncalrpc",
        "Anonymous survives only on ncalrpc; elsewhere it arrives as Identify.",
        ("CIL",),
    ),
    (
        "R8",
        "Provider caps",
        "NTLM cannot carry Delegate across machines; Identify arrives as Identify.",
        ("CIL", "CSPB"),
    ),
    (
        "R9",
        "Impersonate privilege",
        "A server without SeImpersonatePrivilege that impersonates a different account "
        "still succeeds, but only gets an Identify-level token.",
        ("RIC", "SEIMP"),
    ),
    (
        "R10",
        "RpcImpersonateClient results",
        "1725 with no call on the thread, 1702 for an invalid handle, 1701 for a "
        "client-side handle, 1765 when the call has no security context, 1764 when the provider cannot impersonate, "
        "otherwise RPC_S_OK.",
        ("RIC",),
    ),
    (
        "R11",
        "Failure keeps the old token",
        "When impersonation fails the thread keeps the token it had, normally none, "
        "so it goes on acting as the server's own account.",
        ("RIC",),
    ),
    (
        "R12",
        "No nesting in RPC",
        "A new impersonation replaces the thread token; reverting always returns to the process token.",
        ("RRS",),
    ),
    (
        "R13",
        "Revert results",
        "RpcRevertToSelf(Ex) inside a call clears the thread token and returns RPC_S_OK; with no "
        "call on the thread it returns 1725; RpcRevertToSelfEx(h) reverts the impersonation made for call h.",
        ("RRS", "RRSX"),
    ),
    (
        "R14",
        "No automatic revert in RPC",
        "The RPC runtime does not revert when the handler returns; an impersonation "
        "still active at the end of the call is reported as a finding.",
        ("A13",),
    ),
    (
        "R15",
        "Below Impersonate cannot act",
        "While the thread's token is below Impersonate, opening any securable object "
        "fails with ERROR_BAD_IMPERSONATION_LEVEL before the ACL is looked at.",
        ("OTT", "ROS"),
    ),
    (
        "R16",
        "AccessCheck",
        "AccessCheck needs an impersonation token (a primary token gives 1309); an anonymous-level "
        "token gives 1346; Identify and above are checked against the client's identity.",
        ("ACK", "ROS"),
    ),
    (
        "R17",
        "Acting as the client",
        "At Impersonate or Delegate, objects are opened with the client's identity and "
        "checked against the client's rights.",
        ("AIL",),
    ),
    (
        "R18",
        "Network use needs credentials",
        "Authenticating to another machine as the client needs a token at "
        "Impersonate or above whose logon session holds reusable credentials; network logons made with NTLM, or with "
        "Kerberos without delegation, hold none.",
        ("NTLMSSP", "CLS", "SB"),
    ),
    (
        "R19",
        "Delegation prerequisites",
        "A delegation-capable context exists only with Kerberos, a Delegate request, "
        "mutual authentication requested, a server account trusted for delegation, a delegable client and domain "
        "machines.",
        ("SA", "SB", "ISCK", "CIL"),
    ),
    (
        "R20",
        "Delegation refused",
        "If Delegate was asked and cannot be had, the call fails with RPC_S_SEC_PKG_ERROR "
        "unless the client set IGNORE_DELEGATE_FAILURE (or the machine policy is on); then it proceeds at Impersonate "
        "without credentials.",
        ("QOS", "IDF"),
    ),
    (
        "R21",
        "Mutual authentication needs the right SPN",
        "With Kerberos a missing or wrong server principal name "
        "makes a mutual-authentication call fail with RPC_S_SEC_PKG_ERROR; NTLM accepts the flag and proves nothing.",
        ("QOS", "CQOS"),
    ),
    (
        "R22",
        "Negotiate picks a package",
        "Negotiate uses Kerberos only when the target is named (not an IP address, "
        "unless an IP SPN is usable), both ends are in trusting domains and the target is another machine; otherwise "
        "NTLM.",
        ("NEG", "KIP", "CIL"),
    ),
    (
        "R23",
        "Every hop re-checked",
        "In a chain each outbound call is checked on its own: the identity goes one more "
        "machine only if that caller asked for Delegate and the next server is trusted for delegation.",
        ("CIL", "SA"),
    ),
    (
        "R24",
        "Constrained and resource-based delegation",
        "A service may obtain tickets as the user to listed services "
        "(msDS-AllowedToDelegateTo) or to targets that list it (RBCD) without the client asking for Delegate.",
        ("KCDO", "SFU", "A2D2", "A2A"),
        "beyond-seeds",
    ),
    (
        "R25",
        "Sensitive accounts and Protected Users",
        "An account marked sensitive, or in Protected Users, is never "
        "delegated; Protected Users also cannot use NTLM across machines.",
        ("UAC", "KILE", "PUG", "SB"),
    ),
    (
        "R26",
        "Delegated ticket lifetime",
        "A delegated Kerberos identity stops working off-machine after a configurable "
        "time; the engine does not model time by default.",
        ("KRB5",),
    ),
    (
        "R27",
        "The ncalrpc exception",
        "A token received over ncalrpc at Impersonate or Delegate belongs to the "
        "client's own logon session on that machine, so the server can authenticate to other machines as the client.",
        ("SA", "SB", "CLS"),
    ),
    (
        "R28",
        "One remote call only",
        "The ncalrpc exception covers one machine hop: a remote server that received "
        "only Impersonate can use the identity on its own machine only.",
        ("SA", "CLK"),
    ),
    (
        "R29",
        "Same-machine TCP and pipes",
        "Same-machine ncacn_ip_tcp or ncacn_np calls at Impersonate do not get the "
        "ncalrpc exception (unless the A9 switch is on).",
        ("A9",),
    ),
    (
        "R30",
        "ncalrpc specifics",
        "ncalrpc accepts only NTLM (RPC_C_AUTHN_WINNT) as provider, always runs at "
        "PKT_PRIVACY, and delivers Anonymous and Identify as asked.",
        ("SAIX", "ALC", "CIL"),
    ),
    (
        "R31",
        "Identity tracking",
        "With static tracking the outbound identity is captured when the binding's "
        "authentication is set (transport-level: at the first call); with dynamic tracking it is the thread's "
        "identity at each call.",
        ("QOSP", "QOS", "SBND"),
    ),
    (
        "R32",
        "COM outbound identity",
        "Without cloaking a COM server calls out as its process identity; static "
        "cloaking captures the identity once (when CoSetProxyBlanket sets it, or at the proxy's first call when it "
        "comes from CoInitializeSecurity) and keeps it; dynamic cloaking uses the thread's identity on every call.",
        ("CLK",),
        "beyond-seeds",
    ),
    (
        "R33",
        "Cloaking and levels",
        "Cloaking carries no identity below Impersonate; Impersonate crosses one machine boundary, Delegate many.",
        ("CLK",),
        "beyond-seeds",
    ),
    (
        "R34",
        "Blanket negotiation",
        "COM's authentication level is the higher of client and server; a level set "
        "on the proxy's blanket is used as given, and a server refuses calls below its own level. The impersonation "
        "level and capabilities are the client's.",
        ("SBN", "NAL"),
        "beyond-seeds",
    ),
    (
        "R35",
        "CoSetProxyBlanket validation",
        "Contradictory blanket settings (both cloaking flags, cloaking with an "
        "explicit identity, ...) are rejected with E_INVALIDARG.",
        ("CSPB", "EOAC"),
        "beyond-seeds",
    ),
    (
        "R36",
        "CoImpersonateClient needs authentication",
        "CoImpersonateClient fails on a call made at authentication level NONE.",
        ("COIC", "ISIC"),
        "beyond-seeds",
    ),
    (
        "R37",
        "One CoRevertToSelf undoes all",
        "A single CoRevertToSelf ends any number of stacked impersonations; it needs a COM call on the thread.",
        ("CORS",),
        "beyond-seeds",
    ),
    (
        "R38",
        "COM reverts for you",
        "COM reverts automatically at the end of each method call.",
        ("ISIC", "IAC"),
        "beyond-seeds",
    ),
    (
        "R39",
        "COM delegation needs trust",
        "A COM server's identity must be trusted for delegation for network "
        "delegation, and the client must be delegable.",
        ("CIAD", "SREQ"),
        "beyond-seeds",
    ),
    (
        "R40",
        "Observable diagnostics",
        "Every impersonation exposes its return code, the thread token (identity, level, "
        "logon session, network credentials) and the identity each later operation used.",
        ("RIC",),
    ),
    # Decisions on the facts sheet's ambiguities that a decision can cite directly.
    (
        "A2",
        "Provider level bumping (switch)",
        "With the legacy_provider_bump switch on, NTLM off ncalrpc and "
        "Kerberos may deliver Anonymous and Identify as Impersonate; off by default.",
        ("QOS", "CQOS"),
    ),
    (
        "A4",
        "Same-machine Delegate",
        "On one machine a Delegate-level token is allowed with any provider and shares "
        "the caller's logon session, like an ncalrpc token.",
        ("NTLMSSP", "CSPB"),
    ),
    (
        "A5",
        "COM over Kerberos is always mutual",
        "Plain RPC must ask for mutual authentication explicitly; COM over Kerberos counts as mutual automatically.",
        ("SA", "KRB5", "EOAC"),
    ),
    (
        "A6",
        "NTLM and mutual authentication",
        "NTLM accepts the mutual-authentication flag without error; it proves nothing about the server.",
        ("QOS",),
    ),
    (
        "A9",
        "Same-machine TCP/pipes like ncalrpc (switch)",
        "With local_non_lrpc_like_ncalrpc on, same-machine "
        "ncacn_ip_tcp and ncacn_np calls share the caller's logon session like ncalrpc.",
        (),
    ),
    (
        "A15",
        "No context versus no privilege",
        "RPC_S_NO_CONTEXT_AVAILABLE means the call has no security context; a "
        "missing privilege is an Identify downgrade with success (R9).",
        ("RIC",),
    ),
    (
        "A16",
        "What arrives without credentials",
        "An outbound authentication from a session without usable "
        "credentials reaches the target as ANONYMOUS LOGON (switch: fail at the client with RPC_S_SEC_PKG_ERROR).",
        ("KB2443455", "MSSQLTIPS"),
    ),
    # The course's own modelling rules.
    (
        "M1",
        "Servers that require authentication",
        "A server that insists on authenticated callers (a security "
        "callback) rejects unauthenticated and ANONYMOUS LOGON calls with ERROR_ACCESS_DENIED.",
        ("RAI", "WASS"),
    ),
    (
        "M2",
        "Delegation limited to listed computers",
        "A server account trusted for delegation only to listed "
        "computers can use a delegated identity towards those computers and no others, and cannot forward it again.",
        ("SA",),
    ),
    (
        "M3",
        "Outbound identity below Impersonate",
        "A thread whose token is below Impersonate cannot authenticate "
        "anywhere as that token; the call fails with ERROR_BAD_IMPERSONATION_LEVEL.",
        ("OTT", "SIL"),
    ),
    (
        "M4",
        "ACL evaluation",
        "An access is allowed when an allow entry for the identity (or a group it belongs to) "
        "grants the right and no deny entry refuses it; Everyone and Authenticated Users exclude ANONYMOUS LOGON.",
        ("ACK",),
    ),
    (
        "M5",
        "Kerberos needs domains and names",
        "Kerberos works only between domain machines whose domains trust each "
        "other, to a target named so that an SPN can be found; otherwise the call fails with RPC_S_SEC_PKG_ERROR.",
        ("KRB5", "NEG", "KIP"),
    ),
)

#: The rules the core engine must model (issue: R1-R23, R25-R31, R40).
CORE_RULE_IDS: tuple[str, ...] = tuple(f"R{n}" for n in [*range(1, 24), *range(25, 32), 40])


def rule(rule_id: str) -> Rule:
    """Look a rule up by id.

    >>> rule("R27").title
    'The ncalrpc exception'
    """
    try:
        return RULES[rule_id]
    except KeyError:
        raise InvalidValueError("rule id", rule_id, sorted(RULES)) from None
