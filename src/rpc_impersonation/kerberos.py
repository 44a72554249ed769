"""Kerberos constrained and resource-based delegation. BEYOND THE SEEDS: switched on with
``Options(kerberos_delegation=True)``; the seeds' model (a forwarded ticket to a server trusted for
delegation, asked for by the client) stays the default. Rules R24 and R25 of the facts sheet.

With the switch on:

* ``delegate_to`` on a service account means classic constrained delegation (msDS-AllowedToDelegateTo):
  the service receives no forwarded ticket, but may ask the KDC (S4U2proxy) for tickets *as the user*
  to the listed computers, without the client asking for Delegate. If the user signed in with NTLM,
  the service first needs protocol transition (S4U2self), whose ticket is forwardable only if the
  account is trusted to authenticate for delegation.
* ``allowed_to_act_for`` on the *target's* account means resource-based constrained delegation:
  the target lists the services that may act for users towards it.
* Sensitive accounts and Protected Users are refused in every kind (R25).

This module is a plug-in: it registers three hooks with :data:`plugins.REGISTRY` (the core never imports it):
what a server's network logon session holds after an inbound call (an :class:`S4U`), whether such a session may
authenticate to a target (:func:`s4u_decision`), and that an account trusted for constrained delegation only
never receives a forwarded ticket.

Taught in notebooks/07_beyond_the_seeds.ipynb.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import Provider
from .options import Options
from .plugins import REGISTRY
from .reason import Reason
from .rules import DecisionTable, Row
from .tables import Effect
from .tokens import Token
from .world import Account, World

__all__ = ["S4U", "S4U_PROXY", "s4u_decision"]

B = (True, False)


@dataclass(frozen=True)
class S4U:
    """A session a service may use for S4U2proxy: which service, and how the user reached it."""

    service: str
    inbound: str  # "Kerberos" or "NTLM"


class Ticket(Effect):
    """S4U_PROXY: whether the KDC issues the service a ticket as the user."""

    ISSUED = "issued"
    REFUSED = "refused"


S4U_PROXY = DecisionTable(
    "S4U2proxy",
    {
        "kcd": B,
        "rbcd": B,
        "inbound": ("Kerberos", "NTLM"),
        "protocol_transition": B,
        "delegable": B,
    },
    [
        Row(
            "R25",
            Ticket.REFUSED,
            {"delegable": False},
            "{user} is sensitive (or in Protected Users): no kind of delegation, constrained or resource-based, may act "
            "for them.",
        ),
        Row(
            "R24",
            Ticket.ISSUED,
            {"rbcd": True},
            "{target_account} lists {service} in msDS-AllowedToActOnBehalfOfOtherIdentity (resource-based constrained "
            "delegation), so the KDC issues {service} a ticket to {target} as {user}.",
        ),
        Row(
            "R24",
            Ticket.ISSUED,
            {"kcd": True, "inbound": "Kerberos"},
            "{target} is in {service}'s msDS-AllowedToDelegateTo and {user}'s ticket is forwardable, so S4U2proxy gives "
            "{service} a ticket to {target} as {user} (constrained delegation).",
        ),
        Row(
            "R24",
            Ticket.ISSUED,
            {"kcd": True, "protocol_transition": True},
            "{user} signed in with NTLM, but {service} may use protocol transition (trusted to authenticate for "
            "delegation), so S4U2self then S4U2proxy reach {target} as {user}.",
        ),
        Row(
            "R24",
            Ticket.REFUSED,
            {"kcd": True},
            "{user} signed in with NTLM and {service} is not trusted to authenticate for delegation: its S4U2self "
            "ticket is not forwardable, so the KDC refuses a ticket to {target}.",
        ),
        Row(
            "R24",
            Ticket.REFUSED,
            {},
            "{target} is not among the services {service} may delegate to, and {target_account} does not list "
            "{service}: the KDC refuses.",
        ),
    ],
    ordered=True,
    context=("user", "service", "target", "target_account"),
    effect=Ticket,
)


def s4u_decision(
    world: World, s4u: S4U, user: str, target_machine: str, target_account: str | None
) -> tuple[bool, Reason]:
    """May ``s4u.service`` obtain a ticket as ``user`` to ``target_machine`` (R24, R25)?"""
    service = world.accounts.get(s4u.service.lower())
    target = world.accounts.get(target_account.lower()) if target_account else None
    user_account = world.accounts.get(user.lower())
    kcd = bool(service and target_machine.lower() in {m.lower() for m in service.delegate_to})
    rbcd = bool(
        service
        and target
        and any(world.get_account(a).qualified == service.qualified for a in target.allowed_to_act_for)
    )
    row = S4U_PROXY.decide(
        kcd=kcd,
        rbcd=rbcd,
        inbound=s4u.inbound,
        protocol_transition=bool(service and service.trusted_to_auth_for_delegation),
        delegable=bool(user_account and user_account.delegable),
    )
    sentence = row.sentence.format(
        user=user,
        service=s4u.service,
        target=target_machine,
        target_account=target_account or f"{target_machine}'s account",
    )
    return row.effect is Ticket.ISSUED, Reason(row.rule, sentence)


def _credentials(
    token: Token, world: World, options: Options, target_machine: str, target_account: str | None
) -> tuple[bool, Reason] | None:
    """A session without credentials may still reach a target through S4U2proxy (R24), when switched on."""
    s4u = token.session.s4u
    if not options.kerberos_delegation or not isinstance(s4u, S4U):
        return None
    return s4u_decision(world, s4u, token.user, target_machine, target_account)


def _trust(account: Account | None, options: Options) -> tuple[str, tuple[Reason, ...]] | None:
    """Constrained delegation never forwards a ticket, whatever the client asks (R24)."""
    if not options.kerberos_delegation or account is None or account.delegation != "listed":
        return None
    return "none", (
        Reason(
            "R24",
            f"{account.qualified} is trusted for constrained delegation only: it never "
            "receives a forwarded ticket, whatever the client asks.",
        ),
    )


def _session(world: World, options: Options, account: Account | None, provider: Provider | None) -> S4U | None:
    """A network logon to a service may later be used for S4U2proxy (how the user arrived matters, R24)."""
    if not options.kerberos_delegation or account is None or provider not in (Provider.KERBEROS, Provider.NTLM):
        return None
    return S4U(account.qualified, provider.label)


def register() -> None:
    """Attach Kerberos constrained and resource-based delegation to the core (idempotent)."""
    REGISTRY.add_hook(REGISTRY.credential_sources, _credentials)
    REGISTRY.add_hook(REGISTRY.delegation_trust, _trust)
    REGISTRY.add_hook(REGISTRY.network_session, _session)
    REGISTRY.add_tables(S4U_PROXY)


register()
