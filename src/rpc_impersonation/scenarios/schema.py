"""The JSON Schema (draft 2020-12) of scenario files, generated from the loader's declarations.

The published copy is docs/scenario.schema.json; ``python -m rpc_impersonation schema`` prints
it, and a test checks that the copy is current. Editors such as VS Code use it to complete and
check fields while an author types.

>>> s = scenario_schema()
>>> s["$defs"]["account"]["properties"]["sensitive"]
{'type': 'boolean', 'description': 'Account is sensitive and cannot be delegated (R25).', 'default': False}
"""

from __future__ import annotations

import json
from typing import Any

from .fields import OBJECTS, SCENARIO
from .jsontext import MAX_DEPTH
from .kinds import NO_DEFAULT, ObjectSpec

__all__ = ["scenario_schema", "schema_text"]


def _object(spec: ObjectSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {
        key: {"type": "string", "description": "The JSON Schema this file follows; ignored by the loader."}
        for key in spec.extra
    }
    for f in spec.fields:
        prop = dict(f.kind.schema())
        prop["description"] = f.doc
        if f.default is not NO_DEFAULT:
            prop["default"] = f.default
        properties[f.name] = prop
    out: dict[str, Any] = {
        "type": "object",
        "description": spec.doc,
        "properties": properties,
        "additionalProperties": False,
    }
    required = [f.name for f in spec.fields if f.required]
    if required:
        out["required"] = required
    return out


def scenario_schema() -> dict[str, Any]:
    """The schema as a dictionary; every object of the format is one entry of ``$defs``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "rpc_impersonation scenario",
        "description": "A scenario file for python -m rpc_impersonation explain (docs/scenarios.md). Generated from "
        "rpc_impersonation.scenarios.fields; do not edit by hand. The loader also refuses duplicate "
        f"keys and nesting deeper than {MAX_DEPTH} levels, and checks names against the world.",
        "$ref": f"#/$defs/{SCENARIO.name}",
        "$defs": {spec.name: _object(spec) for spec in OBJECTS},
    }


def schema_text() -> str:
    """The schema as the text of docs/scenario.schema.json (stable: same declarations, same bytes)."""
    return json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"
