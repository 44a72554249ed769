"""The statements of the two seed documents, paraphrased, with the rules that model them.

SA = "Client Impersonation" (RPC), SB = "Impersonation Level" (COM+ administration).
Each statement is tested in tests/test_seeds.py and listed in docs/modeling-decisions.md.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SeedStatement", "SEED_STATEMENTS"]


@dataclass(frozen=True)
class SeedStatement:
    id: str
    statement: str
    rules: tuple[str, ...]
    scenario: str = ""

    @property
    def notebook(self) -> str:
        return TEACHING[self.id][0]

    @property
    def section(self) -> str:
        return TEACHING[self.id][1]

    @property
    def exercise(self) -> str:
        return TEACHING[self.id][2]


SEED_STATEMENTS: tuple[SeedStatement, ...] = (
    SeedStatement(
        "SA-1",
        "A server impersonates a client so that other processes, or the operating system, handle "
        "the request as if the client had made it.",
        ("R10", "R17"),
    ),
    SeedStatement(
        "SA-2",
        "Server A, serving a client, impersonates it to ask Server B; Server B decides with the "
        "client's security context, not Server A's.",
        ("R19", "R23", "M4"),
        "seed-delegation/delegate",
    ),
    SeedStatement(
        "SA-3",
        "RpcImpersonateClient replaces the server thread's security context with the client's.",
        ("R10", "R12", "R40"),
        "unchecked-impersonation",
    ),
    SeedStatement(
        "SA-4",
        "RpcRevertToSelf or RpcRevertToSelfEx gives the thread its own security context back.",
        ("R13", "R14"),
        "unchecked-impersonation/forgot-to-revert",
    ),
    SeedStatement(
        "SA-5",
        "At binding the client states, as security quality of service, how the server may "
        "impersonate it, up to forbidding impersonation.",
        ("R4", "R7", "R15"),
    ),
    SeedStatement(
        "SA-6",
        "Delegation is calling other servers while impersonating; the next server cannot tell the "
        "first server's requests from the client's own.",
        ("R19", "R23"),
    ),
    SeedStatement(
        "SA-7",
        "Not every security provider can delegate; of Microsoft's, only Kerberos can.",
        ("R19", "R20", "R8"),
        "seed-delegation/ntlm",
    ),
    SeedStatement(
        "SA-8",
        "Kerberos grants a Delegate-level call only if mutual authentication was requested.",
        ("R19", "R21"),
        "seed-delegation/no-mutual-auth",
    ),
    SeedStatement(
        "SA-9",
        "Domain administrators can limit the computers that receive delegate-level calls, so "
        "clients are not exposed to servers that could misuse their credentials.",
        ("R19", "M2"),
        "delegation-limited",
    ),
    SeedStatement(
        "SA-10",
        "Over ncalrpc a server gets delegation rights even when the client asked only for Impersonate.",
        ("R27",),
        "seed-ncalrpc/lb-impersonate",
    ),
    SeedStatement(
        "SA-11",
        "That exception covers one remote call: LB, called by A over ncalrpc, can call remote "
        "RB as A, and RB can act for A only on its own computer.",
        ("R27", "R28", "R18"),
        "seed-ncalrpc/lb-impersonate",
    ),
    SeedStatement(
        "SA-12",
        "RB can call a further computer C as A only if LB asked for Delegate when it called RB.",
        ("R28", "R19", "R23"),
        "seed-ncalrpc/lb-delegate",
    ),
    SeedStatement(
        "SA-13", "'Impersonation' names both the act of working for a client and the level called Impersonate.", ("R1",)
    ),
    SeedStatement(
        "SB-1",
        "Impersonation presents the client's identity and credentials instead of the server's, "
        "and only with the client's permission.",
        ("R4", "R6", "R15"),
    ),
    SeedStatement(
        "SB-2", "The client uses the impersonation level to grant the server a degree of authority.", ("R2", "R4", "R6")
    ),
    SeedStatement(
        "SB-3",
        "Impersonating over the network needs the highest level: local use is Impersonate, use "
        "across the network is Delegate.",
        ("R18", "R19", "R27"),
    ),
    SeedStatement(
        "SB-4",
        "To delegate, the server must run as an identity trusted for delegation.",
        ("R19",),
        "seed-delegation/server-not-trusted",
    ),
    SeedStatement(
        "SB-5",
        "To grant Delegate the client's account must not be marked sensitive and not delegable.",
        ("R25",),
        "seed-delegation/sensitive-account",
    ),
    SeedStatement(
        "SB-6",
        "An administrator can change the machine-wide impersonation level.",
        ("R6",),
        "com-machine-default/admin-raised-default",
    ),
    SeedStatement(
        "SB-7",
        "The machine-wide level applies when a COM client sets no level in code.",
        ("R6",),
        "com-machine-default/default-identify",
    ),
    SeedStatement(
        "SB-8", "The machine-wide level is Identify by default.", ("R6",), "com-machine-default/default-identify"
    ),
    SeedStatement(
        "SB-9", "The levels, from least to most authority: Anonymous, Identify, Impersonate, Delegate.", ("R2",)
    ),
    SeedStatement(
        "SB-10",
        "Anonymous: the server may impersonate, but the token carries nothing about the client.",
        ("R7", "R15", "R16"),
    ),
    SeedStatement(
        "SB-11", "Identify: the server learns the client's identity and can check ACLs with it.", ("R15", "R16")
    ),
    SeedStatement(
        "SB-12",
        "Impersonate: resources on the server's computer; on the client's own computer also the "
        "network; on another computer only that computer.",
        ("R17", "R27", "R18", "R28"),
        "seed-ncalrpc",
    ),
    SeedStatement(
        "SB-13",
        "Delegate: local or remote, the client's credentials can travel to any number of computers.",
        ("R19", "R23"),
    ),
)


#: Seed id -> (notebook, section heading in it, exercise).
TEACHING: dict[str, tuple[str, str, str]] = {
    "SA-1": ("01_security_context", "Processes run as accounts", "ex2"),
    "SA-2": ("04_delegation", "Server A asks Server B on the client's behalf", "ex8"),
    "SA-3": ("01_security_context", "Impersonate, work, revert", "ex2"),
    "SA-4": ("01_security_context", "Impersonate, work, revert", "ex2"),
    "SA-5": ("03_qos", "The grant is made at binding", "ex3"),
    "SA-6": ("04_delegation", "Server A asks Server B on the client's behalf", "ex8"),
    "SA-7": ("04_delegation", "What delegation needs, one condition at a time", "ex5"),
    "SA-8": ("04_delegation", "What delegation needs, one condition at a time", "ex5"),
    "SA-9": ("04_delegation", "Administrators limit where delegation goes", "ex5"),
    "SA-10": ("05_ncalrpc_exception", "The example, as the RPC document tells it", "ex6"),
    "SA-11": ("05_ncalrpc_exception", "The example, as the RPC document tells it", "ex6"),
    "SA-12": ("05_ncalrpc_exception", "With Delegate from LB to RB", "ex6"),
    "SA-13": ("00_start_here", "Glossary (used the same way in code, prose and drawings)", "ex1"),
    "SB-1": ("03_qos", "The grant is made at binding", "ex3"),
    "SB-2": ("02_levels", "Four levels, least to most authority", "ex1"),
    "SB-3": ("02_levels", "Each level doing (and failing to do) things", "ex1"),
    "SB-4": ("04_delegation", "What delegation needs, one condition at a time", "ex5"),
    "SB-5": ("04_delegation", "What delegation needs, one condition at a time", "ex5"),
    "SB-6": ("03_qos", "The machine-wide COM level, and an administrator changing it", "ex4"),
    "SB-7": ("03_qos", "The machine-wide COM level, and an administrator changing it", "ex4"),
    "SB-8": ("03_qos", "The machine-wide COM level, and an administrator changing it", "ex4"),
    "SB-9": ("02_levels", "Four levels, least to most authority", "ex1"),
    "SB-10": ("02_levels", "Each level doing (and failing to do) things", "ex1"),
    "SB-11": ("02_levels", "Each level doing (and failing to do) things", "ex1"),
    "SB-12": ("02_levels", "Each level doing (and failing to do) things", "ex1"),
    "SB-13": ("04_delegation", "Long chains: every hop is checked again", "ex8"),
}
