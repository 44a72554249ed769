"""The notebooks' predict-then-run questions, one builder per notebook (:data:`BY_NOTEBOOK`); asked for
through :mod:`.quiz`. Every answer is read from an engine decision, never written down here.
"""

from __future__ import annotations

from collections.abc import Callable

from .binding import Binding
from .capabilities import run_capability
from .chain import Access, Chain, Hop, evaluate
from .decisions import Decision
from .engine import Engine
from .question_forms import (
    MISCONCEPTIONS,
    Option,
    Question,
    decision_reason,
    describe_chain,
    level_question,
    misconception_trap,
    outcome_question,
    rule_question,
    thread_identity_question,
    token_level_question,
    who_acts_question,
    yes_no_question,
)
from .scenarios import load_named
from .world import ANONYMOUS_LOGON, World

__all__ = ["BY_NOTEBOOK"]


def _scenario(name: str, chain: str) -> tuple[World, Chain]:
    s = load_named(name)
    return s.world, s.chain(chain)


def _who(key: str, scenario: str, chain: str, server: str, misconception: str, prompt: str = "") -> Question:
    world, c = _scenario(scenario, chain)
    return who_acts_question(key, world, c, server, misconception, prompt=prompt)


def _q00() -> list[Question]:
    return [
        _who(
            "00.who-reaches-server-b", "seed-delegation", "impersonate-only", "server_b", "impersonate-reaches-network"
        )
    ]


def _erin_thread():
    world = load_named("unchecked-impersonation").world
    engine = Engine(world)
    return world, engine.thread("good_caller").call("service", Binding.of(provider="ntlm", level="impersonate")).thread


def _q01() -> list[Question]:
    world, thread = _erin_thread()
    thread.rpc_impersonate_client()
    opened = thread.open("secrets.txt")
    idle = Engine(world).thread("service").rpc_impersonate_client()
    # The pooled thread after a handler that forgot to revert: as whom does it act for the next job?
    _, pooled = _erin_thread()
    pooled.rpc_impersonate_client()
    ended = pooled.end_call()
    own, erin = pooled.process.account.qualified, world.get_process("good_caller").account.qualified
    forgot = thread_identity_question(
        "01.forgot-to-revert",
        "The service (NT AUTHORITY\\SYSTEM on SRV1) serves Erin's NTLM call at Impersonate, calls "
        "RpcImpersonateClient, does its work and returns without RpcRevertToSelf. The same pooled thread then "
        "picks up its next piece of work. As whom does it act?",
        pooled.acting_as,
        ended,
        (own, erin, ANONYMOUS_LOGON),
        "runtime-reverts",
    )
    _, fresh = _erin_thread()
    before = fresh.open("secrets.txt")
    return [
        outcome_question(
            "01.before-impersonating",
            "The service runs as NT AUTHORITY\\SYSTEM; secrets.txt on its machine allows only SYSTEM. "
            "Erin's NTLM call at Impersonate arrives; before calling RpcImpersonateClient, the thread "
            "opens secrets.txt. What does the open return?",
            before,
            ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
            "acts-as-client-on-arrival",
        ),
        outcome_question(
            "01.system-opens-secrets",
            "The service runs as NT AUTHORITY\\SYSTEM; secrets.txt on its machine allows only SYSTEM. "
            "While it impersonates Erin (NTLM, Impersonate), it opens secrets.txt. What does the open "
            "return?",
            opened,
            ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
            "system-opens-anything",
        ),
        outcome_question(
            "01.idle-thread-impersonates",
            "A thread of the service that is not serving any call calls RpcImpersonateClient(0). What does it return?",
            idle,
            ["ERROR_SUCCESS", "RPC_S_NO_CALL_ACTIVE", "RPC_S_INVALID_BINDING", "RPC_S_NO_CONTEXT_AVAILABLE"],
            "handle-zero-always-works",
        ),
        _who(
            "01.unchecked-result",
            "unchecked-impersonation",
            "unchecked",
            "service",
            "failure-leaves-no-rights",
            "Its impersonation fails. As whom does service act when it opens the file?",
        ),
        forgot,
    ]


