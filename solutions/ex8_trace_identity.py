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
    ### BEGIN SOLUTION
    engine = Engine(world)
    thread = engine.thread(client)
    out = []
    for server, binding in hops:
        served = thread.call(server, binding)
        if not served.ok:
            break
        thread = served.thread
        result = thread.rpc_impersonate_client()
        out.append(thread.acting_as)
        if not result.ok:
            break
    return out + [None] * (len(hops) - len(out))
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.engine import Options
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.scenarios import load_named, names

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.binding", "rpc_impersonation.world",
         "rpc_impersonation.errors", "rpc_impersonation.rules", "rpc_impersonation.engine", "rpc_impersonation.com",
         "rpc_impersonation.kerberos", "rpc_impersonation.tables", "rpc_impersonation.tokens",
         "rpc_impersonation.decisions")
ALLOW_ENGINE_PRIMITIVES = True
# for the nbgrader export, where nothing restricts imports: the evaluator is switched off while a cell runs
FORBID = ("rpc_impersonation.chain.evaluate", "rpc_impersonation.evaluate",
          "rpc_impersonation.scenarios.loader.evaluate")
ANON = "NT AUTHORITY\\ANONYMOUS LOGON"


@lru_cache(maxsize=None)
def expected(scenario, chain):
    r = load_named(scenario).evaluate(chain)
    out = []
    for h in r.hops:
        if not h.reached:
            break
        if h.impersonation is not None and not h.impersonation.ok:
            out.append(h.call.server_account)
            break
        out.append(h.acting_as)
    return out + [None] * (len(r.chain.hops) - len(out)), r


def chain_cases(scenario, chain, hidden, points=0.5):
    want, r = expected(scenario, chain)
    for i, w in enumerate(want):
        hop = r.hops[i] if i < len(r.hops) else None
        cited = list(r.outcome.rules) if hop is None else [
            *hop.call.rules, *(hop.impersonation.rules if hop.impersonation else ())]
        rule = next((x for x in cited if x not in ("M4", "M1", "R10", "R13")), "R17")
        client = r.hops[0].acting_as if r.hops and r.hops[0].reached else None
        if w == client:
            wrong = {ANON: "ncalrpc-no-exception" if scenario == "seed-ncalrpc" else "delegation-works",
                     None: "delegation-works"}
        elif w is None:
            wrong = {client: "failure-is-harmless"}
        else:
            wrong = {client: "impersonate-network"}
        wrong.pop(w, None)
        ask(f"{scenario}/{chain}, hop {i + 1}", "trace", scenario, chain, drive=True, field=i, accepted=[w],
            rule=rule, section="04.long", wrong=[[k, v] for k, v in wrong.items()], points=points, hidden=hidden)


chain_cases("seed-delegation", "delegate", hidden=False)
chain_cases("seed-ncalrpc", "lb-impersonate", hidden=False)
chain_cases("seed-delegation", "sensitive-account", hidden=False)
### BEGIN HIDDEN TESTS
_VISIBLE = {("seed-delegation", "delegate"), ("seed-ncalrpc", "lb-impersonate"), ("seed-delegation", "sensitive-account")}
for _name in names():
    _s = load_named(_name)
    if _s.options == Options() and not any(h.bound_before_impersonating for c in _s.chains for h in c.hops):
        # the core engine's scenarios whose servers impersonate before calling on (what trace() models)
        for _c in _s.chains:
            if (_name, _c.name) not in _VISIBLE:
                chain_cases(_name, _c.name, hidden=True, points=0.25)
### END HIDDEN TESTS
