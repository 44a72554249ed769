"""The decision-table machinery (and, re-exported, the rule catalogue of :mod:`.catalogue`).

A :class:`DecisionTable` is a list of rows ``when facts match -> effect``, each citing a rule of
:data:`RULES`. At import each table is compiled over its whole (finite) fact space and checked:

* complete: every combination of facts is matched by some row;
* no dead rows: every row decides at least one combination;
* no silent conflicts: where two rows match with different effects, the table must be an
  ordered checklist (``ordered=True``), the later row must be a ``fallback``, or the earlier
  row must name the later in ``overrides`` (this is how an exception, such as the ncalrpc one,
  is declared).

>>> t = DecisionTable("demo", {"x": (1, 2)}, [Row("R2", 1, when={"x": 1}), Row("R2", 0, fallback=True)], effect=int)
>>> t.decide(x=1).effect, t.decide(x=2).effect
(1, 0)
"""

from __future__ import annotations

import enum
import itertools
import operator
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalogue import CORE_RULE_IDS, ROLES, RULES, Rule, rule
from .errors import RuleTableError

__all__ = ["Rule", "RULES", "ROLES", "rule", "Row", "DecisionTable", "CORE_RULE_IDS"]


_ANY = object()


@dataclass(frozen=True)
class Row:
    """One row of a decision table: ``when`` the facts match, the ``effect`` applies, for the reason ``rule``.

    ``sentence`` is a template filled from the decision's context; ``name`` names notable rows
    (such as the ncalrpc exception); ``overrides`` lists the rule ids of later rows this row
    deliberately takes precedence over; ``decisive=False`` marks a row that only records a
    pass-through (its reason is shown, but it is not cited as deciding anything).
    """

    rule: str
    effect: Any
    when: Mapping[str, Any] = field(default_factory=dict)
    sentence: str = ""
    name: str = ""
    overrides: tuple[str, ...] = ()
    fallback: bool = False
    decisive: bool = True
    _sets: Mapping[str, frozenset] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sets = {
            k: frozenset(v) if isinstance(v, (set, frozenset, tuple, list)) else frozenset([v])
            for k, v in self.when.items()
        }
        object.__setattr__(self, "_sets", sets)

    def matches(self, point: Mapping[str, Any]) -> bool:
        return all(point[k] in v for k, v in self._sets.items())


class _Lookup(dict[tuple[Any, ...], "Row"]):
    """A compiled table's index: a plain dict look-up, and a clear error for a key outside the table."""

    __slots__ = ("table",)

    def __init__(self, table: DecisionTable) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, key: object) -> Row:
        values = key if isinstance(key, tuple) else (key,)
        order = self.table._order
        if len(values) != len(order):
            raise RuleTableError(
                f"table {self.table.name}: {len(values)} facts given, {len(order)} expected ({', '.join(order)})"
            )
        return self.table.decide(**dict(zip(order, values)))


