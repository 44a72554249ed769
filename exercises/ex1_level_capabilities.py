"""Exercise 1 - What each level lets a server do (notebook 02_levels)

A client grants a server one of four impersonation levels. The server runs either on the client's
own machine (reached over `ncalrpc`: placement `"local"`) or on another machine (reached with
Kerberos and mutual authentication, and trusted for delegation: placement `"remote"`).

Implement `can_do(level, capability, placement)`: return `True` if a server granted `level` can do
`capability` there, else `False`. The capabilities, in the order of notebook 02's matrix:

- `"learn the identity"`: open its thread token and read who the client is;
- `"check an ACL"`: run AccessCheck with the client's token;
- `"open a local resource"`: open a file on its own machine as the client;
- `"reach another machine"`: open a share on a third machine as the client;
- `"let the next server go on"`: call a next server on another machine, asking for the same level
  it was granted, which then reaches a further machine as the client.

Levels: `"anonymous"`, `"identify"`, `"impersonate"`, `"delegate"`. Remember that Anonymous is honoured
only over `ncalrpc`. Graded on every combination (40 of them, half a point each). Your module can import
only the course's vocabulary (`rpc_impersonation.constants`, `binding`, `world`, `rules`), not the
engine: the point is to know the rule, not to ask the engine.
"""

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
CAPABILITIES = ("learn the identity", "check an ACL", "open a local resource", "reach another machine",
                "let the next server go on")
PLACEMENTS = ("local", "remote")


def can_do(level: str, capability: str, placement: str) -> bool:
    """Whether a server granted ``level`` at ``placement`` can do ``capability``."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex1: not implemented yet")


