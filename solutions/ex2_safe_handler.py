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
from rpc_impersonation.grading.spec import ask
from rpc_impersonation.grading.worlds import serve

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors")


def facts(client):
    """What the engine does for a correct handler: impersonation's result and the code to return."""
    _, thread = serve(client)
    impersonation = thread.rpc_impersonate_client()
    if not impersonation.ok:
        return False, impersonation
    opened = thread.open("report.txt")
    thread.rpc_revert_to_self()
    return True, opened


CODE_RULES = {"RPC_S_NO_CONTEXT_AVAILABLE": ("A15", "01.codes"), "ERROR_BAD_IMPERSONATION_LEVEL": ("R15", "01.codes"),
              "ERROR_SUCCESS": ("R10", "01.cycle"), "ERROR_ACCESS_DENIED": ("M4", "01.cycle")}


def handler_cases(client, hidden):
    ok, decision = facts(client)
    code = decision.code.name
    rule, section = CODE_RULES.get(code, (decision.rules[0], "01.codes"))
    common = dict(judge="handler", drive=True, hidden=hidden, impersonation_ok=ok)
    ask(f"{client} client: returns the right code", "handler", client, accepted=[code], aspect="code",
        rule=rule, section=section, right=decision.sentence,
        wrong={"ERROR_SUCCESS": "failure-is-harmless"} if not ok else {}, misconception="", **common)
    ask(f"{client} client: never works as SYSTEM for the caller", "handler", client, accepted=[True],
        aspect="as-server", rule="R11", section="01.unchecked", **common)
    ask(f"{client} client: reverts before returning", "handler", client, accepted=[True], aspect="reverts",
        rule="R14", section="01.revert", **common)


handler_cases("well-behaved", hidden=False)
handler_cases("unauthenticated", hidden=False)
handler_cases("identify-level", hidden=False)
### BEGIN HIDDEN TESTS
handler_cases("anonymous", hidden=True)
handler_cases("unauthenticated local", hidden=True)
handler_cases("local well-behaved", hidden=True)
### END HIDDEN TESTS