def _q02() -> list[Question]:
    return [
        level_question(
            "02.identify-opens-file",
            "A client calls a server on another machine with Kerberos and mutual authentication; the "
            "server impersonates it and opens a file on its own machine that the client may read. What "
            "is the least level the client must grant for the open to work?",
            lambda lvl: run_capability("open a local resource", level=lvl, placement="remote").decision,
            "identify-can-open",
        ),
        yes_no_question(
            "02.impersonate-reaches-share",
            "The client grants Impersonate to a server on another machine (Kerberos, mutual "
            "authentication). Can the server open a share on a third machine as the client?",
            run_capability("reach another machine", level="impersonate", placement="remote").decision,
            "impersonate-reaches-network",
        ),
        yes_no_question(
            "02.anonymous-over-tcp",
            "The client grants Anonymous to a server on another machine (over TCP, Kerberos). Can the "
            "server learn who the client is?",
            run_capability("learn the identity", level="anonymous", placement="remote").decision,
            "anonymous-hides-everywhere",
        ),
        rule_question(
            "02.why-no-share",
            "A server on another machine holds the client's Impersonate-level token and is refused the "
            "share on a third machine. Which rule explains the refusal?",
            run_capability("reach another machine", level="impersonate", placement="remote").decision,
            ["R15", "R18", "R25", "R21"],
            "impersonate-reaches-network",
        ),
    ]


def _delegation_call(level: str, **binding) -> Decision:
    world = load_named("seed-delegation").world
    return Engine(world).thread("client").call("server_a", Binding.of(level=level, **binding)).decision


def _q03() -> list[Question]:
    world, tracking = _scenario("identity-tracking", "static-bound-early")
    com = _delegation_call("default", api="com", provider="kerberos")
    identify = (
        Engine(load_named("seed-delegation").world)
        .thread("client")
        .call("server_a", Binding.of(provider="kerberos", level="identify", mutual_auth=True))
        .require_thread()
        .rpc_impersonate_client()
    )
    raised = load_named("com-machine-default").evaluate("admin-raised-default").outcome
    ntlm = _delegation_call("impersonate", provider="ntlm", mutual_auth=True, spn="wrong")
    return [
        outcome_question(
            "03.identify-impersonates",
            "A client grants only Identify to a server on another machine (Kerberos, mutual "
            "authentication). The server calls RpcImpersonateClient. What does it return?",
            identify,
            ["ERROR_SUCCESS", "RPC_S_NO_CONTEXT_AVAILABLE", "ERROR_BAD_IMPERSONATION_LEVEL"],
            "identify-refuses-impersonation",
        ),
        token_level_question(
            "03.com-default-level",
            "A COM client on a machine whose machine-wide level was never changed calls a server "
            "with Kerberos and sets no impersonation level in code. At which level does the "
            "server's token for the client arrive?",
            com,
            "default-means-impersonate",
        ),
        outcome_question(
            "03.ntlm-wrong-spn",
            "A client asks for mutual authentication with NTLM and names the wrong server principal "
            "name (SPN). What does the call return?",
            ntlm,
            ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
            "ntlm-proves-server",
        ),
        outcome_question(
            "03.admin-raised",
            "An administrator raised the machine-wide COM level of WS2 to Impersonate. A COM client on "
            "WS2 sets no level in code and calls a COM server on APP1, which impersonates it and opens "
            "profile.dat, a file the client may read. What does the open return?",
            raised,
            ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
            "com-default-fixed",
        ),
        who_acts_question("03.static-tracking", world, tracking, "server_b", "static-follows-thread"),
    ]


def _q04() -> list[Question]:
    world, story = _scenario("seed-delegation", "delegate")
    no_impersonation = Chain(
        story.client,
        (Hop(story.hops[0].server, story.hops[0].binding, impersonate=False), story.hops[1]),
        name="question",
    )
    sensitive = Chain(
        "client_carol",
        (Hop("server_a", Binding.of(provider="kerberos", level="impersonate", mutual_auth=True)),),
        name="question",
    )
    no_mutual = load_named("seed-delegation").evaluate("no-mutual-auth").hops[0].call
    ntlm = load_named("seed-delegation").evaluate("ntlm").hops[0].call
    long_world, long_chain = _long_chain()
    return [
        who_acts_question(
            "04.server-a-does-not-impersonate", world, no_impersonation, "server_b", "b-sees-client-anyway"
        ),
        rule_question(
            "04.no-mutual-auth",
            "Alice's client asks Server A for Delegate with Kerberos but without mutual authentication; "
            "Server A's account is trusted for delegation and Alice may be delegated. The call fails "
            "with RPC_S_SEC_PKG_ERROR. Which rule decides?",
            no_mutual,
            ["R21", "R19", "R8", "R25"],
            "delegate-request-is-enough",
        ),
        outcome_question(
            "04.ntlm-delegate",
            "Alice's client asks Server A for Delegate, with mutual authentication, but over NTLM. "
            "What does the call return?",
            ntlm,
            ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
            "ntlm-can-delegate",
        ),
        who_acts_question(
            "04.sensitive-impersonate",
            world,
            sensitive,
            "server_a",
            "sensitive-blocks-impersonation",
            prompt="Carol's account is marked sensitive and cannot be delegated. As whom does server_a act?",
        ),
        _who(
            "04.unlisted-computer",
            "delegation-limited",
            "unlisted-computer",
            "db2",
            "trusted-means-anywhere",
            "front's account is trusted for delegation to DB1 only. As whom does db2 act?",
        ),
        who_acts_question("04.long-chain", long_world, long_chain, "server3", "one-delegate-carries-all"),
    ]


