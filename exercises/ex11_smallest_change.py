"""Exercise 11 - The smallest change that makes a chain work (notebook 06_double_hop)

Each case is a chain of the course's scenarios (`"scenario/chain"`) that fails: the last server does
not act as the client, or the call is refused. Find the **single** change to one hop's binding that
makes the whole chain succeed, granting no more than needed, and return it as
`{"hop": n, "field": name, "value": value}` (hops count from 1). Fields and values:

- `"level"`: `"anonymous"`, `"identify"`, `"impersonate"`, `"delegate"`;
- `"provider"`: `"ntlm"`, `"kerberos"`, `"negotiate"`;
- `"mutual_auth"`: `True` or `False`;
- `"protseq"`: `"ncalrpc"`, `"ncacn_ip_tcp"`, `"ncacn_np"`.

Read each chain's story in notebook 06 (or 04 and 05) first: which rule stopped it, and at which hop?
When two levels would both work, the lower one is the answer (least privilege).
"""

CASES = ("seed-ncalrpc/lb-impersonate", "seed-delegation/impersonate-only", "seed-delegation/no-mutual-auth",
         "seed-delegation/ntlm", "seed-ncalrpc/lb-identify", "com-machine-default/default-identify",
         "com-cloaking/cloaking-needs-delegate")


def smallest_change(case: str) -> dict:
    """One change to one hop's binding that makes ``case`` succeed."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex11: not implemented yet")


