"""Predict-then-run questions for the notebooks, answered and explained by the engine.

Every question targets one named misconception. Its right answer is read from an engine
decision (never written down here), and every option carries an explanation built from that
decision: the right option quotes the engine's reason, a wrong one says what it would take and
why the engine decided otherwise. The prompts describe a setup in plain words (accounts,
machines, bindings), never by a scenario or chain name that could hint at the answer.

>>> q = question("02.identify-opens-file")
>>> q.form, q.misconception.key
('multiple choice', 'identify-can-open')
>>> q.answer in q.choices and "R15" in q.explain("identify")
True

Taught in every notebook (00-08); the widgets are made by :func:`rpc_impersonation.views.ask`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from .binding import Binding
from .capabilities import run_capability
from .chain import Access, Chain, ChainResult, Hop, HopResult, evaluate
from .constants import ImpLevel
from .decisions import Decision
from .engine import Engine
from .errors import InvalidValueError
from .rules import RULES
from .scenarios import load_named
from .world import ANONYMOUS_LOGON, World

__all__ = ["Misconception", "MISCONCEPTIONS", "Option", "Question", "FORMS", "NEVER", "question", "questions",
           "question_keys", "answer_key", "describe_binding", "describe_chain", "who_acts_question",
           "outcome_question", "rule_question", "yes_no_question", "level_question", "token_level_question",
           "thread_identity_question"]

FORMS = ("multiple choice", "which rule decides", "who does it act as")
NEVER = "nobody: the request never gets there"


@dataclass(frozen=True)
class Misconception:
    """A wrong belief a learner is likely to hold, and the rule that corrects it."""

    key: str
    belief: str
    rule: str


def _misconceptions(*rows: tuple[str, str, str]) -> dict[str, Misconception]:
    return {key: Misconception(key, belief, rule) for key, belief, rule in rows}


MISCONCEPTIONS = _misconceptions(
    ("system-opens-anything", "a service running as SYSTEM opens anything, even while it impersonates a client",
     "R17"),
    ("acts-as-client-on-arrival", "a server thread acts as its client as soon as the call arrives", "R17"),
    ("identify-refuses-impersonation", "RpcImpersonateClient fails when the client granted only Identify", "R15"),
    ("com-default-fixed", "a COM client that sets no level stays at Identify whatever the administrator set",
     "R6"),
    ("ncalrpc-ends-at-rb", "after the ncalrpc exception's one hop, nothing can carry the identity further", "R23"),
    ("lost-identity-fails-loudly", "when the identity cannot travel further, the onward call fails with a "
     "security error instead of arriving as someone else", "A16"),
    ("early-binding-freezes", "a binding set up before impersonating always carries the server's own identity",
     "R31"),
    ("one-revert-per-impersonation", "each CoImpersonateClient needs its own CoRevertToSelf", "R37"),
    ("handle-zero-always-works", "RpcImpersonateClient(0) always finds a caller to impersonate", "R10"),
    ("failure-leaves-no-rights", "a failed RpcImpersonateClient leaves the thread with no identity, or as the client",
     "R11"),
    ("runtime-reverts", "the RPC runtime reverts the thread when the handler returns", "R14"),
    ("identify-can-open", "a server granted Identify can open the client's files", "R15"),
    ("impersonate-reaches-network", "Impersonate lets a server on another machine reach further machines as the "
     "client", "R18"),
    ("anonymous-hides-everywhere", "a client that grants Anonymous stays anonymous over any transport", "R7"),
    ("server-decides-level", "the server chooses how far it may act as the client", "R5"),
    ("default-means-impersonate", "DEFAULT means Impersonate for every kind of client", "R6"),
    ("ntlm-proves-server", "NTLM checks the server's identity when mutual authentication is asked for", "A6"),
    ("static-follows-thread", "an outbound binding always carries whoever the thread is acting as", "R31"),
    ("b-sees-client-anyway", "Server B sees the client even when Server A calls it without impersonating", "R17"),
    ("delegate-request-is-enough", "asking for Delegate with Kerberos is enough for delegation", "R19"),
    ("ntlm-can-delegate", "NTLM can delegate when the client asks for Delegate", "R19"),
    ("sensitive-blocks-impersonation", "an account marked sensitive cannot be impersonated at all", "R25"),
    ("trusted-means-anywhere", "a server trusted for delegation to one computer may delegate to any", "M2"),
    ("one-delegate-carries-all", "one Delegate grant at the start carries the identity through every later hop",
     "R23"),
    ("ncalrpc-every-hop", "the ncalrpc exception lets the identity travel any number of machines", "R28"),
    ("impersonate-stays-home", "an Impersonate-level token can never leave the server's machine", "R27"),
    ("same-machine-is-enough", "any call between processes on one machine gets the ncalrpc exception", "R29"),
    ("first-hop-breaks", "in a double hop it is the first server that cannot act as the user", "R18"),
    ("negotiate-always-kerberos", "Negotiate always picks Kerberos inside a domain", "R22"),
    ("com-passes-identity", "a COM middle tier that impersonates passes its client's identity on by default", "R32"),
    ("static-cloaking-follows-thread", "a proxy with static cloaking presents whoever the thread is at each call, "
     "so CoRevertToSelf takes the client's identity away from it", "R32"),
    ("target-need-not-agree", "resource-based delegation works without the target listing the front end", "R24"),
)


@dataclass(frozen=True)
class Option:
    text: str
    explanation: str


@dataclass(frozen=True)
class Question:
    """A question, its options with explanations, the engine's answer and the decision behind it."""

    key: str
    form: str
    prompt: str
    options: tuple[Option, ...]
    answer: str
    misconception: Misconception
    decision: Decision

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise InvalidValueError("form", self.form, FORMS)
        if self.answer not in self.choices:
            raise InvalidValueError("answer", self.answer, list(self.choices))
        if len(set(self.choices)) != len(self.choices):
            raise InvalidValueError("options", list(self.choices), "distinct options", what="repeated")

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(o.text for o in self.options)

    @property
    def explanations(self) -> dict[str, str]:
        return {o.text: o.explanation for o in self.options}

    def explain(self, choice: str) -> str:
        """Why ``choice`` is right or wrong, with the rule that decides."""
        if choice not in self.choices:
            raise InvalidValueError("choice", choice, list(self.choices))
        return self.explanations[choice]

    def text(self) -> str:
        """The question and its options, without the answer (safe to print under a widget)."""
        letters = "abcdefgh"
        lines = [f"Predict ({self.form}): {self.prompt}"]
        lines += [f"  ({letters[i]}) {o.text}" for i, o in enumerate(self.options)]
        return "\n".join(lines)

    def reveal(self) -> str:
        """The answer, the engine's reason and the misconception it guards against (on request only)."""
        return (f"{self.prompt}\n  answer: {self.answer}\n  why: {self.explain(self.answer)}\n"
                f"  the trap: believing that {self.misconception.belief}")

    def __repr__(self) -> str:
        return f"<Question {self.key}: {self.form}>"


