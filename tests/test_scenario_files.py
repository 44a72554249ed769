"""Hand-written scenario files: every mistake an author makes gets exit 2 and a message naming the file,
the line and column, the path in the document, the value and what is allowed; never a traceback and
never a silently changed meaning.

Each case below was found by trying broken files as an author would (issue 15)."""

import copy
import json
import re
from importlib import resources

import pytest

from rpc_impersonation import Options, World
from rpc_impersonation.cli import main
from rpc_impersonation.errors import ImpersonationError
from rpc_impersonation.scenarios import load_named, loads


def _doc(name="seed-delegation"):
    return json.loads((resources.files("rpc_impersonation.scenarios") / "data" / f"{name}.json").read_text())


def _explain(tmp_path, capsys, content, name="case.json", *extra):
    f = tmp_path / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    code = main(["explain", str(f), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def _refused(tmp_path, capsys, content, path, *fragments, at=None):
    """The file is refused with exit 2; the message names the file, a line:column, ``path`` and the fragments.

    ``at``: the text the line:column must point at (the bad value or key)."""
    code, _, err = _explain(tmp_path, capsys, content)
    assert code == 2, err
    m = re.match(r"error: case\.json:(\d+):(\d+) at (\S+): (.*)", err)
    assert m, err
    assert m.group(3) == path, err
    for fragment in fragments:
        assert fragment in m.group(4), err
    assert "_Located" not in err and "Traceback" not in err and "dict" not in err.replace("predict", "")
    if at is not None:
        text = (
            content.decode("utf-8", "replace")
            if isinstance(content, bytes)
            else (content if isinstance(content, str) else json.dumps(content, indent=2))
        )
        line = text.lstrip("\ufeff").split("\n")[int(m.group(1)) - 1]
        assert line[int(m.group(2)) - 1 :].startswith(at), (line, m.group(2), at)
    return m.group(4)


# --- tracebacks before -------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_name_the_line_and_column(tmp_path, capsys):
    text = json.dumps(_doc(), indent=2).encode("utf-8")
    data = text.replace(b'"Server A', b'"Server \xe9A', 1)  # Latin-1 e-acute
    code, _, err = _explain(tmp_path, capsys, data)
    assert code == 2
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    assert re.match(rf"error: case\.json:{line}:\d+: not UTF-8 text: byte 0xE9 .*save the file as UTF-8", err), err


def test_seeds_must_be_a_list(tmp_path, capsys):
    doc = dict(_doc(), seeds=7)
    msg = _refused(
        tmp_path, capsys, doc, "seeds", "7 is a number", "expected a list of names, each one of SA-1", at="7"
    )
    assert "SB-13" in msg


def test_unknown_seed_ids_are_refused(tmp_path, capsys):
    _refused(tmp_path, capsys, dict(_doc(), seeds=["SA-99"]), "seeds[0]", '"SA-99" is not a known value')


@pytest.mark.parametrize("shape", ["list", "object"])
def test_nesting_past_the_documented_limit_is_refused(tmp_path, capsys, shape):
    deep = ("[" * 5000 + "]" * 5000) if shape == "list" else ('{"a": ' * 5000 + "1" + "}" * 5000)
    text = json.dumps(_doc(), indent=2).replace('"description": "The first', f'"description": {deep}, "x": "', 1)
    msg = _refused(
        tmp_path,
        capsys,
        text,
        "description" + ".a" * 31 if shape == "object" else "description" + "[0]" * 31,
        "nested more than 32 levels deep",
    )
    assert "docs/scenarios.md" in msg


def test_a_file_past_the_size_limit_is_refused_before_parsing(tmp_path, capsys):
    doc = dict(_doc(), description="x" * 1_100_000)
    code, _, err = _explain(tmp_path, capsys, doc)
    assert code == 2 and err.startswith("error: case.json: the file is larger than 1,048,576 bytes"), err


# --- meaning silently inverted before ------------------------------------------------------------


@pytest.mark.parametrize(
    "where,key",
    [
        (("world", "accounts", 1), "sensitive"),
        (("world", "accounts", 2), "trusted_for_delegation"),
        (("world", "processes", 2), "impersonate_privilege"),
        (("world", "machines", 1), "trusted_for_delegation"),
        (("world", "processes", 4), "requires_authentication"),
        (("chains", 0, "hops", 0), "check_result"),
        (("chains", 0, "hops", 0, "binding"), "mutual_auth"),
    ],
)
@pytest.mark.parametrize("value", ["false", "true", "no", 0, 1, None])
def test_booleans_are_json_true_or_false_only(tmp_path, capsys, where, key, value):
    doc = _doc()
    node = doc
    for step in where:
        node = node[step]
    node[key] = value
    path = re.sub(r"\.(\d+)", r"[\1]", ".".join(str(s) for s in where)) + "." + key
    _refused(
        tmp_path,
        capsys,
        doc,
        path,
        f"{json.dumps(value)} is ",
        "expected true or false (JSON booleans, without quotes)",
        at=json.dumps(value),
    )


@pytest.mark.parametrize(
    "key",
    ["delegated_credentials_expired", "legacy_provider_bump", "kerberos_delegation", "local_non_lrpc_like_ncalrpc"],
)
def test_option_switches_are_booleans(tmp_path, capsys, key):
    doc = dict(_doc(), options={key: "no"})
    _refused(tmp_path, capsys, doc, f"options.{key}", '"no" is a string', "expected true or false", at='"no"')


def test_python_api_refuses_strings_for_switches_too():
    w = World("CORP")
    with pytest.raises(ImpersonationError, match="invalid sensitive 'false'; expected True or False"):
        w.account("carol", sensitive="false")
    w.machine("M")
    with pytest.raises(ImpersonationError, match="invalid impersonate_privilege 'false'"):
        w.process("p", on="M", runs_as="SYSTEM", impersonate_privilege="false")
    with pytest.raises(ImpersonationError, match="invalid legacy_provider_bump 'no'"):
        Options(legacy_provider_bump="no")
    with pytest.raises(ImpersonationError, match="complus_default_level"):
        w.process("q", on="M", runs_as="SYSTEM", complus_default_level="default")


# --- not validated before -------------------------------------------------------------------------


def test_expect_rules_must_be_a_list(tmp_path, capsys):
    doc = _doc()
    doc["chains"][2]["expect"]["rules"] = "R19"
    _refused(
        tmp_path, capsys, doc, "chains[2].expect.rules", '"R19" is a string', "expected a list of names", at='"R19"'
    )


def test_expect_rules_must_be_known_rule_ids(tmp_path, capsys):
    doc = _doc()
    doc["chains"][2]["expect"]["rules"] = ["R19", "R99"]
    _refused(tmp_path, capsys, doc, "chains[2].expect.rules[1]", '"R99" is not a known value', "R27")


@pytest.mark.parametrize(
    "value,problem",
    [
        ("two", '"two" is a string'),
        ("2", '"2" is a string'),
        (0, "0 is below 1"),
        (1.5, "1.5 is not a whole number"),
        (True, "true is a boolean"),
    ],
)
def test_deciding_hop_is_a_whole_number(tmp_path, capsys, value, problem):
    doc = _doc()
    doc["chains"][1]["expect"]["deciding_hop"] = value
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[1].expect.deciding_hop",
        problem,
        "expected a whole number, 1 or more",
        at=json.dumps(value),
    )


def test_deciding_hop_past_the_last_hop_is_refused(tmp_path, capsys):
    doc = _doc()
    doc["chains"][1]["expect"]["deciding_hop"] = 3
    _refused(tmp_path, capsys, doc, "chains[1].expect.deciding_hop", "past the end: the chain has 2 hop(s)")


def test_acting_as_identities_are_names(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["expect"]["acting_as"]["server_b"] = 5
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].expect.acting_as.server_b",
        "5 is a number",
        "expected a name (a string), or null (the server is never reached)",
        at="5",
    )