class DecisionTable:
    """A named table of rows over a finite fact space, compiled to a lookup at construction."""

    def __init__(
        self,
        name: str,
        facts: Mapping[str, Iterable[Any]],
        rows: list[Row],
        *,
        ordered: bool = False,
        context: Iterable[str] = (),
        effect: type | tuple[type, ...] = (),
    ) -> None:
        self.name = name
        self.effect = effect  # the type(s) every row's effect must have (the engine's tables all declare it)
        self.facts = {k: tuple(v) for k, v in facts.items()}
        self.rows = tuple(rows)
        self.ordered = ordered
        self._order = tuple(self.facts)
        self._index: dict[tuple, Row] = _Lookup(self)
        getter = operator.itemgetter(*self._order)
        self._key = getter if len(self._order) > 1 else (lambda facts: (getter(facts),))
        # an enum-valued fact takes members of that enum only: ImpLevel.IMPERSONATE (3) must never find the
        # row of TokenLevel.DELEGATION (3), although the two compare equal as numbers (R1)
        self._types = {
            k: type(v[0])
            for k, v in self.facts.items()
            if v and isinstance(v[0], enum.Enum) and all(type(x) is type(v[0]) for x in v)
        }
        self._check_rows(set(context))
        self._compile()

    def _check_rows(self, context: set[str]) -> None:
        for r in self.rows:
            if r.rule not in RULES:
                raise RuleTableError(f"table {self.name}: row cites unknown rule {r.rule!r}")
            if self.effect and (not isinstance(r.effect, self.effect) or isinstance(r.effect, str)):
                raise RuleTableError(
                    f"table {self.name}: row {r.rule} has effect {r.effect!r}; the table declares "
                    f"{self.effect!r} (an enum or a frozen record, never a bare string)"
                )
            for fact, values in r._sets.items():
                if fact not in self.facts:
                    raise RuleTableError(f"table {self.name}: row {r.rule} tests unknown fact {fact!r}")
                kind = self._types.get(fact)
                bad = [v for v in values if v not in self.facts[fact] or (kind and not isinstance(v, kind))]
                if bad:
                    raise RuleTableError(
                        f"table {self.name}: row {r.rule} tests {fact} against {bad!r}, "
                        f"outside its domain {self.facts[fact]!r}"
                    )
            if context:
                names = {f for _, f, _, _ in string.Formatter().parse(r.sentence) if f}
                unknown = names - context
                if unknown:
                    raise RuleTableError(
                        f"table {self.name}: row {r.rule} sentence uses {sorted(unknown)}, "
                        f"not among the context fields {sorted(context)}"
                    )

    def _compile(self) -> None:
        used: set[int] = set()
        for values in itertools.product(*self.facts.values()):
            point = dict(zip(self._order, values))
            matching = [i for i, r in enumerate(self.rows) if r.matches(point)]
            if not matching:
                raise RuleTableError(f"table {self.name} is incomplete: no row decides {point}")
            first = self.rows[matching[0]]
            if not self.ordered:
                for j in matching[1:]:
                    later = self.rows[j]
                    if later.effect != first.effect and not later.fallback and later.rule not in first.overrides:
                        raise RuleTableError(
                            f"table {self.name}: rows {first.rule} and {later.rule} both decide {point} differently; "
                            f"declare the exception with overrides=({later.rule!r},) or make one a fallback"
                        )
            used.add(matching[0])
            self._index[values] = first
        dead = [self.rows[i].rule for i in range(len(self.rows)) if i not in used]
        if dead:
            raise RuleTableError(f"table {self.name}: rows for {dead} never decide anything (shadowed by earlier rows)")

    def decide(self, **facts: Any) -> Row:
        """The row that decides these facts (every fact of the table must be given)."""
        for fact, kind in self._types.items():
            if fact in facts and not isinstance(facts[fact], kind):
                raise RuleTableError(f"table {self.name}: fact {fact} must be a {kind.__name__}, not {facts[fact]!r}")
        try:
            row = self._index.get(self._key(facts))
        except KeyError:
            row = None
        if row is None:
            missing = [f for f in self._order if f not in facts]
            if missing:
                raise RuleTableError(f"table {self.name}: missing facts {missing}")
            bad = {f: facts[f] for f in self._order if facts[f] not in self.facts[f]}
            raise RuleTableError(f"table {self.name}: facts outside the table's domain: {bad}")
        return row

    def row(self, *values: Any) -> Row:
        """The row for these fact values given in the table's fact order (:attr:`facts`), as :attr:`lookup`."""
        return self._index[values]

    @property
    def lookup(self) -> Mapping[tuple, Row]:
        """The compiled table: fact values in :attr:`facts` order -> row. The engine's steps index it
        directly (``TABLE.lookup[a, b]``); a key outside the table raises the same error as :meth:`decide`."""
        return self._index

    def rows_for(self, rule_id: str) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.rule == rule_id)

    def __repr__(self) -> str:
        return f"DecisionTable({self.name!r}, {len(self.rows)} rows over {len(self._index)} fact combinations)"
