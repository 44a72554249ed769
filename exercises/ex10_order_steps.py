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
    # Your code here: replace the next line.
    raise NotImplementedError("ex10: not implemented yet")


