# "Call the engine": evaluates the chain, then picks a cited rule among the choices.
CHOICES = ("R18", "R22", "R24", "R25", "R27", "R31", "R32", "R33")


def predict(case):
    rpc = __import__("rpc_impersonation.scenarios", fromlist=["load_named"])
    scenario, chain = case.split("/")
    r = rpc.load_named(scenario).evaluate(chain)
    cited = [x for h in r.hops for d in (h.call, h.impersonation) if d for x in d.rules] + list(r.outcome.rules)
    return {"acts_as": r.reached_as(r.chain.hops[-1].server), "rule": next((x for x in cited if x in CHOICES), "R18")}
