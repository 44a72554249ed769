# "Call the engine": tries every single change until the engine says the chain works.
from dataclasses import replace

from rpc_impersonation.chain import evaluate
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.scenarios import load_named

FIELDS = {"level": ["anonymous", "identify", "impersonate", "delegate"], "provider": ["ntlm", "kerberos", "negotiate"],
          "mutual_auth": [True, False], "protseq": ["ncalrpc", "ncacn_ip_tcp", "ncacn_np"]}


def smallest_change(case):
    scenario, name = case.split("/")
    s = load_named(scenario)
    chain = s.chain(name)
    for i, hop in enumerate(chain.hops, start=1):
        for field, values in FIELDS.items():
            for value in values:
                try:
                    hops = list(chain.hops)
                    hops[i - 1] = replace(hop, binding=hop.binding.with_(**{field: value}))
                    if evaluate(s.world, replace(chain, hops=tuple(hops))).outcome.ok:
                        return {"hop": i, "field": field, "value": value}
                except ImpersonationError:
                    continue
