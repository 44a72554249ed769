"""Judges that need the engine: they evaluate a student's *design* (a configuration), never produce one.

A design exercise has no single expected value to store: many configurations are right. Its visible
cases name a judge here (``"judge": "rpc_impersonation.grading.judges:delegation_design"``), which
builds the student's world and asks the engine what happens in it. A judge cannot compute an answer
to any exercise: it takes the student's answer and reports whether it works and, if not, the rule.
"""

from __future__ import annotations

from ..binding import Binding
from ..chain import Access, Chain, Hop, evaluate
from ..errors import ImpersonationError
from ..world import World
from .spec import Failed, Runner

__all__ = ["delegation_design"]

_KEYS = {
    "svc_front": {"trusted_for_delegation", "delegate_to"},
    "client_binding": {"provider", "level", "mutual_auth"},
    "backend_binding": {"provider", "level", "mutual_auth"},
}


def _build(config):
    shape = dict(misconception="wrong-shape", what="configure()")
    if not isinstance(config, dict) or set(config) != set(_KEYS):
        raise Failed(
            f"configure() must return a dict with exactly the keys {sorted(_KEYS)}; got "
            f"{sorted(config) if isinstance(config, dict) else type(config).__name__}",
            **shape,
        )
    for key, allowed in _KEYS.items():
        if not isinstance(config[key], dict) or set(config[key]) != allowed:
            raise Failed(f"{key} must be a dict with exactly the keys {sorted(allowed)}", **shape)
    try:
        w = World("CORP")
        for m in ("WS1", "FRONT", "DB1", "DB2"):
            w.machine(m)
        w.account("alice")
        w.account("adm", sensitive=True)
        front = config["svc_front"]
        w.account(
            "svc_front", trusted_for_delegation=front["trusted_for_delegation"], delegate_to=list(front["delegate_to"])
        )
        w.account("svc_db")
        w.process("client", on="WS1", runs_as="alice")
        w.process("admin_client", on="WS1", runs_as="adm")
        w.process("front", on="FRONT", runs_as="svc_front")
        w.process("db1", on="DB1", runs_as="svc_db", requires_authentication=True)
        w.process("db2", on="DB2", runs_as="svc_db", requires_authentication=True)
        w.resource("sales", on="DB1", kind="database", allow={"alice": "read", "adm": "read"})
        w.resource("payroll", on="DB2", kind="database", allow={"alice": "read", "adm": "read"})
        first = Binding.of(**config["client_binding"])
        second = Binding.of(**config["backend_binding"])
        w.validate()
    except (ImpersonationError, TypeError) as exc:
        raise Failed(f"your configuration is not valid: {exc}", **shape) from None
    return w, first, second


def delegation_design(run: Runner, data: dict) -> None:
    """Exercise 5: one property of the student's configuration (``data["aspect"]``)."""
    config = run(data["call"])
    world, first, second = _build(config)
    aspect = data["aspect"]
    fields = dict(rule=data.get("rule", ""), section=data.get("section", ""), right=data.get("right", ""))

    def reached(client, server, resource):
        r = evaluate(world, Chain(client, (Hop("front", first), Hop(server, second, access=(Access.of(resource),)))))
        return r.reached_as(server), r.outcome

    if aspect == "db1-alice":
        who, decision = reached("client", "db1", "sales")
        if who != "CORP\\alice":
            provider = str(config["client_binding"]["provider"]).lower()
            mis = (
                "ntlm-delegates"
                if provider == "ntlm"
                else ("mutual-not-needed" if not config["client_binding"]["mutual_auth"] else "delegate-alone")
            )
            if str(config["client_binding"]["level"]).lower() == "impersonate":
                mis = "impersonate-network"
            seen = f"DB1 acts as {who}" if who else f"the request never reaches DB1 ({decision.code_name})"
            raise Failed(
                "DB1 does not act as Alice", what=f"with your configuration {seen}", misconception=mis, **fields
            )
    elif aspect == "db2-not-alice":
        who, _ = reached("client", "db2", "payroll")
        if who == "CORP\\alice":
            raise Failed(
                "DB2 acts as Alice",
                what="with your configuration DB2 acts as Alice",
                misconception="unlimited-delegation",
                **fields,
            )
    elif aspect == "adm-not-delegated":
        who, _ = reached("admin_client", "db1", "sales")
        if who == "CORP\\adm":
            raise Failed(
                "adm delegated",
                what="with your configuration DB1 acts as the sensitive adm",
                misconception="sensitive-ignored",
                **fields,
            )
    elif aspect == "no-unconstrained":
        if config["svc_front"]["trusted_for_delegation"]:
            raise Failed(
                "unconstrained",
                what="svc_front is trusted for delegation to any computer",
                misconception="unlimited-delegation",
                **fields,
            )
    elif aspect == "exactly-db1":
        if sorted(map(str, config["svc_front"]["delegate_to"])) != ["DB1"]:
            raise Failed(
                "delegate_to",
                what="svc_front's delegate_to is not exactly DB1",
                misconception="unlimited-delegation",
                **fields,
            )
    elif aspect == "backend-not-delegate":
        if str(config["backend_binding"]["level"]).lower() == "delegate":
            raise Failed(
                "backend delegate",
                what="the front end grants DB1 Delegate, but DB1 only reads its own database",
                misconception="more-is-safer",
                **fields,
            )
    else:
        raise ImpersonationError(f"delegation_design: unknown aspect {aspect!r}")
