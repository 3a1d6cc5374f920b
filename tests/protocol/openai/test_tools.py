"""Kernel functions -> GA function tools, and SK's function-choice preparation feeding them."""

from __future__ import annotations

from typing import Annotated

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_calling_utils import prepare_settings_for_function_calling
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime.protocol import (
    RealtimeExecutionSettings,
    function_tools,
    session_update_event,
    update_settings_from_function_choice,
)
from tests.openai_schema import validate_client_event


class WeatherPlugin:
    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "City and region"], unit: str = "celsius") -> str:
        return f"Sunny in {location}"

    @kernel_function(description="Get the local time.")
    def get_time(self) -> str:
        return "12:00"


def _kernel() -> Kernel:
    kernel = Kernel()
    kernel.add_plugin(WeatherPlugin(), "weather")
    return kernel


def test_tools_have_plugin_dash_function_names_and_json_schema():
    metadata = _kernel().get_full_list_of_function_metadata()
    tools = {t["name"]: t for t in function_tools(metadata)}
    assert set(tools) == {"weather-get_weather", "weather-get_time"}
    weather = tools["weather-get_weather"]
    assert weather["type"] == "function"
    assert weather["description"] == "Get the current weather for a location."
    assert weather["parameters"]["type"] == "object"
    assert weather["parameters"]["properties"]["location"]["type"] == "string"
    assert weather["parameters"]["required"] == ["location"]
    assert tools["weather-get_time"]["parameters"] == {"type": "object", "properties": {}, "required": []}


def test_function_choice_behavior_fills_tools_and_filters_them():
    settings = RealtimeExecutionSettings(
        function_choice_behavior=FunctionChoiceBehavior.Auto(filters={"included_functions": ["weather-get_time"]})
    )
    prepared = prepare_settings_for_function_calling(
        settings, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=_kernel()
    )
    assert [t["name"] for t in prepared.tools] == ["weather-get_time"]
    assert prepared.tool_choice == "auto"
    validate_client_event(session_update_event(prepared))


def test_required_choice_maps_to_required_tool_choice():
    settings = RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Required())
    prepared = prepare_settings_for_function_calling(
        settings, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=_kernel()
    )
    assert prepared.tool_choice == "required"
    validate_client_event(session_update_event(prepared))


MCP = {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp", "require_approval": "never"}


def test_mcp_tools_stay_beside_kernel_functions():
    settings = RealtimeExecutionSettings(tools=[MCP], function_choice_behavior=FunctionChoiceBehavior.Auto())
    prepared = prepare_settings_for_function_calling(
        settings, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=_kernel()
    )
    assert sorted(t["name"] for t in prepared.tools[:2]) == ["weather-get_time", "weather-get_weather"]
    assert prepared.tools[2:] == [MCP]
    again = prepare_settings_for_function_calling(  # preparing twice keeps one copy of each
        prepared, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=_kernel()
    )
    assert again.tools == prepared.tools
    validate_client_event(session_update_event(prepared))


def test_mcp_tools_stay_when_the_kernel_offers_no_function():
    settings = RealtimeExecutionSettings(tools=[MCP], tool_choice="required",
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    prepared = prepare_settings_for_function_calling(
        settings, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=Kernel()
    )
    assert prepared.tools == [MCP] and prepared.tool_choice == "required"
