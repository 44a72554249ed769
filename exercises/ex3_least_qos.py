"""Exercise 3 - The least QOS a client should grant (notebook 03_qos)

A client should grant a server no more than the task needs. For each task below, return the least
impersonation level that lets the server do it, and whether mutual authentication is needed.
"Remote" servers run on another machine and are reached with Kerberos (trusted for delegation);
"local" ones run on the client's machine and are reached over `ncalrpc`. Over the network a
client cannot really grant Anonymous (it arrives as Identify), so for remote tasks choose among
`"identify"`, `"impersonate"`, `"delegate"`; for local ones among all four levels.

Implement `least_level(task) -> str` and `needs_mutual_auth(task) -> bool` for the tasks in `TASKS`.
"""

#: task -> (what the server does, where it runs)
TASKS = {
    "log the caller's name": ("learn the identity", "remote"),
    "check the caller against an ACL": ("check an ACL", "remote"),
    "read a file on the server as the caller": ("open a local resource", "remote"),
    "read a share on a third machine as the caller": ("reach another machine", "remote"),
    "a local service reads a network share as the caller": ("reach another machine", "local"),
    "let the back end call a further machine as the caller": ("let the next server go on", "remote"),
    "a local service checks the caller against an ACL": ("check an ACL", "local"),
}


def least_level(task: str) -> str:
    """The least level that lets the server do ``task``."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex3: not implemented yet")


def needs_mutual_auth(task: str) -> bool:
    """Whether the client must ask for mutual authentication for ``task`` to work."""
    # Your code here: replace the next line.
    raise NotImplementedError("ex3: not implemented yet")


