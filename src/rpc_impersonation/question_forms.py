"""The forms a notebook question takes, the misconceptions it targets, and the builders that read its
answer and every option's explanation from an engine decision.

A builder never takes the right answer as a value to write down: it takes the decision (or the
world and chain to evaluate) and the wrong options, and words each option from the decision's
reasons. The course's questions themselves are in :mod:`rpc_impersonation.quiz`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .binding import Binding
from .chain import Chain, ChainResult, HopResult, evaluate
from .constants import ImpLevel
from .decisions import Decision
from .errors import InvalidValueError
from .rules import RULES
from .world import ANONYMOUS_LOGON, World

__all__ = [
    "Misconception",
    "MISCONCEPTIONS",
    "Option",
    "Question",
    "FORMS",
    "NEVER",
    "CODE_MEANINGS",
    "describe_binding",
    "describe_chain",
    "decision_reason",
    "misconception_trap",
    "who_acts_question",
    "outcome_question",
    "rule_question",
    "yes_no_question",
    "level_question",
    "token_level_question",
    "thread_identity_question",
]

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
    ("system-opens-anything", "a service running as SYSTEM opens anything, even while it impersonates a client", "R17"),
    ("acts-as-client-on-arrival", "a server thread acts as its client as soon as the call arrives", "R17"),
    ("identify-refuses-impersonation", "RpcImpersonateClient fails when the client granted only Identify", "R15"),
    ("com-default-fixed", "a COM client that sets no level stays at Identify whatever the administrator set", "R6"),
    ("ncalrpc-ends-at-rb", "after the ncalrpc exception's one hop, nothing can carry the identity further", "R23"),
    (
        "lost-identity-fails-loudly",
        "when the identity cannot travel further, the onward call fails with a "
        "security error instead of arriving as someone else",
        "A16",
    ),
    ("early-binding-freezes", "a binding set up before impersonating always carries the server's own identity", "R31"),
    ("one-revert-per-impersonation", "each CoImpersonateClient needs its own CoRevertToSelf", "R37"),
    ("handle-zero-always-works", "RpcImpersonateClient(0) always finds a caller to impersonate", "R10"),
    (
        "failure-leaves-no-rights",
        "a failed RpcImpersonateClient leaves the thread with no identity, or as the client",
        "R11",
    ),
    ("runtime-reverts", "the RPC runtime reverts the thread when the handler returns", "R14"),
    ("identify-can-open", "a server granted Identify can open the client's files", "R15"),
    (
        "impersonate-reaches-network",
        "Impersonate lets a server on another machine reach further machines as the client",
        "R18",
    ),
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
    ("one-delegate-carries-all", "one Delegate grant at the start carries the identity through every later hop", "R23"),
    ("ncalrpc-every-hop", "the ncalrpc exception lets the identity travel any number of machines", "R28"),
    ("impersonate-stays-home", "an Impersonate-level token can never leave the server's machine", "R27"),
    ("same-machine-is-enough", "any call between processes on one machine gets the ncalrpc exception", "R29"),
    ("first-hop-breaks", "in a double hop it is the first server that cannot act as the user", "R18"),
    ("negotiate-always-kerberos", "Negotiate always picks Kerberos inside a domain", "R22"),
    ("com-passes-identity", "a COM middle tier that impersonates passes its client's identity on by default", "R32"),
    (
        "static-cloaking-follows-thread",
        "a proxy with static cloaking presents whoever the thread is at each call, "
        "so CoRevertToSelf takes the client's identity away from it",
        "R32",
    ),
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
        return (
            f"{self.prompt}\n  answer: {self.answer}\n  why: {self.explain(self.answer)}\n"
            f"  the trap: believing that {self.misconception.belief}"
        )

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
        early = (
            ""
            if not hop.bound_before_impersonating
            else (f" ({caller} set up this binding before it impersonated{', with static tracking' if static else ''})")
        )
        sentences.append(
            f"{lead} {caller} calls {hop.server} ({server.account.qualified} on {server.machine}) "
            f"over {describe_binding(hop.binding)}{early}; {hop.server} {what}{opens}."
        )
        caller = hop.server
    return " ".join(sentences)


def decision_reason(decision: Decision, prefer: str = "") -> str:
    """The engine's reason: the reason citing ``prefer`` (the rule the question is about) if the decision has
    one, else the decision's headline, its most specific cause."""
    for reason in decision.reasons:
        if prefer and reason.rule == prefer and reason.decisive:
            return f"{reason.sentence} ({reason.rule})"
    return decision.headline


