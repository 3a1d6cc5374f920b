"""The server is a separate peer: no module of it imports our client side or our codec."""

import ast
from pathlib import Path

import semantic_kernel_realtime.server as server_package

FORBIDDEN = tuple(
    f"semantic_kernel_realtime.{name}" for name in ("protocol", "client", "connectors", "transports",
                                                   "function_calling")
)


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_server_never_imports_the_client_side():
    root = Path(server_package.__file__).parent
    offenders = {
        str(path.relative_to(root)): sorted(m for m in imported_modules(path) if m.startswith(FORBIDDEN))
        for path in root.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# --- no import cycles inside the server ---------------------------------------------------------------

PACKAGE = "semantic_kernel_realtime.server"


def server_modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the server package (``__init__`` as the package's name)."""
    root = Path(server_package.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((PACKAGE, *parts))] = path
    return modules


def import_edges(name: str, path: Path, known: set[str]) -> set[str]:
    """The server modules ``name`` imports anywhere in its source: top level, inside functions, and under
    ``TYPE_CHECKING`` alike. ``from pkg import sub`` names the submodule ``sub`` when it is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        edges |= {target for target in targets if target in known and target != name}
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def server_import_graph() -> dict[str, set[str]]:
    modules = server_modules()
    return {name: import_edges(name, path, set(modules)) for name, path in modules.items()}


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_walker_sees_every_kind_of_import():
    graph = server_import_graph()
    assert f"{PACKAGE}.websocket" in graph[f"{PACKAGE}.app"]  # from package import submodule
    assert f"{PACKAGE}.engine" in graph[f"{PACKAGE}.app"]  # from module import name
    assert f"{PACKAGE}.speech.defaults" in graph[f"{PACKAGE}.app"]  # function-local import
    assert f"{PACKAGE}.app" in graph[PACKAGE]  # the package's own re-exports


def test_no_import_cycles_inside_the_server():
    assert find_cycle(server_import_graph()) is None


def test_no_endpoint_imports_the_app():
    graph = server_import_graph()
    importers = sorted(name for name, edges in graph.items() if f"{PACKAGE}.app" in edges)
    assert importers == [PACKAGE, f"{PACKAGE}.cli"]