# --- describing a setup in plain words -----------------------------------------------------------------------
def describe_binding(binding: Binding) -> str:
    """A binding in plain words, saying explicitly whether mutual authentication was requested."""
    parts = [binding.describe().replace(", mutual auth", "").replace(", none,", ", no authentication,")]
    parts.append("mutual authentication requested" if binding.qos.mutual_auth else "no mutual authentication")
    return ", ".join(parts)


def describe_chain(world: World, chain: Chain) -> str:
    """Who calls whom, on which machines, with which bindings; nothing about the outcome."""
    client = world.get_process(chain.client)
    caller = f"{chain.client} ({client.account.qualified} on {client.machine})"
    sentences = []
    for i, hop in enumerate(chain.hops):
        server = world.get_process(hop.server)
        what = "impersonates its caller" if hop.impersonate else "does NOT impersonate its caller"
        if hop.impersonate and not hop.check_result:
            what += " without checking the result"
        opens = "" if not hop.access else f" and opens {', '.join(a.resource for a in hop.access)}"
        lead = "Set-up:" if i == 0 else "Then"
        static = "dynamic" not in hop.binding.describe()  # describe() names dynamic tracking only
        early = "" if not hop.bound_before_impersonating else (
            f" ({caller} set up this binding before it impersonated{', with static tracking' if static else ''})")
        sentences.append(f"{lead} {caller} calls {hop.server} ({server.account.qualified} on {server.machine}) "
                         f"over {describe_binding(hop.binding)}{early}; {hop.server} {what}{opens}.")
        caller = hop.server
    return " ".join(sentences)


