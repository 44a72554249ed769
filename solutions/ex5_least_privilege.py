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
from rpc_impersonation.grading.spec import ask

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors")
JUDGE = "rpc_impersonation.grading.judges:delegation_design"


def design_case(name, aspect, rule, section, hidden, points=1):
    ask(name, "configure", accepted=[True], judge=JUDGE, aspect=aspect, rule=rule, section=section, hidden=hidden,
        points=points)


design_case("DB1 reads sales as Alice", "db1-alice", "R19", "04.conditions", hidden=False, points=2)
design_case("DB2 never sees Alice", "db2-not-alice", "M2", "04.limits", hidden=False, points=2)
### BEGIN HIDDEN TESTS
design_case("the sensitive administrator is never delegated", "adm-not-delegated", "R25", "04.conditions", hidden=True)
design_case("no unconstrained delegation", "no-unconstrained", "M2", "04.limits", hidden=True)
design_case("delegation limited to DB1 exactly", "exactly-db1", "M2", "04.limits", hidden=True)
design_case("the front end asks the database for no more than Impersonate", "backend-not-delegate", "R17",
            "06.fix", hidden=True)
### END HIDDEN TESTS
