from rpc_impersonation import Chain, Hop, evaluate


def trace(world, client, hops):
    result = evaluate(world, Chain(client, tuple(Hop(s, b) for s, b in hops)))
    return [h.acting_as for h in result.hops]