def _why(decision: Decision, prefer: str = "") -> str:
    """The engine's reason: the reason citing ``prefer`` (the rule the question is about) if the decision has
    one, else the decision's headline, its most specific cause."""
    for reason in decision.reasons:
        if prefer and reason.rule == prefer and reason.decisive:
            return f"{reason.sentence} ({reason.rule})"
    return decision.headline


def _trap(misconception: Misconception, name_rule: bool = True) -> str:
    """The belief a question is about, and (unless the rule is itself the answer) the rule to read."""
    see = f"; see {RULES[misconception.rule].title} ({misconception.rule})" if name_rule else ""
    return f" This question is about the belief that {misconception.belief}{see}."


# --- builders ------------------------------------------------------------------------------------------------
_OTHER = ("That account belongs to another process on the path; a server acts as it only when that process "
          "calls out as itself instead of as its caller (R17, R31, R32).")


def _hop(result: ChainResult, server: str) -> HopResult | None:
    return next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)


def _deciding(hop: HopResult | None, result: ChainResult) -> Decision:
    if hop is None:
        return result.outcome
    if not hop.call.ok or hop.impersonation is None:
        return hop.call
    return hop.call if hop.impersonation.ok else hop.impersonation


def who_acts_question(key: str, world: World, chain: Chain, server: str, misconception: str,
                      prompt: str = "") -> Question:
    """'As whom does <server> act?' for a chain, answered by evaluating it."""
    result = evaluate(world, chain)
    answer = result.reached_as(server) or NEVER
    hop = _hop(result, server)
    decision = _deciding(hop, result)
    client = result.client_identity
    own = world.get_process(server).account.qualified
    why = _why(decision, MISCONCEPTIONS[misconception].rule)
    explain = {
        client: f"{client} would need every hop before {server} to carry the client's identity with credentials "
                f"it can use there (R18, R23), or the one hop past an ncalrpc call (R27, R28).",
        own: f"{server} acts as its own account {own} only if it does not impersonate, or its impersonation "
             f"fails and it goes on regardless ({RULES['R11'].title}, R11).",
        ANONYMOUS_LOGON: f"{ANONYMOUS_LOGON} is what arrives when the caller's token holds no credentials to pass "
                         f"on ({RULES['R18'].title}, R18).",
        NEVER: f"The request never reaches {server} only if a call on the way is refused, for example because "
               f"Delegate was required and impossible (R20).",
    }
    mis = MISCONCEPTIONS[misconception]
    opts = []
    for text in sorted({client, own, ANONYMOUS_LOGON, NEVER, answer}, key=lambda t: (t == NEVER, t)):
        if text == answer:
            opts.append(Option(text, f"Right: {server} acts as {answer}. {why}"))
        else:
            opts.append(Option(text, f"Not this one: {explain.get(text, _OTHER)}{_trap(mis)}"))
    text = prompt or f"As whom does {server} act?"
    return Question(key, "who does it act as", f"{describe_chain(world, chain)} {text}", tuple(opts), answer,
                    MISCONCEPTIONS[misconception], decision)


CODE_MEANINGS = {
    "ERROR_SUCCESS": ("it works", "R17"),
    "ERROR_ACCESS_DENIED": ("the ACL refuses the identity that was checked", "R17"),
    "ERROR_BAD_IMPERSONATION_LEVEL": ("the thread's token is below Impersonate, so it cannot open anything", "R15"),
    "RPC_S_SEC_PKG_ERROR": ("the security package refuses the call, and nothing runs on the server", "R20"),
    "RPC_S_NO_CALL_ACTIVE": ("the thread is not serving a call", "R10"),
    "RPC_S_NO_CONTEXT_AVAILABLE": ("the call was not authenticated: there is nobody to impersonate", "R10"),
    "RPC_S_INVALID_BINDING": ("the handle is not a binding handle", "R10"),
}


