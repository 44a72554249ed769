# Loads a fresh copy of the chain evaluator straight from the package's files with importlib, around
# any switched-off name (attack 10).
import importlib.util
import os

import rpc_impersonation


def _fresh(name):
    path = os.path.join(os.path.dirname(rpc_impersonation.__file__), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"rpc_impersonation.{name}", path,
                                                  submodule_search_locations=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "rpc_impersonation"
    spec.loader.exec_module(module)
    return module


def trace(world, client, hops):
    chain = _fresh("chain")
    result = chain.evaluate(world, chain.Chain(client, tuple(chain.Hop(s, b) for s, b in hops)))
    out = []
    for h in result.hops:
        if not h.reached:
            break
        if h.impersonation is not None and not h.impersonation.ok:
            out.append(h.call.server_account)
            break
        out.append(h.acting_as)
    return out + [None] * (len(hops) - len(out))
