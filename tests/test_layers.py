"""The layers of docs/architecture.md, checked on the source: imports point one way, and no module cycles.

Every top-level module or package of ``semantic_kernel_realtime`` has a row in ``LAYERS`` (a test fails for
one that has none). Imports under ``if TYPE_CHECKING:`` are not imports at run time and are skipped;
imports inside functions count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "semantic_kernel_realtime"
ROOT = "semantic_kernel_realtime"

_NETWORK = ("asyncio", "socket", "aiortc", "websockets", "aiohttp", "av")


def _ours(*names: str) -> tuple[str, ...]:
    return tuple(f"{ROOT}.{name}" for name in names)


# layer (a top-level module or package) -> module prefixes it must never import
LAYERS: dict[str, tuple[str, ...]] = {
    # the vocabulary every layer may use: the errors users catch, the receive stream's own events
    "errors": ("semantic_kernel", "pydantic", *_NETWORK, ROOT),
    "events": (*_NETWORK, ROOT),
    # one resampler for everyone (the server included): PyAV, numpy and the package's G.711 only
    "audio": ("semantic_kernel", *_ours("errors", "events", "protocol", "transports", "client", "function_calling",
                                        "telemetry", "connectors", "server", "telephony", "agents", "demo",
                                        "cli")),
    # G.711 for the server's wire formats and the telephony bridges: numpy only
    "g711": ("semantic_kernel", *_NETWORK, ROOT),
    "protocol": (*_NETWORK, *_ours("transports", "client", "connectors", "function_calling", "telemetry", "server",
                                   "telephony", "agents", "demo", "cli")),
    "transports": ("semantic_kernel", *_ours("protocol", "events", "client", "connectors", "function_calling",
                                             "telemetry", "server", "telephony", "agents", "demo", "cli")),
    "function_calling": _ours("transports", "client", "connectors", "telemetry", "server", "telephony", "agents",
                              "demo", "cli"),
    "client": _ours("connectors", "telemetry", "server", "telephony", "agents", "demo", "cli"),
    # realtime agents: above client and function calling; no wire, no transport, no connector of their own
    "agents": _ours("transports", "connectors", "telemetry", "server", "telephony", "demo", "cli"),
    # above client and function calling (as agents are): it attaches through client/hooks.py
    "telemetry": _ours("connectors", "transports", "server", "telephony", "agents", "demo", "cli"),
    "connectors": _ours("server", "telephony", "agents", "demo", "cli"),
    # phone calls: above client, function calling and connectors (SIP's sideband is an OpenAI connector)
    "telephony": _ours("transports", "server", "demo", "cli"),
    # the embedded server is a separate peer: none of the client side, not even its vocabulary
    "server": _ours("protocol", "events", "errors", "transports", "client", "function_calling", "telemetry",
                    "connectors", "telephony", "agents", "demo", "cli"),
    # the application on top: the demo and the command line may use every layer
    "demo": (),
    "cli": (),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join((ROOT, *parts[:-1])) if parts[-1] == "__init__" else ".".join((ROOT, *parts))
        found[name] = path
    return found


MODULES = _modules()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _runtime_imports(path: Path, module: str) -> list[str]:
    """Module names imported at run time (``TYPE_CHECKING`` blocks skipped; relative imports resolved)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
            if len(submodules) < len(node.names):  # names defined in ``base`` itself, not only its submodules
                names.append(base)
            names += submodules
    return names


def test_every_top_level_module_has_a_layer():
    tops = {_layer(name) for name in MODULES if _layer(name) is not None}
    assert tops <= set(LAYERS), f"no row in LAYERS for {sorted(tops - set(LAYERS))}"


def _cases():
    for module, path in MODULES.items():
        layer = _layer(module)
        if layer is not None and LAYERS.get(layer):
            yield pytest.param(module, path, LAYERS[layer], id=module.removeprefix(ROOT + "."))


@pytest.mark.parametrize("module, path, forbidden", list(_cases()))
def test_layer_imports_point_one_way(module, path, forbidden):
    bad = [name for name in _runtime_imports(path, module)
           if any(name == f or name.startswith(f + ".") for f in forbidden)]
    assert not bad, f"{module} imports {bad}"


def test_no_module_import_cycles():
    graph = {module: sorted({name for name in _runtime_imports(path, module) if name in MODULES} - {module})
             for module, path in MODULES.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found