def _long_chain() -> tuple[World, Chain]:
    w = World("CORP", name="long chain")
    for m in ("WS1", "SRV1", "SRV2", "SRV3"):
        w.machine(m)
    w.account("alice")
    w.account("svc_1", trusted_for_delegation=True)
    w.account("svc_2", trusted_for_delegation=True)
    w.account("svc_3")
    w.process("client", on="WS1", runs_as="alice")
    for i in (1, 2, 3):
        w.process(f"server{i}", on=f"SRV{i}", runs_as=f"svc_{i}")
    w.resource("file@SRV3", on="SRV3", allow={"alice": "read"})
    kerberos = Binding.of(provider="kerberos", level="delegate", mutual_auth=True)
    return w, Chain(
        "client",
        (
            Hop("server1", kerberos),
            Hop("server2", kerberos.with_(level="impersonate")),
            Hop("server3", kerberos.with_(level="impersonate"), access=(Access.of("file@SRV3"),)),
        ),
        name="question",
    )


def _q05() -> list[Question]:
    return [
        _who("05.who-does-c-see", "seed-ncalrpc", "lb-impersonate", "C", "ncalrpc-every-hop"),
        _who("05.rb-acts-as", "seed-ncalrpc", "lb-impersonate", "RB", "impersonate-stays-home"),
        rule_question(
            "05.why-lb-reaches-rb",
            "A calls LB on its own machine over ncalrpc at Impersonate; LB impersonates A and calls RB on "
            "another machine, where RB sees A. Which rule lets LB's token reach RB?",
            load_named("seed-ncalrpc").evaluate("lb-impersonate").hops[0].call,
            ["R18", "R27", "R19", "R29"],
            "impersonate-stays-home",
        ),
        _who("05.delegate-to-c", "seed-ncalrpc", "lb-delegate", "C", "ncalrpc-ends-at-rb"),
        _who("05.same-machine-tcp", "seed-ncalrpc", "lb-over-local-tcp", "RB", "same-machine-is-enough"),
    ]


def _q06() -> list[Question]:
    world, broken = _scenario("double-hop", "ntlm")
    result = evaluate(world, broken)
    hop_names = {
        h.index: f"hop {h.index}: {h.call.caller} ({h.call.caller_machine}) to {h.hop.server} ({h.call.server_machine})"
        for h in result.hops
    }
    answer = hop_names[result.deciding_hop]
    decider = result.outcome
    where = Question(
        "06.which-hop",
        "multiple choice",
        f"{describe_chain(world, broken)} The database refuses the request. At which hop is Bob's identity lost?",
        tuple(
            Option(
                text,
                f"Right: {text}. {decision_reason(decider)}"
                if text == answer
                else f"Not this one: read that hop's story: as whom does its server act?"
                f"{misconception_trap(MISCONCEPTIONS['first-hop-breaks'])}",
            )
            for text in hop_names.values()
        ),
        answer,
        MISCONCEPTIONS["first-hop-breaks"],
        decider,
    )
    first = result.hops[0].call
    return [
        outcome_question(
            "06.symptom",
            f"{describe_chain(world, broken)} What does Bob's request end with?",
            result.outcome,
            ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
            "lost-identity-fails-loudly",
            rpc_function=False,
        ),
        where,
        rule_question(
            "06.why-ntlm",
            "The browser names the web front end by its IP address and uses Negotiate. The front end "
            "ends up with an NTLM logon. Which rule decides the package?",
            first,
            ["R19", "R22", "R25", "R21"],
            "negotiate-always-kerberos",
        ),
        _who(
            "06.other-backend",
            "double-hop",
            "kerberos-other-backend",
            "files",
            "trusted-means-anywhere",
            "svc_web is trusted for delegation to SQL1 only. As whom does files act?",
        ),
    ]