def test_acting_as_names_a_server_of_the_chain(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["expect"]["acting_as"]["server_c"] = "CORP\\alice"
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].expect.acting_as.server_c",
        "acting_as names 'server_c', which is not a server of this chain; expected one of server_a, server_b",
        at='"server_c"',
    )


def test_names_are_strings(tmp_path, capsys):
    _refused(tmp_path, capsys, dict(_doc(), name=5), "name", "5 is a number", "expected a name (a string)", at="5")
    doc = _doc()
    doc["world"]["machines"][0]["name"] = "  "
    _refused(tmp_path, capsys, doc, "world.machines[0].name", '"  " is an empty name')


def test_a_numeric_level_names_its_constant_and_asks_for_the_name(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["hops"][0]["binding"]["level"] = 3
    msg = _refused(tmp_path, capsys, doc, "chains[0].hops[0].binding.level", at="3")
    assert msg == (
        "3 is a number: the RPC constant RPC_C_IMP_LEVEL_IMPERSONATE (ImpLevel.IMPERSONATE); write its "
        'name, "impersonate" (token levels are numbered differently, R1); expected one of default, '
        "anonymous, identify, impersonate, delegate"
    )


def test_other_numeric_constants_are_named_too(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["hops"][0]["binding"]["authn_level"] = 6
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].hops[0].binding.authn_level",
        'RPC_C_AUTHN_LEVEL_PKT_PRIVACY (AuthnLevel.PKT_PRIVACY); write its name, "pkt_privacy"',
    )
    doc["chains"][0]["hops"][0]["binding"] = {"provider": 16}
    _refused(tmp_path, capsys, doc, "chains[0].hops[0].binding.provider", "RPC_C_AUTHN_GSS_KERBEROS")


def test_names_in_another_case_get_the_right_spelling(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["hops"][0]["binding"]["level"] = "Delegate"
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].hops[0].binding.level",
        'names are lower case, with underscores; write "delegate"',
    )


