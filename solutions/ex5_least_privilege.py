"""Exercise 5 - Delegation with least privilege (notebooks 04_delegation and 06_double_hop)

Alice (on WS1) uses a front end on FRONT that must read the `sales` database on DB1 *as Alice*.
Another database, `payroll` on DB2, must stay out of the front end's reach with Alice's identity.
The administrator account `adm` is marked sensitive and must stay so.

Return from `configure()` a dictionary with exactly these keys:

- `"svc_front"`: the front end's account settings, `{"trusted_for_delegation": bool, "delegate_to": [machines]}`;
- `"client_binding"`: how Alice's client calls the front end, `{"provider", "level", "mutual_auth"}`;
- `"backend_binding"`: how the front end calls a database, `{"provider", "level", "mutual_auth"}`.

Providers: `"ntlm"`, `"kerberos"`, `"negotiate"`; levels: `"identify"`, `"impersonate"`, `"delegate"`.
Grant no more than needed: the grader checks that DB1 sees Alice, that DB2 does not, that `adm` is
never delegated, and that nothing is trusted or requested beyond what is required.
"""


def configure() -> dict:
    """The account settings and bindings."""
    ### BEGIN SOLUTION
    return {
        "svc_front": {"trusted_for_delegation": False, "delegate_to": ["DB1"]},
        "client_binding": {"provider": "kerberos", "level": "delegate", "mutual_auth": True},
        "backend_binding": {"provider": "kerberos", "level": "impersonate", "mutual_auth": True},
    }
    ### END SOLUTION


### BEGIN TESTS
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
### BEGIN HIDDEN TESTS


@test("the sensitive administrator is never delegated", points=1, hidden=True)
def _(run):
    r = outcome(run, "admin_client", "db1", "sales")
    if r.reached_as("db1") == "CORP\\adm":
        raise Failed("DB1 acted as adm, a sensitive account: it must never be delegated (R25).")


@test("no unconstrained delegation", points=1, hidden=True)
def _(run):
    config = run("configure")
    build(config)
    if config["svc_front"]["trusted_for_delegation"]:
        raise Failed("svc_front is trusted for delegation to any computer; trust it to DB1 only (SA-9, M2).")


@test("delegation limited to DB1 exactly", points=1, hidden=True)
def _(run):
    config = run("configure")
    build(config)
    expect(sorted(config["svc_front"]["delegate_to"]), ["DB1"], "svc_front's delegate_to",
           "Only DB1 needs Alice's identity.")


@test("the front end asks the database for no more than Impersonate", points=1, hidden=True)
def _(run):
    config = run("configure")
    build(config)
    if config["backend_binding"]["level"] == "delegate":
        raise Failed("the front end grants DB1 Delegate, but DB1 only reads its own database: Impersonate is "
                     "enough (least privilege).")
### END HIDDEN TESTS
