"""The quiz's questions as live quick checks (the questions themselves live in :mod:`rpc_impersonation.quiz`).

A check prints as its question and options, never as its answer, so a notebook that was run top to
bottom shows every check unanswered; the widget answers on the learner's click, or on request.

>>> check = ask("05.who-does-c-see")
>>> check.quick.state, "ANONYMOUS" in repr(check).split("(a)")[0]
('unanswered', False)

Taught in every notebook (00-08).
"""

from __future__ import annotations

import ipywidgets as W

from ..chain import Chain
from ..quiz import Question, question, questions, who_acts_question
from ..world import World
from .snapshot import with_snapshot
from .widgets import ChainBuilder, Option, QuickCheck, build_chain

__all__ = ["Check", "ask", "ask_all", "predict_who_acts", "predict_in_builder"]


class Check:
    """One question shown as a :class:`QuickCheck`; ``text()`` is what a printout may show."""

    def __init__(self, q: Question) -> None:
        self.question = q
        # QuickCheck says "Not quite." itself and explains the right answer with the decision's headline.
        choices = [
            Option(
                o.text,
                ""
                if o.text == q.answer
                else o.explanation.removeprefix("Not this one:").removeprefix("Not this one.").strip(),
            )
            for o in q.options
        ]
        self.quick = QuickCheck(q.prompt, choices, q.answer, q.decision, kind=q.form)
        self.widget = self.quick.widget

    def text(self) -> str:
        return self.question.text()

    def choose(self, answer: str) -> str:
        return self.quick.choose(answer)

    def reveal(self) -> str:
        """The answer and the engine's reason (what the learner asked for)."""
        self.quick.reveal()
        return self.question.reveal()

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self.text()  # deterministic, and never the answer
        return with_snapshot(bundle, self.quick.snapshot_html())  # the question and options, never the feedback

    def __repr__(self) -> str:
        return self.text()


class _Checks:
    """Several checks in one output; prints as their questions."""

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks
        self.widget = W.VBox([c.widget for c in checks])

    def __iter__(self):
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def answer_key(self) -> str:
        """Every answer with its reason: call it only when you want them."""
        return "\n\n".join(f"{i}. {c.question.reveal()}" for i, c in enumerate(self.checks, start=1))

    def text(self) -> str:
        return "\n\n".join(f"{i}. {c.text()}" for i, c in enumerate(self.checks, start=1))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self.text()
        return with_snapshot(bundle, "".join(c.quick.snapshot_html() for c in self.checks))

    def __repr__(self) -> str:
        return self.text()


def ask(key: str) -> Check:
    """The quick check for one question, e.g. ``ask("02.identify-opens-file")``."""
    return Check(question(key))


def ask_all(notebook: str) -> _Checks:
    """Every question of a notebook ('00'-'08'), stacked."""
    return _Checks([Check(q) for q in questions(notebook)])


def predict_who_acts(world: World, chain: Chain, server: str, misconception: str) -> Check:
    """A check on any chain (for example a chain builder's): as whom does ``server`` act?"""
    return Check(who_acts_question(f"custom.{chain.name}.{server}", world, chain, server, misconception))


def predict_in_builder(builder: ChainBuilder, server: str, misconception: str) -> Check:
    """'As whom does <server> act?' for the chain a builder holds now (ask it before showing the builder)."""
    world, chain = build_chain(
        builder.hops, {k: v.value for k, v in builder.delegation.items()}, builder.sensitive.value
    )
    return predict_who_acts(world, chain, server, misconception)