def outcome_question(key: str, prompt: str, decision: Decision, codes: Iterable[str], misconception: str,
                     rpc_function: bool | None = None) -> Question:
    """'What does it return?' with the engine's code among plausible ones. ``rpc_function``: name success
    RPC_S_OK (default: as the decision does)."""
    names = list(dict.fromkeys([*codes, decision.code.name]))
    rpc = decision.rpc_api if rpc_function is None else rpc_function
    success = "RPC_S_OK" if rpc else "ERROR_SUCCESS"  # what an RPC function calls success
    label = {name: success if name == "ERROR_SUCCESS" else name for name in names}
    answer = label[decision.code.name]
    why = _why(decision, MISCONCEPTIONS[misconception].rule)
    opts = []
    for name in names:
        meaning, rule = CODE_MEANINGS.get(name, ("", ""))
        if label[name] == answer:
            opts.append(Option(answer, f"Right: {decision.code_name}. {why}"))
        else:
            would = f"{label[name]} would mean {meaning} ({rule})." if meaning else f"{name} is not what happens."
            opts.append(Option(label[name], f"Not this one: {would}{_trap(MISCONCEPTIONS[misconception])}"))
    return Question(key, "multiple choice", prompt, tuple(opts), answer, MISCONCEPTIONS[misconception], decision)


def rule_question(key: str, prompt: str, decision: Decision, rules: Iterable[str], misconception: str) -> Question:
    """'Which rule decides?': exactly one of ``rules`` must be among the decision's rules."""
    rules = list(rules)
    cited = [r for r in rules if r in decision.rules]
    if len(cited) != 1:
        raise InvalidValueError("rules offered", rules, f"exactly one of the decision's rules {decision.rules}",
                                what="ambiguous")
    label = {r: f"{RULES[r].title} ({r})" for r in rules}
    reason = {r.rule: r.sentence for r in decision.reasons}
    opts = []
    for r in rules:
        if r == cited[0]:
            opts.append(Option(label[r], f"Right: {reason.get(r, decision.sentence)} ({r})"))
        else:
            opts.append(Option(label[r], f"Not this one: {r} says: {RULES[r].summary} That is not what decides "
                                         f"this case.{_trap(MISCONCEPTIONS[misconception], name_rule=False)}"))
    return Question(key, "which rule decides", prompt, tuple(opts), label[cited[0]], MISCONCEPTIONS[misconception],
                    decision)


def yes_no_question(key: str, prompt: str, decision: Decision, misconception: str) -> Question:
    answer = "yes" if decision.ok else "no"
    why = _why(decision, MISCONCEPTIONS[misconception].rule)
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(Option(t, f"Right: {t}. {why}" if t == answer else f"Not this one.{_trap(mis)}")
                 for t in ("yes", "no"))
    return Question(key, "multiple choice", prompt, opts, answer, MISCONCEPTIONS[misconception], decision)


def level_question(key: str, prompt: str, decide: Callable[[str], Decision], misconception: str) -> Question:
    """'What is the least level that ...?': the first level (in order) whose decision succeeds."""
    levels = [lvl.key for lvl in ImpLevel if lvl is not ImpLevel.DEFAULT]
    decisions = {lvl: decide(lvl) for lvl in levels}
    answer = next(lvl for lvl in levels if decisions[lvl].ok)
    opts = []
    for lvl in levels:
        d = decisions[lvl]
        if lvl == answer:
            opts.append(Option(lvl, f"Right: {lvl} is the least. {_why(d, MISCONCEPTIONS[misconception].rule)}"))
        elif not d.ok:
            opts.append(Option(lvl, f"Not this one: at {lvl} the open fails with {d.code_name}: "
                                    f"{_why(d, MISCONCEPTIONS[misconception].rule)}"))
        else:
            opts.append(Option(lvl, f"Not this one: {lvl} works, but it grants more than needed; the question asks "
                                    f"for the least level ({RULES['R2'].title}, R2)."))
    return Question(key, "multiple choice", prompt, tuple(opts), answer, MISCONCEPTIONS[misconception],
                    decisions[answer])


