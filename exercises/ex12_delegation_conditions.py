"""Exercise 12 - What delegation needs, one condition at a time (notebook 04_delegation)

Alice on WS1 calls a front end on FRONT, which impersonates her, opens a file on FRONT as her, and then
calls a back end on BACK (Kerberos, Impersonate) to read a database as her. A setup is a dict:

- `"provider"`: `"kerberos"` or `"ntlm"` (Alice's call to the front end);
- `"level"`: `"impersonate"` or `"delegate"` (what Alice grants the front end);
- `"mutual_auth"`: whether Alice asks for mutual authentication;
- `"trusted"`: whether the front end's account is trusted for delegation;
- `"sensitive"`: whether Alice's account is marked sensitive (cannot be delegated).

Implement, without the engine (your module can import only the vocabulary):

1. `missing_condition(setup)`: the condition that keeps BACK from acting as Alice, one of `CONDITIONS`
   (`"none"` if BACK does act as her). Each setup graded has at most one condition missing.
2. `acts_locally(setup)`: whether the front end opens its own file as Alice. Careful: a client that
   *asks* for Delegate and cannot get it has its call refused (the front end never runs).
"""

CONDITIONS = ("provider", "level", "mutual_auth", "trusted", "sensitive", "none")


def missing_condition(setup: dict) -> str:
    """Which condition keeps the back end from acting as Alice."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex12: not implemented yet")


def acts_locally(setup: dict) -> bool:
    """Whether the front end opens a file on its own machine as Alice."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex12: not implemented yet")


