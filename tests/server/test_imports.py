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
