"""Visible tests of ex5 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex5
"""
from rpc_impersonation.binding import Binding
from rpc_impersonation.chain import Access, Chain, Hop, evaluate
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.world import World

KEYS = {"svc_front": {"trusted_for_delegation", "delegate_to"},
        "client_binding": {"provider", "level", "mutual_auth"},
        "backend_binding": {"provider", "level", "mutual_auth"}}


def build(config):
    if not isinstance(config, dict) or set(config) != set(KEYS):
        raise Failed(f"configure() must return a dict with exactly the keys {sorted(KEYS)}; got "
                     f"{sorted(config) if isinstance(config, dict) else type(config).__name__}")
    for key, allowed in KEYS.items():
        if not isinstance(config[key], dict) or set(config[key]) != allowed:
            raise Failed(f"{key} must be a dict with exactly the keys {sorted(allowed)}")
    try:
        w = World("CORP")
        for m in ("WS1", "FRONT", "DB1", "DB2"):
            w.machine(m)
        w.account("alice")
        w.account("adm", sensitive=True)
        front = config["svc_front"]
        w.account("svc_front", trusted_for_delegation=front["trusted_for_delegation"],
                  delegate_to=list(front["delegate_to"]))
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
    except ImpersonationError as exc:
        raise Failed(f"your configuration is not valid: {exc}") from None
    return w, first, second


def outcome(run, client, database, resource):
    world, first, second = build(run("configure"))
    return evaluate(world, Chain(client, (Hop("front", first), Hop(database, second, access=(Access.of(resource),)))))


@test("DB1 reads sales as Alice", points=2)
def _(run):
    r = outcome(run, "client", "db1", "sales")
    expect(r.reached_as("db1"), "CORP\\alice", "the identity DB1 acts with", r.outcome)


@test("DB2 never sees Alice", points=2)
def _(run):
    r = outcome(run, "client", "db2", "payroll")
    if r.reached_as("db2") == "CORP\\alice":
        raise Failed("DB2 acted as Alice: the front end can use her identity on any computer. Limit its "
                     "delegation to DB1 (M2).")
