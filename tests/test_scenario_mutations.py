"""Property-based: mutate the shipped scenario files the way careless authors and hostile students do,
and run ``python -m rpc_impersonation explain FILE`` (in-process, through the CLI's ``main``).

Every mutation must either still be valid with the same meaning (the same ``--json`` output as
the original, or as the original with the field written out at its documented default), or be
refused with exit 2 and a message naming the file, the line and the column. An exception
escaping ``main`` (a traceback, exit 1 from the shell) or a changed meaning fails the test.

The run is deterministic (derandomized, no example database) and bounded: about 850 examples in
all, about 10 s of CPU time. It reads the committed schema file and uses nothing but the CLI, so it can
be pointed at an older loader to show what it finds there (issue 15: it fails on the loader
before the strict one, in every test below).
"""

import contextlib
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpc_impersonation.cli import main
from scenario_walk import SHIPPED, absent_fields, dump, fits, locations, put, put_deep, shipped

SETTINGS = dict(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DOCS = {name: shipped(name) for name in SHIPPED}
REFUSED = re.compile(r"error: case\.json:(\d+):(\d+)( at \S+)?: \S")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """explain(text or bytes) -> (exit status, stdout, stderr), remembered per content."""
    path = tmp_path_factory.mktemp("mutations") / "case.json"
    memo = {}

    def explain(content):
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        if data not in memo:
            path.write_bytes(data)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["explain", str(path), "--json"])  # an exception here fails the test as it should
            memo[data] = (code, out.getvalue(), err.getvalue())
        return memo[data]

    return explain


def refused(result, *words):
    code, _, err = result
    return code == 2 and REFUSED.match(err) is not None and all(w in err for w in words)


def same(result, expected):
    return result[:2] == expected[:2] and result[0] in (0, 1)


def equivalent(result, expected):
    """The same output, or both refused with the same message (the line numbers may differ)."""
    if same(result, expected):
        return True
    where = re.compile(r"^error: case\.json:\d+:\d+")
    return refused(result) and refused(expected) and where.sub("", result[2]) == where.sub("", expected[2])


def _pick(data, items, label):
    return data.draw(st.sampled_from(items), label=label)


def _spread(data, locs, label):
    """One of ``locs``, the field name chosen first, so that rare fields (complus_default_level) are tried as
    often as frequent ones (name)."""
    groups = {}
    for loc in locs:
        steps = [s for s in loc[0] if isinstance(s, str)]
        groups.setdefault(steps[-1] if steps else "$", []).append(loc)
    return _pick(data, groups[_pick(data, sorted(groups), label + " field")], label)


def _scenario(data):
    name = _pick(data, SHIPPED, "scenario")
    return name, DOCS[name]


# the same thing written as another JSON type: what an author might type instead
_LEVEL_NUMBERS = {"default": 0, "anonymous": 1, "identify": 2, "impersonate": 3, "delegate": 4}


def _swaps(value):
    if isinstance(value, bool):
        return [json.dumps(value), "false" if value else "true", "yes" if value else "no", int(value), None]
    if isinstance(value, (int, float)):
        return [str(value), ["x"] * 2, True, None, {"n": value}]
    if isinstance(value, str):
        return [_LEVEL_NUMBERS.get(value, 7), 5, [value], {"name": value}, True, None]
    if isinstance(value, list):
        return [7, value[0] if value else "", ", ".join(map(str, value)), {}, None]
    if isinstance(value, dict):
        return [[value], "text", 5, None, list(value)]
    return ["null", 0, False]


@settings(max_examples=300, **SETTINGS)
@given(st.data())
def test_type_swaps_are_refused_or_mean_the_same(run, data):
    """A value replaced by one of another JSON type ("false" for false, 7 for a list, a string for an object ...)."""
    name, doc = _scenario(data)
    path, value, node = _spread(data, list(locations(doc)), "location")
    candidates = [c for c in _swaps(value) if not fits(node, c)]
    swap = _pick(data, candidates, "swap")
    result = run(dump(put(doc, path, swap)))
    assert refused(result) or same(result, run(dump(doc))), result


def _objects(doc, need_key=False):
    return [
        (p, v, n) for p, v, n in locations(doc) if isinstance(v, dict) and "properties" in n and (v or not need_key)
    ]


@settings(max_examples=200, **SETTINGS)
@given(st.data())
def test_absent_fields_written_out_mean_the_documented_default_or_are_refused(run, data):
    """Write out a field the file leaves at its default (options and bindings included): at the default the
    meaning is unchanged; in a wrong type ("false", "no", 0 for false) it is refused."""
    name, doc = _scenario(data)
    path, default, node = _spread(data, absent_fields(doc), "field")
    wrong = data.draw(st.sampled_from([True, True, True, False]), label="wrong type")  # refusals are quick
    written = _pick(data, [c for c in _swaps(default) if not fits(node, c)], "as") if wrong else default
    result = run(dump(put_deep(doc, path, written)))
    assert same(result, run(dump(doc))) or (wrong and refused(result)), (path, written, result)


