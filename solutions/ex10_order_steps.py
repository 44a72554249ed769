"""Exercise 10 - Put the steps of a call in order (notebook 01_security_context)

Each task below is a set of steps. Return them, as a list, in the order they must happen for the task
to work safely. Every step appears exactly once; `STEPS[task]` lists them (in alphabetical order, so the
order is yours to find).

- `"serve a file as the caller"`: an RPC server handler that opens a file as its caller;
- `"reach a back end as the caller"`: a client whose server must open a database on a third machine as
  the client (Kerberos);
- `"check an ACL without acting"`: a server that only checks the caller against an ACL, granted Identify.

Implement `order(task)`. A wrong order gets feedback on the first pair of steps it puts the wrong way
round: the misconception, the rule, and the notebook section.
"""

STEPS = {
    "serve a file as the caller": ("check the result", "impersonate the caller", "open the file", "return",
                                   "revert to self"),
    "reach a back end as the caller": ("call the back end", "call the server", "grant Delegate with mutual "
                                       "authentication", "server impersonates", "server reverts"),
    "check an ACL without acting": ("check the ACL", "check the result", "grant Identify", "impersonate the caller",
                                    "revert to self"),
}


def order(task: str) -> list:
    """The steps of ``task`` in a safe order."""
    ### BEGIN SOLUTION
    return {
        "serve a file as the caller": ["impersonate the caller", "check the result", "open the file",
                                       "revert to self", "return"],
        "reach a back end as the caller": ["grant Delegate with mutual authentication", "call the server",
                                           "server impersonates", "call the back end", "server reverts"],
        "check an ACL without acting": ["grant Identify", "impersonate the caller", "check the result",
                                        "check the ACL", "revert to self"],
    }[task]
    ### END SOLUTION


### BEGIN TESTS
from rpc_impersonation.grading.spec import ask

ALLOW = ("rpc_impersonation.constants", "rpc_impersonation.errors")

#: task -> constraints (earlier, later, misconception if broken, rule, section)
BEFORE = {
    "serve a file as the caller": [
        ("impersonate the caller", "open the file", "order-work-before-impersonate", "R17", "01.cycle"),
        ("impersonate the caller", "check the result", "failure-is-harmless", "R10", "01.codes"),
        ("check the result", "open the file", "failure-is-harmless", "R11", "01.unchecked"),
        ("open the file", "revert to self", "order-revert-early", "R17", "01.cycle"),
        ("revert to self", "return", "auto-revert", "R14", "01.revert"),
    ],
    "reach a back end as the caller": [
        ("grant Delegate with mutual authentication", "call the server", "order-qos-after-call", "R19", "03.binding"),
        ("call the server", "server impersonates", "order-work-before-impersonate", "R10", "01.cycle"),
        ("server impersonates", "call the back end", "order-work-before-impersonate", "R18", "04.onbehalf"),
        ("call the back end", "server reverts", "order-revert-early", "R17", "01.cycle"),
    ],
    "check an ACL without acting": [
        ("grant Identify", "impersonate the caller", "order-qos-after-call", "R16", "03.binding"),
        ("impersonate the caller", "check the result", "failure-is-harmless", "R10", "01.codes"),
        ("check the result", "check the ACL", "failure-is-harmless", "R11", "01.unchecked"),
        ("impersonate the caller", "check the ACL", "order-work-before-impersonate", "R16", "02.matrix"),
        ("check the ACL", "revert to self", "order-revert-early", "R16", "01.cycle"),
    ],
}


TAUGHT = {"serve a file as the caller": ("R17", "01.cycle"), "reach a back end as the caller": ("R18", "04.onbehalf"),
          "check an ACL without acting": ("R16", "02.matrix")}


def order_case(task, hidden):
    rule, section = TAUGHT[task]
    ask(f"order({task!r})", "order", task, accepted=[], judge="order", rule=rule, section=section, steps=sorted({s for c in BEFORE[task] for s in c[:2]}),
        before=[list(c) for c in BEFORE[task]], hidden=hidden)


order_case("serve a file as the caller", hidden=False)
### BEGIN HIDDEN TESTS
order_case("reach a back end as the caller", hidden=True)
order_case("check an ACL without acting", hidden=True)
### END HIDDEN TESTS
