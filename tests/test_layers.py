"""The direction of imports between layers (docs/architecture.md), checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "semantic_kernel_realtime"

# layer -> module prefixes it must never import
FORBIDDEN = {
    "protocol": ("asyncio", "socket", "aiortc", "websockets", "aiohttp", "av", "semantic_kernel_realtime.transports",
                 "semantic_kernel_realtime.client", "semantic_kernel_realtime.connectors",
                 "semantic_kernel_realtime.function_calling", "semantic_kernel_realtime.server",
                 "semantic_kernel_realtime.telemetry"),
    "transports": ("semantic_kernel", "semantic_kernel_realtime.protocol", "semantic_kernel_realtime.client",
                   "semantic_kernel_realtime.connectors", "semantic_kernel_realtime.function_calling",
                   "semantic_kernel_realtime.server", "semantic_kernel_realtime.telemetry"),
    "server": ("semantic_kernel_realtime.protocol", "semantic_kernel_realtime.client",
               "semantic_kernel_realtime.connectors", "semantic_kernel_realtime.function_calling",
               "semantic_kernel_realtime.transports", "semantic_kernel_realtime.telemetry"),
    "function_calling": ("semantic_kernel_realtime.client", "semantic_kernel_realtime.connectors",
                         "semantic_kernel_realtime.transports", "semantic_kernel_realtime.server",
                         "semantic_kernel_realtime.telemetry"),
    "client": ("semantic_kernel_realtime.connectors", "semantic_kernel_realtime.server",
               "semantic_kernel_realtime.telemetry"),
    # above client and function_calling (as agents): it attaches through client/hooks.py; connectors attach it
    "telemetry": ("semantic_kernel_realtime.connectors", "semantic_kernel_realtime.server",
                  "semantic_kernel_realtime.transports", "semantic_kernel_realtime.demo",
                  "semantic_kernel_realtime.cli"),
}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _cases():
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield pytest.param(path, forbidden, id=str(path.relative_to(PACKAGE)))


@pytest.mark.parametrize("path, forbidden", list(_cases()))
def test_layer_imports_point_one_way(path, forbidden):
    bad = [name for name in _imports(path) if any(name == f or name.startswith(f + ".") for f in forbidden)]
    assert not bad, f"{path.name} imports {bad}"
