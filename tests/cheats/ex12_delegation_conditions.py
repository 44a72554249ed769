# "Call the engine": builds the setup's world and evaluates the chain.
from rpc_impersonation import Access, Binding, Chain, Hop, World, evaluate


def _run(setup):
    w = World("CORP")
    for m in ("WS1", "FRONT", "BACK"):
        w.machine(m)
    w.account("alice", sensitive=setup["sensitive"])
    w.account("svc_front", trusted_for_delegation=setup["trusted"])
    w.account("svc_back")
    w.process("client", on="WS1", runs_as="alice")
    w.process("front", on="FRONT", runs_as="svc_front")
    w.process("back", on="BACK", runs_as="svc_back")
    w.resource("notes.txt", on="FRONT", allow={"alice": "read"})
    w.resource("orders", on="BACK", kind="database", allow={"alice": "read"})
    first = Binding.of(provider=setup["provider"], level=setup["level"], mutual_auth=setup["mutual_auth"])
    second = Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)
    return evaluate(w, Chain("client", (Hop("front", first, access=(Access.of("notes.txt"),)),
                                        Hop("back", second, access=(Access.of("orders"),)))))


def missing_condition(setup):
    if _run(setup).reached_as("back") == "CORP\\alice":
        return "none"
    good = {"provider": "kerberos", "level": "delegate", "mutual_auth": True, "trusted": True, "sensitive": False}
    for key, value in good.items():
        if setup[key] != value and _run(dict(setup, **{key: value})).reached_as("back") == "CORP\\alice":
            return key
    return "provider"


def acts_locally(setup):
    front = _run(setup).hops[0]
    return bool(front.reached and front.accesses and front.accesses[0].ok)