def misconception_trap(misconception: Misconception, name_rule: bool = True) -> str:
    """The belief a question is about, and (unless the rule is itself the answer) the rule to read."""
    see = f"; see {RULES[misconception.rule].title} ({misconception.rule})" if name_rule else ""
    return f" This question is about the belief that {misconception.belief}{see}."


# --- builders ------------------------------------------------------------------------------------------------
_OTHER = (
    "That account belongs to another process on the path; a server acts as it only when that process "
    "calls out as itself instead of as its caller (R17, R31, R32)."
)


def _hop(result: ChainResult, server: str) -> HopResult | None:
    return next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)


def _deciding(hop: HopResult | None, result: ChainResult) -> Decision:
    if hop is None:
        return result.outcome
    if not hop.call.ok or hop.impersonation is None:
        return hop.call
    return hop.call if hop.impersonation.ok else hop.impersonation


def who_acts_question(
    key: str, world: World, chain: Chain, server: str, misconception: str, prompt: str = ""
) -> Question:
    """'As whom does <server> act?' for a chain, answered by evaluating it."""
    result = evaluate(world, chain)
    answer = result.reached_as(server) or NEVER
    hop = _hop(result, server)
    decision = _deciding(hop, result)
    client = result.client_identity
    own = world.get_process(server).account.qualified
    why = decision_reason(decision, MISCONCEPTIONS[misconception].rule)
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
            opts.append(Option(text, f"Not this one: {explain.get(text, _OTHER)}{misconception_trap(mis)}"))
    text = prompt or f"As whom does {server} act?"
    return Question(
        key,
        "who does it act as",
        f"{describe_chain(world, chain)} {text}",
        tuple(opts),
        answer,
        MISCONCEPTIONS[misconception],
        decision,
    )


CODE_MEANINGS = {
    "ERROR_SUCCESS": ("it works", "R17"),
    "ERROR_ACCESS_DENIED": ("the ACL refuses the identity that was checked", "R17"),
    "ERROR_BAD_IMPERSONATION_LEVEL": ("the thread's token is below Impersonate, so it cannot open anything", "R15"),
    "RPC_S_SEC_PKG_ERROR": ("the security package refuses the call, and nothing runs on the server", "R20"),
    "RPC_S_NO_CALL_ACTIVE": ("the thread is not serving a call", "R10"),
    "RPC_S_NO_CONTEXT_AVAILABLE": ("the call was not authenticated: there is nobody to impersonate", "R10"),
    "RPC_S_INVALID_BINDING": ("the handle is not a binding handle", "R10"),
}


def outcome_question(
    key: str,
    prompt: str,
    decision: Decision,
    codes: Iterable[str],
    misconception: str,
    rpc_function: bool | None = None,
) -> Question:
    """'What does it return?' with the engine's code among plausible ones. ``rpc_function``: name success
    RPC_S_OK (default: as the decision does)."""
    names = list(dict.fromkeys([*codes, decision.code.name]))
    rpc = decision.rpc_api if rpc_function is None else rpc_function
    success = "RPC_S_OK" if rpc else "ERROR_SUCCESS"  # what an RPC function calls success
    label = {name: success if name == "ERROR_SUCCESS" else name for name in names}
    answer = label[decision.code.name]
    why = decision_reason(decision, MISCONCEPTIONS[misconception].rule)
    opts = []
    for name in names:
        meaning, rule = CODE_MEANINGS.get(name, ("", ""))
        if label[name] == answer:
            opts.append(Option(answer, f"Right: {decision.code_name}. {why}"))
        else:
            would = f"{label[name]} would mean {meaning} ({rule})." if meaning else f"{name} is not what happens."
            opts.append(
                Option(label[name], f"Not this one: {would}{misconception_trap(MISCONCEPTIONS[misconception])}")
            )
    return Question(key, "multiple choice", prompt, tuple(opts), answer, MISCONCEPTIONS[misconception], decision)


