"""Kernel functions -> GA function tool definitions.

Rules: a tool's ``name`` is the kernel function's fully qualified name ``plugin-function`` (the
decoder splits it back); ``parameters`` is a JSON schema object with the parameters that are offered
to the model and the ``required`` list. The realtime API's tool shape is flat (no ``function`` key).
Kernel functions own the ``function`` tools; every other tool the settings hold (``{"type": "mcp", ...}``)
is kept beside them when function choice fills the tools in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from semantic_kernel.functions.kernel_function_metadata import KernelFunctionMetadata


def function_tool(metadata: KernelFunctionMetadata) -> dict[str, Any]:
    """One GA ``{"type": "function", ...}`` tool for a kernel function."""
    offered = [p for p in metadata.parameters if p.include_in_function_choices]
    return {
        "type": "function",
        "name": metadata.fully_qualified_name,
        "description": metadata.description or "",
        "parameters": {
            "type": "object",
            "properties": {p.name: p.schema_data or {"type": "string"} for p in offered},
            "required": [p.name for p in offered if p.is_required],
        },
    }


def function_tools(functions: list[KernelFunctionMetadata]) -> list[dict[str, Any]]:
    """Tools for every function, in order."""
    return [function_tool(f) for f in functions]


def update_settings_from_function_choice(configuration: Any, settings: Any, choice_type: Any) -> None:
    """Callback for SK's ``prepare_settings_for_function_calling``: set ``tools`` and ``tool_choice``.

    Tools that are not functions (MCP servers) stay, after the kernel's functions. With neither, the tools
    are cleared, so a session update removes stale tools.
    """
    functions = configuration.available_functions or []
    kept = [dict(tool) for tool in settings.tools or () if isinstance(tool, Mapping) and tool.get("type") != "function"]
    settings.tools = [*function_tools(functions), *kept]
    if functions:
        settings.tool_choice = getattr(choice_type, "value", choice_type) or "auto"
    elif not kept:
        settings.tool_choice = None