# --- internal messages without file or field before ------------------------------------------------


def test_complus_default_level_cannot_be_default(tmp_path, capsys):
    doc = _doc()
    doc["world"]["processes"][2]["complus_default_level"] = "default"
    _refused(
        tmp_path,
        capsys,
        doc,
        "world.processes[2].complus_default_level",
        '"default" is not a known value',
        "expected one of anonymous, identify, impersonate, delegate",
        at='"default"',
    )


def test_ncalrpc_across_machines_is_refused_where_it_is_written(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["hops"][1]["binding"]["protseq"] = "ncalrpc"
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].hops[1].binding.protseq",
        "ncalrpc reaches only a server on the caller's own machine: server_a runs on SRVA and server_b on SRVB; "
        "use ncacn_ip_tcp or ncacn_np",
        at='"ncalrpc"',
    )


@pytest.mark.parametrize(
    "text,path,fragments,at",
    [
        ("[1, 2]", "$", ["[1, 2] is a list; expected a scenario object"], "[1, 2]"),
        ('"scenario"', "$", ['"scenario" is a string; expected a scenario object'], '"scenario"'),
        ('{"name": "a",\n "name": "b"}', "name", ["duplicate key 'name' (first at 1:2)"], '"name": "b"'),
    ],
)
def test_document_shape_errors_have_a_position(tmp_path, capsys, text, path, fragments, at):
    _refused(tmp_path, capsys, text, path, *fragments, at=at)


def test_duplicate_keys_deep_in_the_document(tmp_path, capsys):
    text = json.dumps(_doc(), indent=2).replace('"mutual_auth": true', '"mutual_auth": true, "mutual_auth": false', 1)
    _refused(
        tmp_path,
        capsys,
        text,
        "chains[0].hops[0].binding.mutual_auth",
        "duplicate key 'mutual_auth' (first at",
        at='"mutual_auth": false',
    )


def test_a_binding_must_be_an_object(tmp_path, capsys):
    doc = _doc()
    doc["chains"][0]["hops"][0]["binding"] = "kerberos"
    _refused(
        tmp_path,
        capsys,
        doc,
        "chains[0].hops[0].binding",
        '"kerberos" is a string; expected a binding object',
        at='"kerberos"',
    )


def test_unknown_fields_suggest_the_near_one(tmp_path, capsys):
    doc = _doc()
    doc["world"]["accounts"][1]["senstive"] = True
    _refused(
        tmp_path,
        capsys,
        doc,
        "world.accounts[1].senstive",
        "unknown field 'senstive' in an account object (did you mean 'sensitive'?)",
        at='"senstive"',
    )


def test_engine_errors_during_explain_name_the_file(tmp_path, capsys):
    code, _, err = _explain(tmp_path, capsys, _doc(), "case.json", "--chain", "nope")
    assert code == 2 and err.startswith("error: case.json at chains: unknown chain 'nope'; expected one of delegate")


# --- accepted ---------------------------------------------------------------------------------------


def test_a_byte_order_mark_is_accepted(tmp_path, capsys):
    text = json.dumps(_doc(), indent=2)
    plain = _explain(tmp_path, capsys, text, "plain.json", "--json")
    with_bom = _explain(tmp_path, capsys, "\ufeff" + text, "bom.json", "--json")
    assert plain[0] == with_bom[0] == 0 and plain[1] == with_bom[1]


def test_schema_reference_is_accepted_and_ignored(tmp_path, capsys):
    doc = _doc()
    doc.pop("$schema", None)
    without = _explain(tmp_path, capsys, doc, "a.json", "--json")
    doc["$schema"] = "https://example.org/whatever.json"
    assert _explain(tmp_path, capsys, doc, "b.json", "--json")[:2] == without[:2]
    doc["$schema"] = 3
    _refused(tmp_path, capsys, doc, "$schema", "3 is not a string")


def test_rights_may_be_a_list_with_the_same_meaning():
    a, b = _doc(), _doc()
    b["world"]["resources"][0]["allow"] = {"alice": ["read"], "carol": ["read"]}
    results = [[r.to_dict() for r in loads(json.dumps(d), "x.json").evaluate_all()] for d in (a, b)]
    assert results[0] == results[1]


def test_every_shipped_scenario_names_the_schema():
    for name in ("seed-delegation", "double-hop", "com-cloaking"):
        assert _doc(name)["$schema"] == "../../../../docs/scenario.schema.json"
        load_named(name)


def test_loads_accepts_bytes_and_reports_bad_ones():
    text = json.dumps(_doc())
    assert loads(text.encode(), "x.json").name == "seed-delegation"
    with pytest.raises(ImpersonationError, match=r"x\.json:1:\d+: not UTF-8"):
        loads(text.encode()[:50] + b"\xff" + text.encode()[50:], "x.json")


def test_originals_unchanged_by_the_checks():
    doc = _doc()
    before = copy.deepcopy(doc)
    loads(json.dumps(doc), "x.json")
    assert doc == before
