"""Exercise 2 - A server handler that impersonates safely (notebook 01_security_context)

A service running as `SYSTEM` serves calls. Write its handler `handle_request(thread)`, which must:

1. impersonate the caller with `thread.rpc_impersonate_client()`;
2. if that fails, refuse: return the failure's code name (for example `"RPC_S_NO_CONTEXT_AVAILABLE"`)
   without opening anything, because the thread would still be `SYSTEM`;
3. otherwise open `"report.txt"` with `thread.open("report.txt")`, as the caller;
4. always revert with `thread.rpc_revert_to_self()` before returning, even if opening fails;
5. return the code name of the open (for example `"ERROR_SUCCESS"` or `"ERROR_BAD_IMPERSONATION_LEVEL"`).

Every API call returns an object with `.ok`, `.code` and `.code_name`. The handler is graded by
running it for unauthenticated clients (remote and local), an anonymous one, an identify-level one and two
well-behaved ones; the grader replays what your handler did on its own engine.
"""


def handle_request(thread) -> str:
    """Serve one call safely; return the code name of what happened."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex2: not implemented yet")


