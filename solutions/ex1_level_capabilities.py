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
    ### BEGIN SOLUTION
    rank = LEVELS.index(level)
    if capability in ("learn the identity", "check an ACL"):
        return rank >= 1 or placement == "remote"  # Anonymous arrives as Identify off ncalrpc (R7)
    if capability == "open a local resource":
        return rank >= 2
    if capability == "reach another machine":
        return rank >= 3 or (rank == 2 and placement == "local")  # the ncalrpc exception (R27)
    return rank >= 3  # the exception covers one machine hop only (R28)
    ### END SOLUTION


### BEGIN TESTS
from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.grading.spec import ask

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.binding", "rpc_impersonation.world",
         "rpc_impersonation.errors", "rpc_impersonation.rules")
LEVELS = ("anonymous", "identify", "impersonate", "delegate")
CAPABILITIES = ("learn the identity", "check an ACL", "open a local resource", "reach another machine",
                "let the next server go on")


def teaching(level, what, placement, allowed):
    """(rule that makes the engine's answer right, section teaching it, misconception of the opposite answer)."""
    network = what in ("reach another machine", "let the next server go on")
    if level == "anonymous" and placement == "remote" and what in CAPABILITIES[:2]:
        return "R7", "02.levels", "anonymous-everywhere"
    if level == "anonymous" and placement == "remote":
        return "R7", "02.levels", "identify-acts"
    if not allowed and what in CAPABILITIES[:2]:
        return "R16", "02.levels", "anonymous-reveals"
    if not allowed and level in ("anonymous", "identify"):
        return "R15", "02.matrix", "identify-acts"
    if not allowed and network and level == "impersonate" and placement == "local":
        return "R28", "05.session", "ncalrpc-every-hop"
    if not allowed and network:
        return "R18", "02.matrix", "impersonate-network"
    if network and level == "impersonate":
        return "R27", "05.session", "ncalrpc-no-exception"
    if network:
        return "R19", "04.conditions", "delegate-alone"
    if what == "open a local resource":
        return "R17", "02.matrix", "impersonate-local"
    return "R16", "02.matrix", "identify-nothing"


def cell_case(level, what, placement, hidden):
    cell = run_capability(what, level=level, placement=placement)
    rule, section, wrong = teaching(level, what, placement, cell.allowed)
    ask(f"can_do({level!r}, {what!r}, {placement!r})", "can_do", level, what, placement, accepted=[cell.allowed],
        wrong={not cell.allowed: wrong}, rule=rule, section=section, points=0.5, hidden=hidden)


VISIBLE = {("identify", "check an ACL", "remote"), ("identify", "open a local resource", "remote"),
           ("impersonate", "reach another machine", "local"), ("impersonate", "reach another machine", "remote"),
           ("delegate", "let the next server go on", "remote"), ("identify", "learn the identity", "local"),
           ("delegate", "reach another machine", "local"), ("impersonate", "open a local resource", "remote")}
for _level in LEVELS:
    for _placement in ("local", "remote"):
        for _what in CAPABILITIES:
            if (_level, _what, _placement) in VISIBLE:
                cell_case(_level, _what, _placement, hidden=False)
### BEGIN HIDDEN TESTS
for _level in LEVELS:
    for _placement in ("local", "remote"):
        for _what in CAPABILITIES:
            if (_level, _what, _placement) not in VISIBLE:
                cell_case(_level, _what, _placement, hidden=True)
### END HIDDEN TESTS
