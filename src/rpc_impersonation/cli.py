"""Command line: ``python -m rpc_impersonation explain FILE_OR_NAME [--chain NAME] [--json]``.

Exit status: 0 when every chain met its expectations, 1 when an expectation failed, 2 on bad input
(with a message naming the file). ``schema`` prints the JSON Schema of scenario files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import ImpersonationError, ScenarioError
from .rules import RULES
from .scenarios import Scenario, load, load_named, names
from .scenarios.schema import schema_text

__all__ = ["main"]


def _scenario(ref: str) -> Scenario:
    path = Path(ref)
    if path.suffix == ".json" or path.exists():
        return load(path)
    return load_named(ref)


def _in_file(scenario: Scenario, path: str, step, *args):
    """``step(*args)``, with an engine error reported against the scenario's file."""
    try:
        return step(*args)
    except ScenarioError:
        raise
    except ImpersonationError as exc:
        raise ScenarioError(str(exc), source=scenario.source, path=path) from None


def _explain(args: argparse.Namespace) -> int:
    scenario = _scenario(args.scenario)
    if args.chain:
        chains = [_in_file(scenario, "chains", scenario.chain, args.chain)]
    else:
        chains = list(scenario.chains)
    failed = 0
    documents = []
    for i, chain in enumerate(chains):
        index = scenario.chains.index(chain)
        result = _in_file(scenario, f"chains[{index}]", scenario.evaluate, chain.name)
        expect = scenario.expectations.get(chain.name)
        problems = expect.check(result) if expect else []
        failed += bool(problems)
        if args.json:
            documents.append(
                {
                    **result.to_dict(),
                    "expectations_met": None if expect is None else not problems,
                    "unmet_expectations": problems,
                }
            )
            continue
        if i == 0:
            print(f"Scenario {scenario.name}: {scenario.title}")
        print()
        print(result.story())
        if expect is not None:
            print("expectations: " + ("met" if not problems else "NOT MET: " + "; ".join(problems)))
    if args.json:
        doc = {"scenario": scenario.name, "title": scenario.title, "chains": documents}
        print(json.dumps(doc, indent=2, sort_keys=True))
    return 1 if failed else 0


def _list(_: argparse.Namespace) -> int:
    for name in names():
        s = load_named(name)
        print(f"{name:26} {s.title}")
        for c in s.chains:
            print(f"    {c.name:28} {c.path}")
    return 0


def _schema(_: argparse.Namespace) -> int:
    print(schema_text(), end="")
    return 0


def _rules(args: argparse.Namespace) -> int:
    for r in RULES.values():
        if args.scope and r.scope != args.scope:
            continue
        print(f"{r.id:4} {r.title} [{r.scope}]\n     {r.summary}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rpc_impersonation", description="Explain RPC/COM impersonation scenarios hop by hop."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("explain", help="evaluate a scenario file (or a shipped scenario's name) and explain it")
    p.add_argument("scenario", help="a scenario .json file, or the name of a shipped scenario (see 'list')")
    p.add_argument("--chain", help="only this chain of the scenario")
    p.add_argument("--json", action="store_true", help="print a stable machine-readable form")
    p.set_defaults(run=_explain)
    p = sub.add_parser("list", help="list the shipped scenarios and their chains")
    p.set_defaults(run=_list)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files (docs/scenario.schema.json)")
    p.set_defaults(run=_schema)
    p = sub.add_parser("rules", help="print the rule catalogue")
    p.add_argument("--scope", choices=["core", "beyond-seeds"])
    p.set_defaults(run=_rules)
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()
        return int(code)
    except ImpersonationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``explain --json | head``): stop quietly, and keep exit quiet too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
