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
    # Your code here: replace the next line.
    raise NotImplementedError("ex5: not implemented yet")


