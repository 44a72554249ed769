"""Exercise 7 - Diagnose a broken chain (notebook 06_double_hop)

Each case below is a chain whose identity does not arrive where it should. Print its story with

    from rpc_impersonation import load_named
    print(load_named("double-hop").evaluate("ntlm").story())

and read it: at which hop was the outcome decided, and which rule stopped the identity (or refused
the call)? Implement `diagnose(case)` returning `{"hop": n, "rule": "Rxx"}` for every case in `CASES`
(`"scenario/chain"`). The rule counts if it is one of the rules the engine names as deciding.

This is an open-book item (the engine tells the story in your notebook), so it is formative: half a
point per answer. A wrong rule gets feedback naming the misconception it shows.
"""

CASES = ("double-hop/ntlm", "seed-delegation/impersonate-only", "seed-ncalrpc/lb-over-local-tcp",
         "delegation-limited/unlisted-computer", "seed-delegation/no-mutual-auth",
         "seed-delegation/sensitive-account", "com-machine-default/default-identify",
         "unchecked-impersonation/checked")


def diagnose(case: str) -> dict:
    """The hop that decided the outcome and a rule that decided it."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex7: not implemented yet")