def token_level_question(key: str, prompt: str, decision, misconception: str) -> Question:
    """'At which level does the server's token arrive?' for a call decision."""
    answer = decision.context.level.label
    levels = [lvl.to_token().label for lvl in ImpLevel if lvl is not ImpLevel.DEFAULT]
    why = _why(decision, MISCONCEPTIONS[misconception].rule)
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(Option(lvl, f"Right: {lvl}. {why}" if lvl == answer else f"Not this one.{_trap(mis)}")
                 for lvl in levels)
    return Question(key, "multiple choice", prompt, opts, answer, MISCONCEPTIONS[misconception], decision)


# --- the catalogue -------------------------------------------------------------------------------------------
def _scenario(name: str, chain: str) -> tuple[World, Chain]:
    s = load_named(name)
    return s.world, s.chain(chain)


def _who(key: str, scenario: str, chain: str, server: str, misconception: str, prompt: str = "") -> Question:
    world, c = _scenario(scenario, chain)
    return who_acts_question(key, world, c, server, misconception, prompt=prompt)


def _q00() -> list[Question]:
    return [_who("00.who-reaches-server-b", "seed-delegation", "impersonate-only", "server_b",
                 "impersonate-reaches-network")]


def thread_identity_question(key: str, prompt: str, answer: str, decision: Decision, identities: Iterable[str],
                             misconception: str) -> Question:
    """'As whom does the thread act now?' after some steps; ``answer`` is the engine thread's identity."""
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(Option(t, f"Right: {t}. {_why(decision, mis.rule)}" if t == answer else f"Not this one.{_trap(mis)}")
                 for t in sorted({*identities, answer}))
    return Question(key, "who does it act as", prompt, opts, answer, mis, decision)


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
        "picks up its next piece of work. As whom does it act?", pooled.acting_as, ended,
        (own, erin, ANONYMOUS_LOGON), "runtime-reverts")
    _, fresh = _erin_thread()
    before = fresh.open("secrets.txt")
    return [
        outcome_question("01.before-impersonating",
                         "The service runs as NT AUTHORITY\\SYSTEM; secrets.txt on its machine allows only SYSTEM. "
                         "Erin's NTLM call at Impersonate arrives; before calling RpcImpersonateClient, the thread "
                         "opens secrets.txt. What does the open return?", before,
                         ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
                         "acts-as-client-on-arrival"),
        outcome_question("01.system-opens-secrets",
                         "The service runs as NT AUTHORITY\\SYSTEM; secrets.txt on its machine allows only SYSTEM. "
                         "While it impersonates Erin (NTLM, Impersonate), it opens secrets.txt. What does the open "
                         "return?", opened, ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
                         "system-opens-anything"),
        outcome_question("01.idle-thread-impersonates",
                         "A thread of the service that is not serving any call calls RpcImpersonateClient(0). "
                         "What does it return?", idle,
                         ["ERROR_SUCCESS", "RPC_S_NO_CALL_ACTIVE", "RPC_S_INVALID_BINDING",
                          "RPC_S_NO_CONTEXT_AVAILABLE"], "handle-zero-always-works"),
        _who("01.unchecked-result", "unchecked-impersonation", "unchecked", "service", "failure-leaves-no-rights",
             "Its impersonation fails. As whom does service act when it opens the file?"),
        forgot,
    ]


def _q02() -> list[Question]:
    return [
        level_question("02.identify-opens-file",
                       "A client calls a server on another machine with Kerberos and mutual authentication; the "
                       "server impersonates it and opens a file on its own machine that the client may read. What "
                       "is the least level the client must grant for the open to work?",
                       lambda lvl: run_capability("open a local resource", level=lvl, placement="remote").decision,
                       "identify-can-open"),
        yes_no_question("02.impersonate-reaches-share",
                        "The client grants Impersonate to a server on another machine (Kerberos, mutual "
                        "authentication). Can the server open a share on a third machine as the client?",
                        run_capability("reach another machine", level="impersonate", placement="remote").decision,
                        "impersonate-reaches-network"),
        yes_no_question("02.anonymous-over-tcp",
                        "The client grants Anonymous to a server on another machine (over TCP, Kerberos). Can the "
                        "server learn who the client is?",
                        run_capability("learn the identity", level="anonymous", placement="remote").decision,
                        "anonymous-hides-everywhere"),
        rule_question("02.why-no-share",
                      "A server on another machine holds the client's Impersonate-level token and is refused the "
                      "share on a third machine. Which rule explains the refusal?",
                      run_capability("reach another machine", level="impersonate", placement="remote").decision,
                      ["R15", "R18", "R25", "R21"], "impersonate-reaches-network"),
    ]


