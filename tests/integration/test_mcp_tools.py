"""MCP tools reach the session next to the kernel's functions with auto function calling on (embedded server)."""

from __future__ import annotations

import asyncio

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from tests.integration.plugins import WeatherPlugin

MCP = {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp",
       "allowed_tools": ["search"], "require_approval": "never"}


async def test_mcp_tools_appear_in_the_session_next_to_kernel_functions():
    kernel = Kernel()
    kernel.add_plugin(WeatherPlugin(), "weather")
    settings = RealtimeExecutionSettings(tools=[MCP], function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=settings, kernel=kernel):

            async def updated():
                async for event in client.receive():
                    if event.service_type == "session.updated":
                        return event.service_event["session"]

            session = await asyncio.wait_for(updated(), 5)
    kinds = [(tool["type"], tool.get("name") or tool.get("server_label")) for tool in session["tools"]]
    assert ("mcp", "docs") in kinds
    assert any(kind == "function" and name.startswith("weather-") for kind, name in kinds)
    assert next(t for t in session["tools"] if t["type"] == "mcp") == MCP
