"""Exercise 2 - A server handler that impersonates safely (notebook 01_security_context)

A service running as `SYSTEM` serves calls. Write its handler `handle_request(thread)`, which must:

1. impersonate the caller with `thread.rpc_impersonate_client()`;
2. if that fails, refuse: return the failure's code name (for example `"RPC_S_NO_CONTEXT_AVAILABLE"`)
   without opening anything, because the thread would still be `SYSTEM`;
3. otherwise open `"report.txt"` with `thread.open("report.txt")`, as the caller;
4. always revert with `thread.rpc_revert_to_self()` before returning, even if opening fails;
5. return the code name of the open (for example `"ERROR_SUCCESS"` or `"ERROR_BAD_IMPERSONATION_LEVEL"`).

Every API call returns an object with `.ok`, `.code` and `.code_name`. The handler is graded by
running it for an unauthenticated client, an anonymous one, an identify-level one and two
well-behaved ones; the grader replays what your handler did on its own engine.
"""


def handle_request(thread) -> str:
    """Serve one call safely; return the code name of what happened."""
    ### BEGIN SOLUTION
    impersonation = thread.rpc_impersonate_client()
    if not impersonation.ok:
        return impersonation.code_name
    try:
        opened = thread.open("report.txt")
    finally:
        thread.rpc_revert_to_self()
    return opened.code_name
    ### END SOLUTION


### BEGIN TESTS
from functools import lru_cache

from rpc_impersonation.grading.spec import Failed, expect, test
from rpc_impersonation.grading.worlds import serve


def replay(client, trace):
    """Apply the handler's actions to a fresh engine: what really happened (R10-R17)."""
    return _replay(client, tuple(tuple(str(x) for x in a) if isinstance(a, (list, tuple)) else (str(a),)
                                 for a in trace))


@lru_cache(maxsize=4096)
def _replay(client, trace):
    _, thread = serve(client)
    as_server = []
    for action in trace:
        name = action[0]
        if name == "impersonate":
            thread.rpc_impersonate_client(thread.call_handle if action[1] == "call" else 0)
        elif name == "revert":
            thread.rpc_revert_to_self()
        elif name == "revert_ex":
            thread.rpc_revert_to_self_ex(thread.call_handle if action[1] == "call" else 0)
        elif name in ("open", "access_check"):
            if not thread.impersonating:
                as_server.append(action[1])
            getattr(thread, name)(action[1], action[2])
    return thread, as_server


@lru_cache(maxsize=None)
def reference(client):
    _, thread = serve(client)
    impersonation = thread.rpc_impersonate_client()
    if not impersonation.ok:
        return impersonation
    opened = thread.open("report.txt")
    thread.rpc_revert_to_self()
    return opened


def handler_tests(client, hidden):
    def outcome(run):
        return run.drive("handler", client)

    @test(f"{client} client: returns the right code", points=1, hidden=hidden)
    def _(run):
        done = outcome(run)
        decision = reference(client)
        expect(done["returned"], decision.code.name, f"handle_request for a {client} client", decision)

    @test(f"{client} client: never works as SYSTEM for the caller", points=1, hidden=hidden)
    def _(run):
        thread, as_server = replay(client, outcome(run)["trace"])
        if as_server:
            raise Failed(f"your handler opened {as_server[0]} while the thread was not impersonating, so it acted "
                         f"as {thread.process.account.qualified}, not as the caller. Check the result of "
                         "rpc_impersonate_client and refuse on failure (R11).")

    @test(f"{client} client: reverts before returning", points=1, hidden=hidden)
    def _(run):
        thread, _ = replay(client, outcome(run)["trace"])
        if thread.impersonating:
            raise Failed(f"your handler returned while still impersonating {thread.thread_token.user}; RPC does "
                         "not revert for you (R14). Call rpc_revert_to_self on every path, e.g. in a finally block.")


handler_tests("well-behaved", hidden=False)
handler_tests("unauthenticated", hidden=False)
### BEGIN HIDDEN TESTS
handler_tests("anonymous", hidden=True)
handler_tests("identify-level", hidden=True)
handler_tests("local well-behaved", hidden=True)
### END HIDDEN TESTS
