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

from collections.abc import Iterable
from functools import cache

from .errors import InvalidValueError
from .question_forms import (
    FORMS,
    MISCONCEPTIONS,
    NEVER,
    Misconception,
    Option,
    Question,
    describe_binding,
    describe_chain,
    level_question,
    outcome_question,
    rule_question,
    thread_identity_question,
    token_level_question,
    who_acts_question,
    yes_no_question,
)
from .quiz_questions import BY_NOTEBOOK

__all__ = [
    "Misconception",
    "MISCONCEPTIONS",
    "Option",
    "Question",
    "FORMS",
    "NEVER",
    "question",
    "questions",
    "question_keys",
    "answer_key",
    "describe_binding",
    "describe_chain",
    "who_acts_question",
    "outcome_question",
    "rule_question",
    "yes_no_question",
    "level_question",
    "token_level_question",
    "thread_identity_question",
]


@cache
def _questions(notebook: str) -> tuple[Question, ...]:
    return tuple(BY_NOTEBOOK[notebook]())


def questions(notebook: str | None = None) -> tuple[Question, ...]:
    """The questions of one notebook ('00'-'08'), or of all."""
    if notebook is None:
        return tuple(q for nb in BY_NOTEBOOK for q in _questions(nb))
    if notebook not in BY_NOTEBOOK:
        raise InvalidValueError("notebook", notebook, list(BY_NOTEBOOK))
    return _questions(notebook)


def question_keys() -> list[str]:
    return [q.key for q in questions()]


def question(key: str) -> Question:
    """One question by key, e.g. '05.who-does-c-see'."""
    notebook = key.split(".", 1)[0]
    found = {q.key: q for q in questions(notebook)} if notebook in BY_NOTEBOOK else {}
    if key not in found:
        raise InvalidValueError("question", key, question_keys())
    return found[key]


def answer_key(keys: Iterable[str]) -> str:
    """The answers and reasons for some questions, for a learner who asks for them."""
    return "\n\n".join(question(k).reveal() for k in keys)
