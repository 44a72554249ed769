"""The wrong ideas the exercises' distractors are drawn from, each named once in plain words.

Feedback cites a misconception by key; the sentence says what the learner's answer assumed and what
is true instead. Nothing here decides anything: it is vocabulary shared by masters and visible checks.
"""

from __future__ import annotations

__all__ = ["MISCONCEPTIONS", "describe"]

MISCONCEPTIONS: dict[str, str] = {
    "impersonate-network": "Your answer assumes a token at Impersonate reaches other machines; it acts only on "
    "the server's own machine.",
    "identify-acts": "Your answer assumes Identify lets the server open files as the client; Identify only "
    "lets it learn who the client is and check ACLs.",
    "identify-nothing": "Your answer assumes Identify gives the server nothing; it learns who the client is "
    "and can check ACLs with the client's token, it only cannot act as the client.",
    "impersonate-local": "Your answer assumes Impersonate is not enough on the server's own machine; at "
    "Impersonate the server opens its own files as the client.",
    "ncalrpc-every-hop": "Your answer assumes ncalrpc exempts every hop; its exception covers one machine hop "
    "only, and the next server holds an ordinary network logon.",
    "ncalrpc-no-exception": "Your answer misses the ncalrpc exception: a token received over ncalrpc at "
    "Impersonate carries the client's own logon session for one remote call.",
    "same-machine-is-local": "Your answer treats any same-machine call as ncalrpc; over TCP (or named pipes) "
    "the exception does not apply.",
    "ntlm-delegates": "Your answer assumes NTLM can delegate; only Kerberos hands a server credentials to pass on.",
    "sensitive-blocks-impersonation": "Your answer assumes a sensitive account cannot be impersonated at all; "
    "it only refuses delegation, impersonation on the server still works.",
    "sensitive-ignored": "Your answer ignores that an account marked sensitive is never delegated.",
    "anonymous-everywhere": "Your answer assumes Anonymous survives the network; off ncalrpc it arrives as Identify.",
    "anonymous-reveals": "Your answer assumes an Anonymous caller can still be identified; over ncalrpc "
    "Anonymous hides who the client is, so the server learns nothing and checks nothing.",
    "delegate-alone": "Your answer assumes asking for Delegate is enough; delegation also needs Kerberos, "
    "mutual authentication and a server trusted for delegation.",
    "delegation-works": "Your answer assumes the identity is lost at this hop; with every condition it needs met, "
    "the server acts as the client here.",
    "mutual-not-needed": "Your answer skips mutual authentication; Kerberos hands over delegable credentials "
    "only when the client asked for it.",
    "more-is-safer": "Your answer grants more than the task needs; the least level that works is the safe choice.",
    "com-default-impersonate": "Your answer assumes a COM client with no level gets Impersonate; it gets the "
    "machine-wide default, Identify unless an administrator changed it.",
    "rpc-default-identify": "Your answer assumes a plain RPC client with no level grants Identify; plain RPC "
    "defaults to Impersonate.",
    "failure-is-harmless": "Your answer assumes a failed impersonation stops the work; the thread keeps its "
    "own (often SYSTEM) token and goes on unless the code checks the result.",
    "auto-revert": "Your answer assumes RPC reverts when the handler returns; it does not, the code must "
    "call RpcRevertToSelf on every path.",
    "unlimited-delegation": "Your answer trusts the server to delegate anywhere; limit delegation to the "
    "computers that need the client's identity.",
    "wrong-hop": "Your answer points at a hop where nothing went wrong yet; the outcome is decided where the "
    "identity is first lost or the call first refused.",
    "symptom-not-cause": "Your answer names the symptom (access denied) rather than the rule that made the "
    "identity unusable.",
    "cloaking-identity": "Your answer assumes a COM server calls out as its client; without cloaking it calls "
    "out as its own process identity.",
    "static-tracking": "Your answer assumes the identity is taken when the call is made; with static tracking "
    "it is captured when the binding is first used.",
    "negotiate-always-kerberos": "Your answer assumes Negotiate always uses Kerberos; for a target named by IP "
    "address it falls back to NTLM.",
    "order-revert-early": "Your order reverts before the work is done, so the work runs as the server.",
    "order-work-before-impersonate": "Your order works before impersonating, so the work runs as the server's "
    "own account.",
    "order-qos-after-call": "Your order sets the client's QOS after the call; the grant is made at binding, "
    "before the call.",
    "wrong-shape": "Your answer does not have the shape the exercise asks for.",
}


def describe(key: str) -> str:
    """The sentence for a misconception key (an unknown key is shown as it is, so nothing is lost)."""
    return MISCONCEPTIONS.get(key, key)