@settings(max_examples=60, **SETTINGS)
@given(st.data())
def test_deleted_fields_are_refused_when_required_or_mean_their_default(run, data):
    name, doc = _scenario(data)
    path, value, node = _spread(
        data, [(p + (k,), v, n) for p, v, n in _objects(doc, need_key=True) for k in v], "field"
    )
    path, key = path[:-1], path[-1]
    result = run(dump(put(doc, path, {k: v for k, v in value.items() if k != key})))
    prop = node["properties"].get(key, {})
    if key in node.get("required", ()):
        assert refused(result, f"missing required field {key!r}"), result
    elif key == "$schema":
        assert same(result, run(dump(doc))), result
    elif "default" in prop:
        assert equivalent(result, run(dump(put(doc, path + (key,), prop["default"])))), result
    else:  # no fixed default (a machine's domain, an expectation): whatever it means, never a crash
        assert result[0] in (0, 1) or refused(result), result


@settings(max_examples=30, **SETTINGS)
@given(st.data())
def test_unknown_fields_are_refused(run, data):
    name, doc = _scenario(data)
    path, value, node = _pick(data, _objects(doc), "object")
    key = data.draw(
        st.text("abcdefghijklmnopqrstuvwxyz_$", min_size=1, max_size=12).filter(lambda k: k not in node["properties"]),
        label="key",
    )
    extra = data.draw(st.sampled_from([True, 0, "x", None, [], {}]), label="value")
    assert refused(run(dump(put(doc, path, {**value, key: extra}))), f"unknown field {key!r}")


@settings(max_examples=100, **SETTINGS)
@given(st.data())
def test_any_allowed_name_in_any_place_gives_an_answer_or_a_located_error(run, data):
    """Every level, provider, protocol ... in any place that takes one, written or added: the engine answers, or
    the file gets a located error."""
    name, doc = _scenario(data)
    spots = [(p, v, n) for p, v, n in [*locations(doc), *absent_fields(doc)] if "enum" in n]
    path, value, node = _spread(data, spots, "location")
    other = _pick(data, [v for v in node["enum"] if v != value], "value")
    result = run(dump(put_deep(doc, path, other)))
    assert result[0] in (0, 1) or refused(result), result


@settings(max_examples=30, **SETTINGS)
@given(st.data())
def test_deep_nesting_is_refused(run, data):
    name, doc = _scenario(data)
    path, _, _ = _pick(data, list(locations(doc)), "location")
    depth = data.draw(st.integers(33, 5000), label="depth")
    nested = (
        "[" * depth + "]" * depth if data.draw(st.booleans(), label="lists") else '{"a": ' * depth + "1" + "}" * depth
    )
    marker = "\u2063nested\u2063"
    text = dump(put(doc, path, marker)).replace(json.dumps(marker), nested)
    assert refused(run(text), "nested more than 32 levels deep"), run(text)


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_bytes_that_are_not_utf8_are_refused_with_their_position(run, data):
    name, doc = _scenario(data)
    text = dump(doc).encode("utf-8")
    at = data.draw(st.integers(0, len(text)), label="offset")
    bad = data.draw(
        st.sampled_from([b"\xff", b"\xfe", b"\xc0", b"\xc1", b"\xf5", b"\x80", b"\xbf", b"\xe9"]), label="byte"
    )
    result = run(text[:at] + bad + text[at:])
    assert refused(result, "not UTF-8 text"), result
    line = (text[:at]).count(b"\n") + 1
    assert REFUSED.match(result[2]).group(1) == str(line), result


@settings(max_examples=10, **SETTINGS)
@given(st.data())
def test_a_byte_order_mark_changes_nothing(run, data):
    name, doc = _scenario(data)
    text = data.draw(st.sampled_from([dump(doc), json.dumps(doc), json.dumps(doc, indent=4)]), label="layout")
    assert same(run("\ufeff" + text), run(dump(doc)))


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_duplicate_keys_are_refused_with_their_position(run, data):
    name, doc = _scenario(data)
    path, value, _ = _pick(data, _objects(doc, need_key=True), "object")
    key = _pick(data, sorted(value), "key")
    again = _pick(data, [json.dumps(value[key]), "true", '"x"'], "value")
    text = dump(doc, duplicate=(path, key, again))
    result = run(text)
    assert refused(result, f"duplicate key {key!r}"), result
    line, column = map(int, REFUSED.match(result[2]).groups()[:2])
    assert text.split("\n")[line - 1][column - 1 :].startswith(json.dumps(key)), (text, result)