def _q07() -> list[Question]:
    com = load_named("com-cloaking")
    middle = (
        Engine(com.world).thread("client").call("middle", Binding.of(api="com", provider="kerberos")).require_thread()
    )
    for _ in range(2):
        middle.co_impersonate_client()
    reverted = middle.co_revert_to_self()
    client = com.world.get_process("client").account.qualified
    # Static cloaking across a revert: a static and a dynamic proxy, both used while impersonating, then again.
    cloaker = (
        Engine(com.world)
        .thread("client")
        .call("middle", Binding.of(api="com", provider="kerberos", level="delegate"))
        .require_thread()
    )
    cloaker.co_impersonate_client()
    proxies = [
        cloaker.bind("backend", Binding.of(api="com", provider="kerberos", level="impersonate", cloaking=mode))
        for mode in ("static", "dynamic")
    ]
    for proxy in proxies:
        cloaker.call(proxy)
    cloaker.co_revert_to_self()
    after_revert = cloaker.call(proxies[0]).decision
    own = cloaker.process.account.qualified
    return [
        _who("07.no-cloaking", "com-cloaking", "no-cloaking", "backend", "com-passes-identity"),
        thread_identity_question(
            "07.static-after-revert",
            f"A COM middle tier ({own}) serves {client}'s call at Delegate over Kerberos and "
            "calls CoImpersonateClient. It sets static cloaking with CoSetProxyBlanket on one "
            "proxy to the back end and dynamic cloaking on another, and calls through both. "
            "Then it calls CoRevertToSelf and calls through the static proxy again. As whom "
            "does the back end see that call?",
            after_revert.identity_seen,
            after_revert,
            (own, client, ANONYMOUS_LOGON),
            "static-cloaking-follows-thread",
        ),
        thread_identity_question(
            "07.one-revert",
            f"A COM middle tier ({middle.process.account.qualified}) serves {client}'s call, "
            "calls CoImpersonateClient twice, then CoRevertToSelf once. As whom does the thread "
            "act now?",
            middle.acting_as,
            reverted,
            (client, ANONYMOUS_LOGON),
            "one-revert-per-impersonation",
        ),
        _who(
            "07.rbcd-not-listed",
            "resource-based-delegation",
            "target-does-not-list-it",
            "archive",
            "target-need-not-agree",
            "The archive's account does not list the front end in msDS-AllowedToActOnBehalfOfOtherIdentity. As "
            "whom does archive act?",
        ),
        _who("07.dynamic-bound-early", "identity-tracking", "dynamic-bound-early", "server_b", "early-binding-freezes"),
        outcome_question(
            "07.negotiate-by-ip",
            "Alice's client uses Negotiate with Delegate and mutual authentication, but names Server A by "
            "its IP address (no IP SPN). What does the call return?",
            load_named("negotiate-ip-fallback").evaluate("by-ip").hops[0].call,
            ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
            "negotiate-always-kerberos",
        ),
    ]


def _q08() -> list[Question]:
    return [
        _who("08.ncalrpc-rb", "seed-ncalrpc", "lb-impersonate", "RB", "impersonate-stays-home"),
        _who("08.ncalrpc-c", "seed-ncalrpc", "lb-impersonate", "C", "ncalrpc-every-hop"),
        outcome_question(
            "08.no-mutual-auth",
            "Alice's client asks Server A for Delegate with Kerberos but without mutual "
            "authentication. What does the call return?",
            load_named("seed-delegation").evaluate("no-mutual-auth").hops[0].call,
            ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
            "delegate-request-is-enough",
        ),
        outcome_question(
            "08.com-default-open",
            "A COM client sets no impersonation level; its machine-wide level was never changed. The "
            "COM server impersonates it and opens the client's file. What does the open return?",
            load_named("com-machine-default").evaluate("default-identify").outcome,
            ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
            "default-means-impersonate",
        ),
        _who("08.double-hop-web", "double-hop", "ntlm", "web", "first-hop-breaks"),
        _who("08.unchecked", "unchecked-impersonation", "unchecked", "service", "failure-leaves-no-rights"),
    ]


#: Each notebook's questions ('00'-'08'), built when first asked for.
BY_NOTEBOOK: dict[str, Callable[[], list[Question]]] = {
    "00": _q00,
    "01": _q01,
    "02": _q02,
    "03": _q03,
    "04": _q04,
    "05": _q05,
    "06": _q06,
    "07": _q07,
    "08": _q08,
}
