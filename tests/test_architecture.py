"""Guardrails for maintainers: no import cycles among the package's modules, no god modules, no long functions.

Static checks over the source (ast), so they hold for every import, including those made only for type
hints or inside functions. See docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "rpc_impersonation"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    """Dotted module name (relative to the package, '' for its __init__) -> file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """The package-relative dotted name a relative import refers to (None: outside the package)."""
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if level - 1 > len(base):
        return None
    base = base[: len(base) - (level - 1)]
    return ".".join(base + (target.split(".") if target else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative or absolute, anywhere in the file)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            found: list[str | None] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = _resolve(name, is_package, node.level, node.module)
                elif node.module and node.module.split(".")[0] == "rpc_impersonation":
                    base = ".".join(node.module.split(".")[1:])
                else:
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}" if base else alias.name
                    found.append(sub if sub in modules else base)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "rpc_impersonation":
                        found.append(".".join(alias.name.split(".")[1:]))
            graph[name].update(t for t in found if t is not None and t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_the_graph_sees_imports():
    graph = import_graph()
    assert {"binding", "call", "decisions", "tables", "thread"} <= graph["engine"] | graph["call"]
    assert "com" in graph[""] and "kerberos" in graph[""]  # the package's __init__ attaches the plug-ins


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_core_imports_no_plug_in():
    graph = import_graph()
    core = {
        "engine",
        "call",
        "thread",
        "tables",
        "rules",
        "decisions",
        "reason",
        "tokens",
        "world",
        "binding",
        "constants",
        "options",
        "plugins",
        "errors",
        # split out of the modules above (issue 16)
        "facts",
        "catalogue",
        "effects",
        "thread_tables",
        "handles",
        "world_objects",
    }
    for name in core:
        assert not graph[name] & {"com", "kerberos"}, f"{name} imports a plug-in"


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_rel)
def test_module_size(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_rel(path)} has {lines} lines (limit {MAX_MODULE_LINES}): split it"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_rel)
def test_function_size(path):
    too_long = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            key = f"{_rel(path)}:{node.name}"
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                too_long.append(f"{key} has {lines} lines (limit {MAX_FUNCTION_LINES}): split it into named steps")
    assert not too_long


def test_plug_ins_attach_through_the_registry_once():
    from rpc_impersonation import com, kerberos
    from rpc_impersonation.constants import ApiFamily
    from rpc_impersonation.plugins import REGISTRY

    before = (
        len(REGISTRY.end_of_call),
        len(REGISTRY.on_revert),
        len(REGISTRY.credential_sources),
        len(REGISTRY.delegation_trust),
        len(REGISTRY.network_session),
    )
    com.register()  # registering again (as a second import would) adds nothing
    kerberos.register()
    after = (
        len(REGISTRY.end_of_call),
        len(REGISTRY.on_revert),
        len(REGISTRY.credential_sources),
        len(REGISTRY.delegation_trust),
        len(REGISTRY.network_session),
    )
    assert before == after == (1, 1, 1, 1, 1)
    assert {ApiFamily.COM, ApiFamily.COMPLUS} <= set(REGISTRY.call_handlers)
    assert {"co_impersonate_client", "co_revert_to_self"} <= set(REGISTRY.thread_operations)
    assert "co_initialize_security" in REGISTRY.engine_operations


def test_an_unknown_thread_attribute_is_a_plain_attribute_error():
    from rpc_impersonation import Engine, load_named

    thread = Engine(load_named("seed-delegation").world).thread("client")
    assert thread.com_depth == 0  # state a plug-in registered
    with pytest.raises(AttributeError, match="no attribute 'co_nothing'"):
        thread.co_nothing  # noqa: B018
