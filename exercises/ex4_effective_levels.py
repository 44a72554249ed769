"""Exercise 4 - Effective levels under each API's defaults (notebook 03_qos)

A client on machine WS1 calls a server, and the server impersonates it. Return the level of the
token the server then holds: `"anonymous"`, `"identify"`, `"impersonate"` or `"delegate"`.

Arguments of `effective_level(api, requested, protseq, machine_default)`:

- `api`: `"rpc"` (a plain RPC client), `"com"` (a COM client) or `"complus"` (a COM+ server application
  calling out; its own application setting is left at its default);
- `requested`: the level the client asks for, or `"default"` if it sets none;
- `protseq`: `"ncalrpc"` (the server runs on WS1) or `"ncacn_ip_tcp"` (the server runs on another
  machine, reached with Kerberos and mutual authentication; its account is trusted for delegation);
- `machine_default`: WS1's machine-wide COM impersonation level, as set by an administrator
  (`"identify"` unless changed).
"""

LEVELS = ("anonymous", "identify", "impersonate", "delegate")


def effective_level(api: str, requested: str, protseq: str, machine_default: str) -> str:
    """The level of the server's token for the client."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex4: not implemented yet")


