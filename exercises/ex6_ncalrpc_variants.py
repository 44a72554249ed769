"""Exercise 6 - The ncalrpc exception (notebook 05_ncalrpc_exception)

The seed's example: client A and server LB on one machine, RB and C on two others (scenario
`seed-ncalrpc`). Its chains are the variants:

- `"lb-impersonate"`: A calls LB over ncalrpc at Impersonate; LB calls RB, RB calls C, at Impersonate;
- `"lb-delegate"`: the same, but LB asks RB for Delegate (Kerberos, mutual authentication; RB trusted);
- `"lb-over-local-tcp"`: A calls LB over ncacn_ip_tcp on the same machine, then LB calls RB;
- `"lb-identify"`: A grants LB only Identify over ncalrpc.

1. `who_reaches(variant)`: return a dict mapping `"LB"`, `"RB"` and `"C"` to the identity each acts as
   after impersonating its caller (`"CORP\\userA"`, `"NT AUTHORITY\\ANONYMOUS LOGON"`, ...), or `None` for a
   server the request never reaches.
2. `smallest_change()`: the single change to the `"lb-impersonate"` chain that lets C act as A, as
   `{"hop": n, "field": name, "value": value}` (hops count from 1; fields are those of a binding:
   `protseq`, `provider`, `level`, `mutual_auth`, ...). The grader applies it and asks the engine.
"""


def who_reaches(variant: str) -> dict:
    """Identity LB, RB and C act as in this variant."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex6: not implemented yet")


def smallest_change() -> dict:
    """One change to lb-impersonate that lets C see A."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex6: not implemented yet")


