"""Exercise 8 - Trace whose identity every hop acts as (notebook 04_delegation)

Implement `trace(world, client, hops)` with the engine's primitives (`Engine`, its threads'
`call`, `rpc_impersonate_client` and `acting_as`), not with its chain evaluator: while your code is
graded it can import the engine's primitives but not `rpc_impersonation.chain` or the scenarios.
This exercise is about using the API, so the engine's primitives are allowed here and nowhere else. `hops` is a list of `(server_name, binding)` pairs: the
client calls the first server, which impersonates its caller and calls the second, and so on.

Return a list with one entry per hop: the identity that server acts as after
`rpc_impersonate_client()`, or `None` for a server the request never reaches. If a call fails,
that server and all later ones get `None`. If an impersonation fails, that server acts as its own
account, refuses the request, and all later ones get `None`.
"""

from rpc_impersonation import Engine


def trace(world, client, hops) -> list:
    """Identity each server acts as, hop by hop."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex8: not implemented yet")


