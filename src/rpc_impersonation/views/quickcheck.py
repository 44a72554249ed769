"""Quick checks: a prediction question whose answer and feedback are read from an engine decision; it
starts unanswered, and feedback names the misconception, never the hidden value.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as W

from ..chain import ChainResult
from ..decisions import Decision
from ..errors import InvalidValueError
from ..rules import RULES, rule
from ..scenarios import load_named
from ..world import ANONYMOUS_LOGON, World
from .widget_base import WidgetView, pre_html

__all__ = ["QuickCheck", "Option", "NOBODY"]

NOBODY = "nobody: the chain never gets there"


@dataclass(frozen=True)
class Option:
    """One answer of a quick check and ``why``: the misconception behind choosing it, with its rule id."""

    text: str
    why: str = ""


class QuickCheck(WidgetView):
    """A question whose right answer the engine computes. It starts unanswered; a wrong pick shows the rule
    behind *that* option (never the hidden answer) and lets the learner try again; the answer shows after
    ``reveal_after`` wrong tries or when the learner presses "show answer".

    ``QuickCheck(question, choices, correct, because)`` as before; new, keyword-only:

    * ``choices`` may mix strings and :class:`Option` (an option's ``why`` is its misconception text);
    * ``why``: a mapping choice -> misconception text, for choices given as strings;
    * ``reveal_after``: wrong tries before the answer is shown (default 2; ``None``: only on request);
    * ``kind``: a label for the form of question ("multiple choice", "which rule decides", "who does C see",
      ...), shown above the question.

    Right answers are explained with ``because.headline`` (the most specific cause and its rule). The
    widget's DOM carries the classes ``rpc-quick-check`` and ``rpc-qc-<state>``, state being one of
    :attr:`STATES`, so a browser test can see that it is unanswered.
    """

    STATES = ("unanswered", "wrong", "right", "revealed")
    hidden_in_snapshot = ("feedback_pane",)

    def __init__(
        self,
        question: str,
        choices: Sequence[str | Option],
        correct: str,
        because: Decision,
        *,
        why: dict[str, str] | None = None,
        reveal_after: int | None = 2,
        kind: str = "multiple choice",
    ) -> None:
        super().__init__()
        options = [c if isinstance(c, Option) else Option(str(c), (why or {}).get(str(c), "")) for c in choices]
        texts = [o.text for o in options]
        if len(set(texts)) != len(texts):
            raise InvalidValueError("choices", texts, "distinct answers", what="repeated")
        if correct not in texts:
            raise InvalidValueError("correct", correct, texts)
        unknown = sorted(set(why or {}) - set(texts))
        if unknown:
            raise InvalidValueError("why", unknown, texts, what="explains unknown choices")
        if reveal_after is not None and (not isinstance(reveal_after, int) or reveal_after < 1):
            raise InvalidValueError("reveal_after", reveal_after, "a whole number of tries >= 1, or None")
        self.question, self.choices, self.correct, self.because = question, tuple(texts), correct, because
        self.options = {o.text: o for o in options}
        self.reveal_after, self.kind = reveal_after, kind
        self.tries = 0
        self.state = "unanswered"
        self.radio = W.RadioButtons(options=texts, value=None, layout=W.Layout(width="auto"))
        self.check = W.Button(description="check", button_style="primary")
        self.check.on_click(lambda _: self.choose(self.radio.value))
        self.show_button = W.Button(description="show answer")
        self.show_button.on_click(lambda _: self.reveal())
        self.feedback_pane = W.HTML()
        self.feedback = ""
        self.is_correct: bool | None = None
        self.widget = W.VBox(
            [
                W.HTML(f"<i>Check your understanding ({html.escape(kind)})</i><br><b>{html.escape(question)}</b>"),
                self.radio,
                W.HBox([self.check, self.show_button]),
                self.feedback_pane,
            ]
        )
        self.widget.add_class("rpc-quick-check")
        self._set_state("unanswered")
        self.summary = question

    def choose(self, answer: str | None) -> str:
        """Answer the question; returns (and shows) the feedback."""
        if answer is None:
            self.feedback, self.is_correct = "Pick an answer first.", None
        elif answer not in self.choices:
            raise InvalidValueError("answer", answer, self.choices)
        elif self.state in ("right", "revealed"):
            self.is_correct = answer == self.correct
            self.feedback = (
                f"Right: {answer}."
                if self.is_correct
                else f"{self._why(answer)} The engine's answer stays {self.correct!r}."
            ) + f" {self.because.headline}"
        else:
            self.tries += 1
            self.is_correct = answer == self.correct
            if self.is_correct:
                self._set_state("right")
                self.feedback = f"Right: {answer}. Why: {self.because.headline}"
            elif self.reveal_after is not None and self.tries >= self.reveal_after:
                self._set_state("revealed")
                self.feedback = (
                    f"Not quite. {self._why(answer)}\nThe engine's answer: {self.correct}. Why: {self.because.headline}"
                )
            else:
                self._set_state("wrong")
                remaining = None if self.reveal_after is None else self.reveal_after - self.tries
                left = (
                    ""
                    if remaining is None
                    else f" ({remaining} more wrong {'try' if remaining == 1 else 'tries'} before the answer shows)"
                )
                self.feedback = f"Not quite. {self._why(answer)}\nTry again{left}, or press 'show answer'."
        if answer in self.choices and self.radio.value != answer:
            self.radio.value = answer
        self.feedback_pane.value = pre_html(self.feedback)
        return self.feedback

    def reveal(self) -> str:
        """Show the engine's answer and why (the learner asked for it)."""
        if self.state != "right":
            self._set_state("revealed")
        self.feedback = f"The engine's answer: {self.correct}. Why: {self.because.headline}"
        self.feedback_pane.value = pre_html(self.feedback)
        return self.feedback

    def _why(self, answer: str) -> str:
        text = self.options[answer].why
        if text:
            return text
        rule_id = self.because.cause.rule
        return f"The rule that decides this case is {rule_id} ({RULES[rule_id].title}); think it through again."

    def _set_state(self, state: str) -> None:
        self.widget.remove_class(f"rpc-qc-{self.state}")
        self.state = state
        self.widget.add_class(f"rpc-qc-{state}")
        self.show_button.disabled = state in ("right", "revealed")

    # --- factories: questions computed from shipped scenarios -------------------------------------------
    @staticmethod
    def _setup(result: ChainResult) -> str:
        hops = "; ".join(f"{h.call.caller} -> {h.hop.server} over {h.hop.binding.describe()}" for h in result.hops)
        return f"{result.chain.client} runs as {result.client_identity}; {hops}"

    @staticmethod
    def _identity_options(result: ChainResult, world: World, server: str, answers: Sequence[str]) -> list[Option]:
        client, own = result.client_identity, world.get_process(server).account.qualified
        why = {
            client: "The client's identity reaches a server only if every hop before it carried it: Delegate with "
            "Kerberos, mutual authentication and a trusted server account (R19, R23), or one hop past an "
            "ncalrpc call (R27, R28).",
            own: "A server acts as its own account only while it is not impersonating, for example when its "
            "impersonation failed and it carried on (R11).",
            ANONYMOUS_LOGON: "ANONYMOUS LOGON arrives when the caller's token has no credentials usable on the "
            "target machine (R18, A16), or when Anonymous was asked over ncalrpc (R7).",
            NOBODY: "A chain stops before a server only if a call on the way is refused, for example because "
            "Delegate was required and impossible (R20) or the server requires authentication (M1).",
        }
        other = (
            "That account belongs to another process on the path; a server sees it only when that process "
            "calls out as itself instead of as its caller (R17, R32)."
        )
        return [Option(a, why.get(a, other)) for a in sorted(set(answers))]

    @classmethod
    def who_acts(cls, scenario: str, chain: str, server: str, **options) -> QuickCheck:
        """'As whom does <server> act?' for a shipped scenario's chain (the question names the set-up, not the
        chain's name, which could give the answer away). ``options`` go to the constructor."""
        s = load_named(scenario)
        result = s.evaluate(chain)
        got = result.reached_as(server) or NOBODY
        own = s.world.get_process(server).account.qualified
        hop = next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)
        because = (
            result.outcome
            if hop is None
            else hop.call
            if not hop.call.ok or hop.impersonation is None
            else hop.call
            if hop.impersonation.ok
            else hop.impersonation
        )
        choices = cls._identity_options(
            result, s.world, server, [result.client_identity, own, ANONYMOUS_LOGON, NOBODY, got]
        )
        return cls(
            f"{cls._setup(result)}. Every server impersonates its caller. As whom does {server} act?",
            choices,
            got,
            because,
            **{"kind": "who acts", **options},
        )

    @classmethod
    def who_sees(cls, scenario: str, chain: str, server: str, **options) -> QuickCheck:
        """'Whom does <server> see as its caller?' (the identity in the call's security context)."""
        s = load_named(scenario)
        result = s.evaluate(chain)
        hop = next((h for h in result.hops if h.hop.server.lower() == server.lower()), None)
        got = hop.call.identity_seen if hop is not None and hop.call.ok else NOBODY
        own = s.world.get_process(server).account.qualified
        because = hop.call if hop is not None else result.outcome
        callers = [h.call.server_account for h in result.hops if h.call.ok]
        choices = cls._identity_options(
            result,
            s.world,
            server,
            [result.client_identity, ANONYMOUS_LOGON, NOBODY, got, *[c for c in callers if c != own][:1]],
        )
        return cls(
            f"{cls._setup(result)}. Every server impersonates its caller. Whom does {server} see as its caller?",
            choices,
            got,
            because,
            **{"kind": f"who does {server} see", **options},
        )

    @classmethod
    def which_rule(
        cls, scenario: str, chain: str, distractors: Sequence[str] = ("R18", "R20", "R23", "R27"), **options
    ) -> QuickCheck:
        """'Which rule decides the outcome?' The answer is the outcome's most specific cause; each option
        carries its rule's summary, so a wrong pick teaches what that rule does say."""
        result = load_named(scenario).evaluate(chain)
        cause = result.outcome.cause.rule
        ids = sorted(dict.fromkeys([cause, *[d for d in distractors if d != cause]]), key=lambda r: (r[0], int(r[1:])))
        involved = set(result.outcome.rules)

        def why(r: str) -> str:
            if r == cause:
                return ""
            if r in involved:
                return (
                    f"{r} takes part, but it states the consequence ({rule(r).summary}); the question asks "
                    "for the condition that caused it."
                )
            return f"{r} says: {rule(r).summary} That is not what decides this case."

        choices = [Option(f"{r}: {rule(r).title}", why(r)) for r in ids]
        return cls(
            f"{cls._setup(result)}. The chain ends with {result.outcome.code.name}. Which rule decides that outcome?",
            choices,
            f"{cause}: {rule(cause).title}",
            result.outcome,
            **{"kind": "which rule decides", **options},
        )

    @classmethod
    def outcome_of(cls, scenario: str, chain: str, **options) -> QuickCheck:
        """'What is the outcome?' with the engine's code among common codes."""
        result = load_named(scenario).evaluate(chain)
        common = {
            "ERROR_SUCCESS": "Success needs every hop to carry the identity its server needs (R23) and the "
            "last ACL to allow it (M4).",
            "ERROR_ACCESS_DENIED": "Access denied comes from an ACL that does not allow the identity the "
            "server acts as (M4), or a server that refuses anonymous callers (M1).",
            "ERROR_BAD_IMPERSONATION_LEVEL": "This code comes from a thread token below Impersonate trying "
            "to open something or call out (R15, M3).",
            "RPC_S_SEC_PKG_ERROR": "This code comes from a security package that cannot give what was "
            "required, for example Delegate that is impossible (R20) or a Kerberos "
            "name that cannot be found (R21, M5).",
            "RPC_S_NO_CONTEXT_AVAILABLE": "This code comes from impersonating a call that carries no "
            "security context, an unauthenticated one (R10, A15).",
        }
        got = result.outcome.code.name
        choices = [Option(code, why) for code, why in common.items()]
        if got not in common:
            choices.append(Option(got))
        return cls(
            f"{cls._setup(result)}. What does the last step return?",
            choices,
            got,
            result.outcome,
            **{"kind": "what is the outcome", **options},
        )
