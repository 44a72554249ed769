"""A reason: one rule and the sentence it produced in one situation (kept apart so tokens and decisions share it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import RULES

__all__ = ["Reason"]


class Reason:
    """One step of reasoning: a rule and the sentence it produced in this situation.

    A reason built with :meth:`from_template` writes its sentence the first time someone reads
    it: most decisions are made in bulk (the exhaustive walks, the grader) and never printed.

    >>> r = Reason.from_template("R15", "{who} holds an Identify-level token.", {"who": "svc_a"})
    >>> r.sentence, r == Reason("R15", "svc_a holds an Identify-level token.")
    ('svc_a holds an Identify-level token.', True)
    """

    __slots__ = ("rule", "decisive", "_sentence", "_template", "_values")

    rule: str
    decisive: bool
    _sentence: str | None
    _template: str | None
    _values: Mapping[str, Any] | None

    def __init__(self, rule: str, sentence: str, decisive: bool = True) -> None:
        self.rule, self.decisive, self._sentence = rule, decisive, sentence
        self._template = self._values = None

    @classmethod
    def from_template(cls, rule: str, template: str, values: Mapping[str, Any], decisive: bool = True) -> Reason:
        """A reason whose sentence is ``template.format_map(values)``; ``values`` must not change afterwards."""
        reason = cls.__new__(cls)
        reason.rule, reason.decisive, reason._sentence = rule, decisive, None
        reason._template, reason._values = template, values
        return reason

    @property
    def sentence(self) -> str:
        if self._sentence is None:
            assert self._template is not None and self._values is not None
            self._sentence = self._template.format_map(self._values)
            self._template = self._values = None
        return self._sentence

    @property
    def title(self) -> str:
        return RULES[self.rule].title

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "title": self.title, "sentence": self.sentence}

    def _key(self) -> tuple[str, str, bool]:
        return self.rule, self.sentence, self.decisive

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, Reason) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Reason(rule={self.rule!r}, sentence={self.sentence!r}, decisive={self.decisive!r})"
