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
only over `ncalrpc`. Graded on every combination (40 of them) against the engine.
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
    return rank >= 3  # the next server got only Impersonate: one machine hop, not two (R18, R28)
    ### END SOLUTION


### BEGIN TESTS
from rpc_impersonation.capabilities import run_capability
from rpc_impersonation.grading.spec import expect, test

LEVELS = ("anonymous", "identify", "impersonate", "delegate")
CAPABILITIES = ("learn the identity", "check an ACL", "open a local resource", "reach another machine",
                "let the next server go on")


def check_cell(run, level, what, placement):
    cell = run_capability(what, level=level, placement=placement)
    got = run("can_do", level, what, placement)
    expect(got, cell.allowed, f"can_do({level!r}, {what!r}, {placement!r})", cell.decision)


@test("identify can check an ACL on another machine")
def _(run):
    check_cell(run, "identify", "check an ACL", "remote")


@test("identify cannot open a local resource")
def _(run):
    check_cell(run, "identify", "open a local resource", "remote")


@test("impersonate from the client's own machine reaches the network")
def _(run):
    check_cell(run, "impersonate", "reach another machine", "local")


@test("delegate reaches another machine")
def _(run):
    check_cell(run, "delegate", "reach another machine", "remote")
### BEGIN HIDDEN TESTS


def _every_capability(level, placement):
    def check(run):
        for what in CAPABILITIES:
            check_cell(run, level, what, placement)
    return check


for _level in LEVELS:
    for _placement in ("local", "remote"):
        test(f"{_level}, server {_placement}: all five capabilities", points=2, hidden=True)(
            _every_capability(_level, _placement))
### END HIDDEN TESTS
