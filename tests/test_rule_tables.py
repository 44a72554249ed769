"""The decision-table machinery: completeness, dead rows and undeclared conflicts are caught at import."""

import pytest

from rpc_impersonation.errors import RuleTableError
from rpc_impersonation.rules import CORE_RULE_IDS, RULES, DecisionTable, Row
from rpc_impersonation.tables import ALL_TABLES, CONTEXT_FIELDS, CREDENTIALS


def test_incomplete_table_is_refused():
    with pytest.raises(RuleTableError, match="incomplete"):
        DecisionTable("t", {"x": (1, 2)}, [Row("R2", "a", {"x": 1})])


def test_dead_row_is_refused():
    with pytest.raises(RuleTableError, match="never decide"):
        DecisionTable("t", {"x": (1, 2)}, [Row("R2", "a", fallback=True), Row("R4", "b", {"x": 1})], ordered=True)


def test_undeclared_conflict_is_refused_and_overrides_declares_it():
    rows = [Row("R27", "shared", {"x": 1}), Row("R18", "none", {"y": True})]
    with pytest.raises(RuleTableError, match="both decide"):
        DecisionTable("t", {"x": (1, 2), "y": (True, False)}, rows + [Row("R2", "z", fallback=True)])
    rows[0] = Row("R27", "shared", {"x": 1}, overrides=("R18",))
    DecisionTable("t", {"x": (1, 2), "y": (True, False)}, rows + [Row("R2", "z", fallback=True)])


def test_unknown_rule_fact_and_sentence_field_are_refused():
    with pytest.raises(RuleTableError, match="unknown rule"):
        DecisionTable("t", {"x": (1,)}, [Row("R99", "a")])
    with pytest.raises(RuleTableError, match="unknown fact"):
        DecisionTable("t", {"x": (1,)}, [Row("R2", "a", {"q": 1})])
    with pytest.raises(RuleTableError, match="outside its domain"):
        DecisionTable("t", {"x": (1,)}, [Row("R2", "a", {"x": 3})])
    with pytest.raises(RuleTableError, match="context fields"):
        DecisionTable("t", {"x": (1,)}, [Row("R2", "a", sentence="{nobody}")], context=CONTEXT_FIELDS)


def test_the_ncalrpc_exception_is_a_named_row_that_declares_what_it_overrides():
    rows = [r for r in CREDENTIALS.rows if r.name == "ncalrpc exception"]
    assert len(rows) == 1 and rows[0].rule == "R27" and "R18" in rows[0].overrides


def test_every_core_rule_is_in_the_catalogue_and_used_by_a_table_or_the_engine():
    used = {r.rule for t in ALL_TABLES for r in t.rows}
    in_code = {"R1", "R3", "R11", "R12", "R14", "R23", "R26", "R28", "R31", "R40"}  # see docs/modeling-decisions.md
    for rid in CORE_RULE_IDS:
        assert rid in RULES
        assert rid in used or rid in in_code, rid


def test_rule_ids_are_unique_and_every_rule_has_a_sentence():
    assert len(RULES) == len(set(RULES))
    for r in RULES.values():
        assert r.summary.endswith(".") and r.title


def test_every_table_row_sentence_formats_with_the_context_fields():
    ctx = {f: f"<{f}>" for f in CONTEXT_FIELDS}
    for t in ALL_TABLES:
        for r in t.rows:
            r.sentence.format(**ctx)


def test_token_tables_are_keyed_on_token_levels_only():
    """R1: a request level must never find a token table's row, although ImpLevel.IMPERSONATE (3) and
    TokenLevel.DELEGATION (3) compare equal as numbers."""
    from rpc_impersonation.constants import ImpLevel, TokenLevel
    from rpc_impersonation.errors import RuleTableError
    from rpc_impersonation.tables import ACCESS_CHECK, OPEN_THREAD_TOKEN, OUTBOUND

    for table in (OUTBOUND, ACCESS_CHECK, OPEN_THREAD_TOKEN):
        assert set(table.facts["level"]) == set(TokenLevel), table.name
    assert ACCESS_CHECK.decide(primary=False, level=TokenLevel.ANONYMOUS).rule == "R16"
    with pytest.raises(RuleTableError, match="must be a TokenLevel"):
        ACCESS_CHECK.decide(primary=False, level=ImpLevel.IMPERSONATE)


def test_every_engine_table_declares_a_typed_effect():
    """Each table of the core and of the plug-ins declares its effect type (an enum or a frozen record, errors
    as ErrorCode), and no row's effect is a bare string; the check runs when the table is built."""
    from rpc_impersonation.errors import RuleTableError
    from rpc_impersonation.plugins import REGISTRY
    from rpc_impersonation.tables import Session

    tables = {t.name: t for t in ALL_TABLES} | REGISTRY.tables
    assert {"CoSetProxyBlanket", "S4U2proxy"} <= set(tables)
    for table in tables.values():
        assert table.effect, table.name
        for row in table.rows:
            assert not isinstance(row.effect, str), (table.name, row.rule)
    assert f"{CREDENTIALS.rows[0].effect:6}|" == "none  |"  # notebook 05 prints effects like this
    assert CREDENTIALS.rows[0].effect is Session.NONE
    with pytest.raises(RuleTableError, match="never a bare string"):
        DecisionTable("t", {"x": (1,)}, [Row("R2", "a")], effect=Session)
