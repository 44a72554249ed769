"""Walk a scenario document alongside the published JSON Schema (docs/scenario.schema.json).

Used by the schema and mutation tests. It reads the committed schema file, not the package, so
the mutation test can also be run against an older loader to show what it finds there.
"""

import copy
import json
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "scenario.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
DATA = resources.files("rpc_impersonation.scenarios") / "data"
SHIPPED = sorted(p.name[:-5] for p in DATA.iterdir() if p.name.endswith(".json"))


def shipped(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def resolve(node):
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def fits(node, value):
    """Whether ``value`` has the JSON type (or is one of the names) that ``node`` allows."""
    node = resolve(node)
    if "enum" in node:
        return value in node["enum"]
    if "anyOf" in node:
        return any(fits(b, value) for b in node["anyOf"])
    want = node.get("type")
    got = _json_type(value)
    return want is None or want == got or (want == "number" and got == "integer")


def branch(node, value):
    """The schema that applies to ``value`` (for anyOf, the branch its type fits)."""
    node = resolve(node)
    for b in node.get("anyOf", ()):
        if fits(b, value):
            return resolve(b)
    return node


def children(value, node):
    """(step, child value, child schema) for the values inside ``value``."""
    if isinstance(value, dict) and "properties" in node:
        return [(k, v, node["properties"][k]) for k, v in value.items() if k in node["properties"] and k != "$schema"]
    if isinstance(value, dict) and isinstance(node.get("additionalProperties"), dict):
        return [(k, v, node["additionalProperties"]) for k, v in value.items()]
    if isinstance(value, list) and "items" in node:
        return [(i, v, node["items"]) for i, v in enumerate(value)]
    return []


def locations(doc, node=None, path=()):
    """Every value of the document with its path and the schema of its place (all it may hold), root first."""
    node = resolve(node or {"$ref": SCHEMA["$ref"]})
    yield path, doc, node
    for step, child, child_node in children(doc, branch(node, doc)):
        yield from locations(child, child_node, path + (step,))


def get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def put(doc, path, value):
    """A copy of ``doc`` with the value at ``path`` replaced (the root when ``path`` is empty)."""
    if not path:
        return value
    doc = copy.deepcopy(doc)
    get(doc, path[:-1])[path[-1]] = value
    return doc


def exists(doc, path):
    for step in path:
        if not isinstance(doc, (dict, list)) or (isinstance(doc, dict) and step not in doc):
            return False
        doc = doc[step]
    return True


def put_deep(doc, path, value):
    """A copy of ``doc`` with ``value`` at ``path``, creating the objects on the way that are absent."""
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        if isinstance(node, dict) and step not in node:
            node[step] = {}
        node = node[step]
    node[path[-1]] = value
    return doc


def absent_fields(doc):
    """(path, default, schema) of every field the document leaves at its default, nested ones included."""
    return [
        (p, v, n) for p, v, n in locations(with_defaults(doc)) if p and isinstance(p[-1], str) and not exists(doc, p)
    ]


def with_defaults(doc):
    """A copy of ``doc`` with every absent field that has a schema default written out explicitly."""

    def fill(value, node):
        node = branch(node, value)
        if isinstance(value, dict) and "properties" in node:
            for key, prop in node["properties"].items():
                if key not in value and "default" in prop:
                    value[key] = copy.deepcopy(prop["default"])
        for _, child, child_node in children(value, node):
            fill(child, child_node)
        return value

    return fill(copy.deepcopy(doc), {"$ref": SCHEMA["$ref"]})


def dump(value, duplicate=None):
    """JSON text; ``duplicate=(path, key, text)`` writes ``key`` a second time in the object at ``path``."""

    def out(v, path):
        if isinstance(v, dict):
            parts = [f"{json.dumps(k)}: {out(x, path + (k,))}" for k, x in v.items()]
            if duplicate is not None and duplicate[0] == path:
                parts.append(f"{json.dumps(duplicate[1])}: {duplicate[2]}")
            return "{\n" + ",\n".join(parts) + "\n}"
        if isinstance(v, list):
            return "[" + ", ".join(out(x, path + (i,)) for i, x in enumerate(v)) + "]"
        return json.dumps(v)

    return out(value, ())
