# "Call the engine": builds the world and lets the engine impersonate (imports inside the function).
def effective_level(api, requested, protseq, machine_default):
    from rpc_impersonation import Binding, Engine, World

    w = World("CORP")
    w.machine("WS1", com_default_level=machine_default)
    w.machine("SRV1")
    w.account("alice")
    w.account("svc", trusted_for_delegation=True)
    w.process("client", on="WS1", runs_as="alice")
    w.process("server", on="WS1" if protseq == "ncalrpc" else "SRV1", runs_as="svc")
    if protseq == "ncalrpc":
        b = Binding.of(api=api, protseq="ncalrpc", provider="ntlm" if api == "rpc" else "default", level=requested)
    else:
        b = Binding.of(api=api, provider="kerberos", level=requested, mutual_auth=True)
    served = Engine(w).thread("client").call("server", b)
    return served.thread.rpc_impersonate_client().token.level.label.lower()
