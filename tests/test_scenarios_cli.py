"""Shipped scenarios meet their expectations; explain works; bad input gets errors that teach."""

import json
import subprocess
import sys

import pytest

from rpc_impersonation import Binding, World
from rpc_impersonation.cli import main
from rpc_impersonation.errors import ImpersonationError, InvalidValueError, ScenarioError
from rpc_impersonation.scenarios import load_named, loads, names
from rpc_impersonation.seeds import SEED_STATEMENTS

REQUIRED = {
    "seed-delegation",
    "seed-ncalrpc",
    "double-hop",
    "com-machine-default",
    "delegation-limited",
    "unchecked-impersonation",
}


def test_required_named_scenarios_are_shipped():
    assert REQUIRED <= set(names())


@pytest.mark.parametrize("name", names())
def test_every_shipped_scenario_meets_its_expectations(name):
    scenario = load_named(name)
    assert scenario.expectations, name
    assert scenario.check() == {c: [] for c in scenario.expectations}
    known = {s.id for s in SEED_STATEMENTS}
    assert set(scenario.seeds) <= known


@pytest.mark.parametrize("name", names())
def test_explain_text_and_json_for_every_shipped_scenario(name, capsys):
    assert main(["explain", name]) == 0
    text = capsys.readouterr().out
    assert "outcome (decided at hop" in text and "0x7f" not in text
    assert main(["explain", name, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == name and all(c["expectations_met"] for c in doc["chains"])


def test_explain_json_is_stable():
    outs = [
        subprocess.run(
            [sys.executable, "-m", "rpc_impersonation", "explain", "seed-ncalrpc", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1]


def test_explain_reports_unmet_expectations_with_exit_1(tmp_path, capsys):
    doc = json.loads(load_named("seed-delegation").source and _text("seed-delegation"))
    doc["chains"] = [dict(doc["chains"][0], expect={"code": "ERROR_ACCESS_DENIED"})]
    f = tmp_path / "wrong.json"
    f.write_text(json.dumps(doc))
    assert main(["explain", str(f)]) == 1
    assert "NOT MET" in capsys.readouterr().out


def _text(name):
    from importlib import resources

    return (resources.files("rpc_impersonation.scenarios") / "data" / f"{name}.json").read_text()


_CHAIN = ', "chains": [{"name": "c", "client": "p", "hops": [{"server": "p"}]}]}'
_WORLD = (
    '{"name": "x", "world": {"machines": [{"name": "A"}], "processes": [{"name": "p", "on": "A", "runs_as": "SYSTEM"}]}'
)


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"name": "x", "world": {"machines": [], "processes": []}, "chains": [}', "1:70 at chains[0]: malformed JSON"),
        (
            '{"name": "x", "world": {"machines": [{"name": "A", "colour": 1}], "processes": []}' + _CHAIN,
            ":1:52 at world.machines[0].colour: unknown field 'colour' in a machine object; expected one of name, domain",
        ),
        (
            '{"name": "x", "world": {"machines": [{"name": "A"}],\n "processes": [{"name": "p", "on": "B", '
            '"runs_as": "SYSTEM"}]}' + _CHAIN,
            ":2:30 at world.processes[0].on: unknown machine 'B'; expected one of A",
        ),
        (
            '{"name": "x", "world": {"machines": [{"name": "A"}, {"name": "a"}], "processes": []}' + _CHAIN,
            "duplicate machine 'a'",
        ),
        (
            _WORLD + ', "chains": [{"name": "c", "client": "p", "hops": [{"server": "p", '
            '"binding": {"level": "impersonation"}}]}]}',
            ':1:203 at chains[0].hops[0].binding.level: "impersonation" is not a known value; expected one of default, '
            "anonymous, identify, impersonate, delegate",
        ),
        (_WORLD + ', "chains": []}', "at chains: [] is an empty list; expected a list of chain objects (at least 1)"),
        ('{"name": "x", "name": "y"}', "case.json:1:15 at name: duplicate key 'name' (first at 1:2)"),
        ("[1, 2]", "case.json:1:1 at $: [1, 2] is a list; expected a scenario object"),
    ],
)
def test_malformed_scenarios_fail_cleanly(text, message):
    with pytest.raises(ScenarioError) as info:
        loads(text, "case.json")
    assert message in str(info.value)
    assert isinstance(info.value, ImpersonationError)


def test_cli_exits_2_with_a_clear_message_on_broken_files(tmp_path, capsys):
    f = tmp_path / "broken.json"
    f.write_text('{"name": 1')
    assert main(["explain", str(f)]) == 2
    assert "broken.json:1:" in capsys.readouterr().err
    assert main(["explain", "no-such-scenario"]) == 2
    assert "unknown scenario 'no-such-scenario'; expected one of" in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "missing.json")]) == 2


def test_cli_list_and_rules(capsys):
    assert main(["list"]) == 0 and "seed-ncalrpc" in capsys.readouterr().out
    assert main(["rules", "--scope", "core"]) == 0
    out = capsys.readouterr().out
    assert "R27  The ncalrpc exception" in out and "R24" not in out


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda w: w.machine("WS1"), "duplicate machine 'WS1'"),
        (lambda w: w.process("p", on="NOPE", runs_as="alice"), "unknown machine 'NOPE'; expected one of"),
        (lambda w: w.process("p", on="WS1", runs_as="zed"), "unknown account 'zed'"),
        (lambda w: w.resource("r", on="WS1", allow={"alice": "execute"}), "unknown acl['alice'] 'execute'"),
        (lambda w: w.resource("r", on="WS1", allow={"ghost": "read"}), "unknown acl principal 'ghost'"),
        (lambda w: w.account("bob", trusted_for_delegation=True, delegate_to=["WS1"]), "conflicting delegate_to"),
        (lambda w: w.machine("X", com_default_level="default"), "machine-wide level cannot be com_default_level"),
        (lambda w: w.get_process("nobody"), "unknown process 'nobody'"),
    ],
)
def test_world_errors_name_field_value_and_allowed(build, message):
    w = World("CORP")
    w.machine("WS1")
    w.account("alice")
    with pytest.raises(ImpersonationError, match=None) as info:
        build(w)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"level": "impersonation"}, "level"),
        ({"protseq": "tcp"}, "protseq"),
        ({"provider": "ldap"}, "provider"),
        ({"mutual_auth": "yes"}, "mutual_auth"),
        ({"tracking": 2}, "tracking"),
    ],
)
def test_binding_errors(kwargs, field):
    with pytest.raises(InvalidValueError) as info:
        Binding.of(**kwargs)
    assert info.value.field == field


def test_delegate_to_must_name_known_machines():
    from rpc_impersonation import Engine

    w = World("CORP")
    w.machine("WS1")
    w.account("svc", delegate_to=["SQL9"])
    with pytest.raises(InvalidValueError, match="unknown delegate_to of CORP\\\\svc 'SQL9'"):
        Engine(w)


def test_reprs_are_deterministic():
    s = load_named("seed-delegation")
    r = s.evaluate("delegate")
    for text in (repr(s.world), repr(r), r.story(), repr(r.hops[0].call.context)):
        assert "0x" not in text
