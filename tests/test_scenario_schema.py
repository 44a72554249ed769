"""docs/scenario.schema.json: generated from the loader's declarations, current, and in agreement with the loader."""

import json

import jsonschema
import pytest

from rpc_impersonation.cli import main
from rpc_impersonation.errors import ScenarioError
from rpc_impersonation.scenarios import loads
from rpc_impersonation.scenarios.fields import OBJECTS
from rpc_impersonation.scenarios.schema import schema_text
from scenario_walk import SCHEMA, SCHEMA_FILE, SHIPPED, put, shipped, with_defaults

VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_committed_schema_is_the_generated_one(capsys):
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/scenario.schema.json is stale: run python -m rpc_impersonation schema > docs/scenario.schema.json"
    )
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()


def test_schema_is_valid_draft_2020_12_and_covers_every_declared_object():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for spec in OBJECTS:
        node = SCHEMA["$defs"][spec.name]
        assert node["additionalProperties"] is False
        assert set(node["properties"]) == set(spec.names) | set(spec.extra)
        assert all(node["properties"][f.name]["description"] for f in spec.fields)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_validates_and_names_the_schema(name):
    doc = shipped(name)
    assert list(VALIDATOR.iter_errors(doc)) == []
    assert doc["$schema"] == "../../../../docs/scenario.schema.json"


@pytest.mark.parametrize("name", SHIPPED)
def test_schema_defaults_are_the_loaders_defaults(name):
    """Writing every absent field out with the schema's default changes nothing the engine decides."""
    doc = shipped(name)
    full = with_defaults(doc)
    assert full != doc
    assert list(VALIDATOR.iter_errors(full)) == []
    results = [[r.to_dict() for r in loads(json.dumps(d), "x.json").evaluate_all()] for d in (doc, full)]
    assert results[0] == results[1]


B = ("chains", 0, "hops", 0, "binding")
INVALID = {
    "seeds is a number": (("seeds",), 7),
    "unknown seed": (("seeds",), ["SA-0"]),
    "sensitive as a string": (("world", "accounts", 1, "sensitive"), "false"),
    "trusted as a string": (("world", "accounts", 2, "trusted_for_delegation"), "false"),
    "privilege as a string": (("world", "processes", 2, "impersonate_privilege"), "false"),
    "expired as a string": (("options",), {"delegated_credentials_expired": "no"}),
    "bump as a string": (("options",), {"legacy_provider_bump": "no"}),
    "rules as a string": (("chains", 2, "expect", "rules"), "R19"),
    "unknown rule": (("chains", 2, "expect", "rules"), ["R0"]),
    "deciding hop as a word": (("chains", 1, "expect", "deciding_hop"), "two"),
    "deciding hop zero": (("chains", 1, "expect", "deciding_hop"), 0),
    "acting_as a number": (("chains", 0, "expect", "acting_as", "server_b"), 5),
    "name a number": (("name",), 5),
    "name blank": (("name",), " "),
    "level a number": (B + ("level",), 3),
    "level capitalised": (B + ("level",), "Delegate"),
    "binding a string": (B, "kerberos"),
    "binding a list": (B, []),
    "complus default": (("world", "processes", 2, "complus_default_level"), "default"),
    "machine default level": (("world", "machines", 0, "com_default_level"), "default"),
    "top-level array": ((), [1, 2]),
    "unknown field": (B + ("colour",), 1),
    "unknown option": (("options",), {"second_hope": "client_error"}),
    "second hop value": (("options",), {"second_hop": "anonymous"}),
    "no chains": (("chains",), []),
    "no hops": (("chains", 0, "hops"), []),
    "rights unknown": (("world", "resources", 0, "allow", "alice"), "execute"),
    "rights empty list": (("world", "resources", 0, "allow", "alice"), []),
    "access right": (("chains", 0, "hops", 1, "access", 0, "right"), "read,write"),
    "groups not a list": (("world", "groups"), "admins"),
    "delegate_to a string": (("world", "accounts", 2, "delegate_to"), "SRVB"),
    "domain a number": (("world", "domain"), 1),
    "schema not a string": (("$schema",), 1),
    "blank principal": (("world", "resources", 0, "allow"), {" ": "read"}),
    "float hop": (("chains", 1, "expect", "deciding_hop"), 1.5),
    "nested $schema": (B + ("$schema",), "x"),
}


def _without(doc, path):
    doc = json.loads(json.dumps(doc))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return doc


MISSING = {
    "no name": ("name",),
    "no world": ("world",),
    "no machines": ("world", "machines"),
    "process without runs_as": ("world", "processes", 0, "runs_as"),
    "hop without server": ("chains", 0, "hops", 0, "server"),
    "access without resource": ("chains", 0, "hops", 1, "access", 0, "resource"),
}


@pytest.mark.parametrize("case", list(INVALID) + list(MISSING))
def test_schema_and_loader_both_refuse(case):
    base = shipped("seed-delegation")
    doc = put(base, *INVALID[case]) if case in INVALID else _without(base, MISSING[case])
    assert list(VALIDATOR.iter_errors(doc)), f"the schema accepts {case}"
    with pytest.raises(ScenarioError):
        loads(json.dumps(doc), "x.json")


VALID = {
    "no $schema": lambda d: {k: v for k, v in d.items() if k != "$schema"},
    "rights as a list": lambda d: put(d, ("world", "resources", 0, "allow", "alice"), ["read"]),
    "read and write": lambda d: put(d, ("world", "resources", 0, "allow", "alice"), "read,write"),
    "acting_as null": lambda d: put(d, ("chains", 2, "expect", "acting_as"), {"server_b": None}),
    "workgroup machine": lambda d: put(d, ("world", "machines", 0, "domain"), None),
    "every option": lambda d: put(
        d,
        ("options",),
        {
            "legacy_provider_bump": True,
            "local_non_lrpc_like_ncalrpc": True,
            "second_hop": "client_error",
            "kerberos_delegation": False,
            "delegated_credentials_expired": False,
        },
    ),
    "every binding field": lambda d: put(
        d,
        B,
        {
            "protseq": "ncacn_np",
            "provider": "kerberos",
            "authn_level": "pkt_integrity",
            "level": "delegate",
            "mutual_auth": True,
            "ignore_delegation_failure": False,
            "tracking": "dynamic",
            "api": "rpc",
            "spn": "correct",
            "target_name": "name",
            "cloaking": "default",
            "auth_identity": None,
        },
    ),
}


@pytest.mark.parametrize("case", VALID)
def test_schema_and_loader_both_accept(case):
    doc = VALID[case](shipped("seed-delegation"))
    assert list(VALIDATOR.iter_errors(doc)) == []
    loads(json.dumps(doc), "x.json").evaluate_all()


def test_the_documented_example_is_valid_for_schema_and_loader():
    text = (SCHEMA_FILE.parent / "scenarios.md").read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    doc = json.loads(example)
    assert list(VALIDATOR.iter_errors(doc)) == []
    scenario = loads(example, "scenarios.md")
    assert scenario.check() == {"delegated": []}
