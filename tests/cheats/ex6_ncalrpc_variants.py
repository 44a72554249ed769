# "Call the engine": evaluates the scenario's chain.
import importlib


def _result(variant):
    scenarios = importlib.import_module("rpc_impersonation.scenarios")
    return scenarios.load_named("seed-ncalrpc").evaluate(variant)


def who_reaches(variant):
    r = _result(variant)
    return {s: r.reached_as(s) for s in ("LB", "RB", "C")}


def deciding_rule(variant):
    rules = _result(variant).outcome.rules
    return next((x for x in rules if x in ("R15", "R18", "R19", "R25", "R27", "R28", "R29", "M2")), rules[0])
