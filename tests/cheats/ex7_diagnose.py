# "Call the engine": reads the deciding hop and rule off the engine's result.
from rpc_impersonation import load_named


def diagnose(case):
    scenario, chain = case.split("/")
    r = load_named(scenario).evaluate(chain)
    return {"hop": r.deciding_hop, "rule": r.outcome.rules[0]}