def _delegation_call(level: str, **binding) -> Decision:
    world = load_named("seed-delegation").world
    return Engine(world).thread("client").call("server_a", Binding.of(level=level, **binding)).decision


def _q03() -> list[Question]:
    world, tracking = _scenario("identity-tracking", "static-bound-early")
    com = _delegation_call("default", api="com", provider="kerberos")
    identify = Engine(load_named("seed-delegation").world).thread("client").call(
        "server_a", Binding.of(provider="kerberos", level="identify", mutual_auth=True)).require_thread().rpc_impersonate_client()
    raised = load_named("com-machine-default").evaluate("admin-raised-default").outcome
    ntlm = _delegation_call("impersonate", provider="ntlm", mutual_auth=True, spn="wrong")
    return [
        outcome_question("03.identify-impersonates",
                         "A client grants only Identify to a server on another machine (Kerberos, mutual "
                         "authentication). The server calls RpcImpersonateClient. What does it return?", identify,
                         ["ERROR_SUCCESS", "RPC_S_NO_CONTEXT_AVAILABLE", "ERROR_BAD_IMPERSONATION_LEVEL"],
                         "identify-refuses-impersonation"),
        token_level_question("03.com-default-level",
                             "A COM client on a machine whose machine-wide level was never changed calls a server "
                             "with Kerberos and sets no impersonation level in code. At which level does the "
                             "server's token for the client arrive?", com, "default-means-impersonate"),
        outcome_question("03.ntlm-wrong-spn",
                         "A client asks for mutual authentication with NTLM and names the wrong server principal "
                         "name (SPN). What does the call return?", ntlm,
                         ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"], "ntlm-proves-server"),
        outcome_question("03.admin-raised",
                         "An administrator raised the machine-wide COM level of WS2 to Impersonate. A COM client on "
                         "WS2 sets no level in code and calls a COM server on APP1, which impersonates it and opens "
                         "profile.dat, a file the client may read. What does the open return?", raised,
                         ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
                         "com-default-fixed"),
        who_acts_question("03.static-tracking", world, tracking, "server_b", "static-follows-thread"),
    ]


def _q04() -> list[Question]:
    world, story = _scenario("seed-delegation", "delegate")
    no_impersonation = Chain(story.client, (Hop(story.hops[0].server, story.hops[0].binding, impersonate=False),
                                            story.hops[1]), name="question")
    sensitive = Chain("client_carol", (Hop("server_a", Binding.of(provider="kerberos", level="impersonate",
                                                                  mutual_auth=True)),), name="question")
    no_mutual = load_named("seed-delegation").evaluate("no-mutual-auth").hops[0].call
    ntlm = load_named("seed-delegation").evaluate("ntlm").hops[0].call
    long_world, long_chain = _long_chain()
    return [
        who_acts_question("04.server-a-does-not-impersonate", world, no_impersonation, "server_b",
                          "b-sees-client-anyway"),
        rule_question("04.no-mutual-auth",
                      "Alice's client asks Server A for Delegate with Kerberos but without mutual authentication; "
                      "Server A's account is trusted for delegation and Alice may be delegated. The call fails "
                      "with RPC_S_SEC_PKG_ERROR. Which rule decides?", no_mutual, ["R21", "R19", "R8", "R25"],
                      "delegate-request-is-enough"),
        outcome_question("04.ntlm-delegate",
                         "Alice's client asks Server A for Delegate, with mutual authentication, but over NTLM. "
                         "What does the call return?", ntlm,
                         ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"], "ntlm-can-delegate"),
        who_acts_question("04.sensitive-impersonate", world, sensitive, "server_a", "sensitive-blocks-impersonation",
                          prompt="Carol's account is marked sensitive and cannot be delegated. As whom does "
                                 "server_a act?"),
        _who("04.unlisted-computer", "delegation-limited", "unlisted-computer", "db2", "trusted-means-anywhere",
             "front's account is trusted for delegation to DB1 only. As whom does db2 act?"),
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
    return w, Chain("client", (Hop("server1", kerberos), Hop("server2", kerberos.with_(level="impersonate")),
                               Hop("server3", kerberos.with_(level="impersonate"),
                                   access=(Access.of("file@SRV3"),))), name="question")


def _q05() -> list[Question]:
    return [
        _who("05.who-does-c-see", "seed-ncalrpc", "lb-impersonate", "C", "ncalrpc-every-hop"),
        _who("05.rb-acts-as", "seed-ncalrpc", "lb-impersonate", "RB", "impersonate-stays-home"),
        rule_question("05.why-lb-reaches-rb",
                      "A calls LB on its own machine over ncalrpc at Impersonate; LB impersonates A and calls RB on "
                      "another machine, where RB sees A. Which rule lets LB's token reach RB?",
                      load_named("seed-ncalrpc").evaluate("lb-impersonate").hops[0].call,
                      ["R18", "R27", "R19", "R29"], "impersonate-stays-home"),
        _who("05.delegate-to-c", "seed-ncalrpc", "lb-delegate", "C", "ncalrpc-ends-at-rb"),
        _who("05.same-machine-tcp", "seed-ncalrpc", "lb-over-local-tcp", "RB", "same-machine-is-enough"),
    ]


def _q06() -> list[Question]:
    world, broken = _scenario("double-hop", "ntlm")
    result = evaluate(world, broken)
    hop_names = {h.index: f"hop {h.index}: {h.call.caller} ({h.call.caller_machine}) to {h.hop.server} "
                          f"({h.call.server_machine})" for h in result.hops}
    answer = hop_names[result.deciding_hop]
    decider = result.outcome
    where = Question(
        "06.which-hop", "multiple choice",
        f"{describe_chain(world, broken)} The database refuses the request. At which hop is Bob's identity lost?",
        tuple(Option(text, f"Right: {text}. {_why(decider)}" if text == answer else
                     f"Not this one: read that hop's story: as whom does its server act?"
                     f"{_trap(MISCONCEPTIONS['first-hop-breaks'])}") for text in hop_names.values()),
        answer, MISCONCEPTIONS["first-hop-breaks"], decider)
    first = result.hops[0].call
    return [
        outcome_question("06.symptom",
                         f"{describe_chain(world, broken)} What does Bob's request end with?",
                         result.outcome, ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
                         "lost-identity-fails-loudly", rpc_function=False),
        where,
        rule_question("06.why-ntlm",
                      "The browser names the web front end by its IP address and uses Negotiate. The front end "
                      "ends up with an NTLM logon. Which rule decides the package?", first,
                      ["R19", "R22", "R25", "R21"], "negotiate-always-kerberos"),
        _who("06.other-backend", "double-hop", "kerberos-other-backend", "files", "trusted-means-anywhere",
             "svc_web is trusted for delegation to SQL1 only. As whom does files act?"),
    ]


def _q07() -> list[Question]:
    com = load_named("com-cloaking")
    middle = Engine(com.world).thread("client").call("middle", Binding.of(api="com", provider="kerberos")).require_thread()
    for _ in range(2):
        middle.co_impersonate_client()
    reverted = middle.co_revert_to_self()
    client = com.world.get_process("client").account.qualified
    # Static cloaking across a revert: a static and a dynamic proxy, both used while impersonating, then again.
    cloaker = Engine(com.world).thread("client").call("middle", Binding.of(api="com", provider="kerberos",
                                                                         level="delegate")).require_thread()
    cloaker.co_impersonate_client()
    proxies = [cloaker.bind("backend", Binding.of(api="com", provider="kerberos", level="impersonate",
                                                  cloaking=mode)) for mode in ("static", "dynamic")]
    for proxy in proxies:
        cloaker.call(proxy)
    cloaker.co_revert_to_self()
    after_revert = cloaker.call(proxies[0]).decision
    own = cloaker.process.account.qualified
    return [
        _who("07.no-cloaking", "com-cloaking", "no-cloaking", "backend", "com-passes-identity"),
        thread_identity_question("07.static-after-revert",
                                 f"A COM middle tier ({own}) serves {client}'s call at Delegate over Kerberos and "
                                 "calls CoImpersonateClient. It sets static cloaking with CoSetProxyBlanket on one "
                                 "proxy to the back end and dynamic cloaking on another, and calls through both. "
                                 "Then it calls CoRevertToSelf and calls through the static proxy again. As whom "
                                 "does the back end see that call?", after_revert.identity_seen, after_revert,
                                 (own, client, ANONYMOUS_LOGON), "static-cloaking-follows-thread"),
        thread_identity_question("07.one-revert",
                                 f"A COM middle tier ({middle.process.account.qualified}) serves {client}'s call, "
                                 "calls CoImpersonateClient twice, then CoRevertToSelf once. As whom does the thread "
                                 "act now?", middle.acting_as, reverted, (client, ANONYMOUS_LOGON),
                                 "one-revert-per-impersonation"),
        _who("07.rbcd-not-listed", "resource-based-delegation", "target-does-not-list-it", "archive",
             "target-need-not-agree",
             "The archive's account does not list the front end in msDS-AllowedToActOnBehalfOfOtherIdentity. As "
             "whom does archive act?"),
        _who("07.dynamic-bound-early", "identity-tracking", "dynamic-bound-early", "server_b",
             "early-binding-freezes"),
        outcome_question("07.negotiate-by-ip",
                         "Alice's client uses Negotiate with Delegate and mutual authentication, but names Server A by "
                         "its IP address (no IP SPN). What does the call return?",
                         load_named("negotiate-ip-fallback").evaluate("by-ip").hops[0].call,
                         ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"], "negotiate-always-kerberos"),
    ]


def _q08() -> list[Question]:
    return [
        _who("08.ncalrpc-rb", "seed-ncalrpc", "lb-impersonate", "RB", "impersonate-stays-home"),
        _who("08.ncalrpc-c", "seed-ncalrpc", "lb-impersonate", "C", "ncalrpc-every-hop"),
        outcome_question("08.no-mutual-auth",
                         "Alice's client asks Server A for Delegate with Kerberos but without mutual "
                         "authentication. What does the call return?",
                         load_named("seed-delegation").evaluate("no-mutual-auth").hops[0].call,
                         ["ERROR_SUCCESS", "RPC_S_SEC_PKG_ERROR", "ERROR_ACCESS_DENIED"],
                         "delegate-request-is-enough"),
        outcome_question("08.com-default-open",
                         "A COM client sets no impersonation level; its machine-wide level was never changed. The "
                         "COM server impersonates it and opens the client's file. What does the open return?",
                         load_named("com-machine-default").evaluate("default-identify").outcome,
                         ["ERROR_SUCCESS", "ERROR_ACCESS_DENIED", "ERROR_BAD_IMPERSONATION_LEVEL"],
                         "default-means-impersonate"),
        _who("08.double-hop-web", "double-hop", "ntlm", "web", "first-hop-breaks"),
        _who("08.unchecked", "unchecked-impersonation", "unchecked", "service", "failure-leaves-no-rights"),
    ]


_CATALOGUE: dict[str, Callable[[], list[Question]]] = {
    "00": _q00, "01": _q01, "02": _q02, "03": _q03, "04": _q04, "05": _q05, "06": _q06, "07": _q07, "08": _q08,
}


@cache
def _questions(notebook: str) -> tuple[Question, ...]:
    return tuple(_CATALOGUE[notebook]())


def questions(notebook: str | None = None) -> tuple[Question, ...]:
    """The questions of one notebook ('00'-'08'), or of all."""
    if notebook is None:
        return tuple(q for nb in _CATALOGUE for q in _questions(nb))
    if notebook not in _CATALOGUE:
        raise InvalidValueError("notebook", notebook, list(_CATALOGUE))
    return _questions(notebook)


def question_keys() -> list[str]:
    return [q.key for q in questions()]


def question(key: str) -> Question:
    """One question by key, e.g. '05.who-does-c-see'."""
    notebook = key.split(".", 1)[0]
    found = {q.key: q for q in questions(notebook)} if notebook in _CATALOGUE else {}
    if key not in found:
        raise InvalidValueError("question", key, question_keys())
    return found[key]


def answer_key(keys: Iterable[str]) -> str:
    """The answers and reasons for some questions, for a learner who asks for them."""
    return "\n\n".join(question(k).reveal() for k in keys)