def rule_question(key: str, prompt: str, decision: Decision, rules: Iterable[str], misconception: str) -> Question:
    """'Which rule decides?': exactly one of ``rules`` must be among the decision's rules."""
    rules = list(rules)
    cited = [r for r in rules if r in decision.rules]
    if len(cited) != 1:
        raise InvalidValueError(
            "rules offered", rules, f"exactly one of the decision's rules {decision.rules}", what="ambiguous"
        )
    label = {r: f"{RULES[r].title} ({r})" for r in rules}
    reason = {r.rule: r.sentence for r in decision.reasons}
    opts = []
    for r in rules:
        if r == cited[0]:
            opts.append(Option(label[r], f"Right: {reason.get(r, decision.sentence)} ({r})"))
        else:
            opts.append(
                Option(
                    label[r],
                    f"Not this one: {r} says: {RULES[r].summary} That is not what decides "
                    f"this case.{misconception_trap(MISCONCEPTIONS[misconception], name_rule=False)}",
                )
            )
    return Question(
        key, "which rule decides", prompt, tuple(opts), label[cited[0]], MISCONCEPTIONS[misconception], decision
    )


def yes_no_question(key: str, prompt: str, decision: Decision, misconception: str) -> Question:
    answer = "yes" if decision.ok else "no"
    why = decision_reason(decision, MISCONCEPTIONS[misconception].rule)
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(
        Option(t, f"Right: {t}. {why}" if t == answer else f"Not this one.{misconception_trap(mis)}")
        for t in ("yes", "no")
    )
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
            opts.append(
                Option(lvl, f"Right: {lvl} is the least. {decision_reason(d, MISCONCEPTIONS[misconception].rule)}")
            )
        elif not d.ok:
            opts.append(
                Option(
                    lvl,
                    f"Not this one: at {lvl} the open fails with {d.code_name}: "
                    f"{decision_reason(d, MISCONCEPTIONS[misconception].rule)}",
                )
            )
        else:
            opts.append(
                Option(
                    lvl,
                    f"Not this one: {lvl} works, but it grants more than needed; the question asks "
                    f"for the least level ({RULES['R2'].title}, R2).",
                )
            )
    return Question(
        key, "multiple choice", prompt, tuple(opts), answer, MISCONCEPTIONS[misconception], decisions[answer]
    )


def token_level_question(key: str, prompt: str, decision, misconception: str) -> Question:
    """'At which level does the server's token arrive?' for a call decision."""
    answer = decision.context.level.label
    levels = [lvl.to_token().label for lvl in ImpLevel if lvl is not ImpLevel.DEFAULT]
    why = decision_reason(decision, MISCONCEPTIONS[misconception].rule)
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(
        Option(lvl, f"Right: {lvl}. {why}" if lvl == answer else f"Not this one.{misconception_trap(mis)}")
        for lvl in levels
    )
    return Question(key, "multiple choice", prompt, opts, answer, MISCONCEPTIONS[misconception], decision)


# --- the catalogue -------------------------------------------------------------------------------------------


def thread_identity_question(
    key: str, prompt: str, answer: str, decision: Decision, identities: Iterable[str], misconception: str
) -> Question:
    """'As whom does the thread act now?' after some steps; ``answer`` is the engine thread's identity."""
    mis = MISCONCEPTIONS[misconception]
    opts = tuple(
        Option(
            t,
            f"Right: {t}. {decision_reason(decision, mis.rule)}"
            if t == answer
            else f"Not this one.{misconception_trap(mis)}",
        )
        for t in sorted({*identities, answer})
    )
    return Question(key, "who does it act as", prompt, opts, answer, mis, decision)
