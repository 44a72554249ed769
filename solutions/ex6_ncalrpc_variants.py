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
    ### BEGIN SOLUTION
    a, anon = "CORP\\userA", "NT AUTHORITY\\ANONYMOUS LOGON"
    return {
        "lb-impersonate": {"LB": a, "RB": a, "C": anon},
        "lb-delegate": {"LB": a, "RB": a, "C": a},
        "lb-over-local-tcp": {"LB": a, "RB": anon, "C": None},
        "lb-identify": {"LB": a, "RB": None, "C": None},
    }[variant]
    ### END SOLUTION


def smallest_change() -> dict:
    """One change to lb-impersonate that lets C see A."""
    ### BEGIN SOLUTION
    return {"hop": 2, "field": "level", "value": "delegate"}
    ### END SOLUTION


### BEGIN TESTS
from dataclasses import replace
from functools import lru_cache

from rpc_impersonation.chain import evaluate
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.scenarios import load_named


@lru_cache(maxsize=None)
def engine_result(variant):
    return load_named("seed-ncalrpc").evaluate(variant)


def check_variant(run, variant):
    r = engine_result(variant)
    got = run("who_reaches", variant)
    if not isinstance(got, dict):
        raise Failed(f"who_reaches({variant!r}) must return a dict, got {type(got).__name__}")
    for server in ("LB", "RB", "C"):
        hop = next((h for h in r.hops if h.hop.server == server), None)
        why = r.outcome if hop is None else (hop.impersonation or hop.call)
        expect(got.get(server), r.reached_as(server), f"who_reaches({variant!r})[{server!r}]", why)


@test("lb-impersonate", points=2)
def _(run):
    check_variant(run, "lb-impersonate")
### BEGIN HIDDEN TESTS


@test("lb-delegate", points=2, hidden=True)
def _(run):
    check_variant(run, "lb-delegate")


@test("lb-over-local-tcp", points=2, hidden=True)
def _(run):
    check_variant(run, "lb-over-local-tcp")


@test("lb-identify", points=1, hidden=True)
def _(run):
    check_variant(run, "lb-identify")


@test("the smallest change lets C see A", points=3, hidden=True)
def _(run):
    change = run("smallest_change")
    if not isinstance(change, dict) or set(change) != {"hop", "field", "value"}:
        raise Failed("smallest_change() must return {'hop': n, 'field': name, 'value': value}")
    s = load_named("seed-ncalrpc")
    chain = s.chain("lb-impersonate")
    hop = change["hop"]
    if not isinstance(hop, int) or not 1 <= hop <= len(chain.hops):
        raise Failed(f"hop must be a number from 1 to {len(chain.hops)}, got {hop!r}")
    try:
        binding = chain.hops[hop - 1].binding.with_(**{change["field"]: change["value"]})
        hops = list(chain.hops)
        hops[hop - 1] = replace(hops[hop - 1], binding=binding)
        r = evaluate(s.world, replace(chain, hops=tuple(hops)))
    except ImpersonationError as exc:
        raise Failed(f"that change cannot be applied: {exc}") from None
    if r.reached_as("C") != "CORP\\userA":
        raise Failed(f"with that change C acts as {r.reached_as('C')}: {r.outcome.sentence}")
### END HIDDEN TESTS
