"""Sideband with our connectors: a WebSocket client attached by ``call_id`` to a WebRTC call made by our
WebRTC connector, against the embedded server over loopback.

The sideband holds the kernel: it declares the tools, runs the function the model calls and its result
reaches the model, whose answer the WebRTC caller receives. A wrong, ended or someone else's id is a
``CallNotFoundError`` from ``create_session``.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeFunctionCallEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import (
    AzureRealtimeWebsocket,
    CallNotFoundError,
    OpenAIRealtimeWebRTC,
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
)
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.webrtc import CALLS_KEY
from tests.integration.plugins import WeatherPlugin
from tests.integration.test_webrtc import calls_ended, collect, of_type

KEY = "sk-server-key"
TEXT = RealtimeExecutionSettings(output_modalities=["text"])
TOOLS = RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False, api_key=KEY) as srv:
        yield srv


def wire_ids(events: list) -> list[tuple[str, str]]:
    """(type, event_id) of each wire event received (track audio and client-made events have no id)."""
    return [(e.service_type, e.service_event["event_id"]) for e in events
            if isinstance(e.service_event, dict) and "event_id" in e.service_event]


async def mint(server: LocalRealtimeServer) -> str:
    async with aiohttp.ClientSession() as http, http.post(
        server.base_url + "/realtime/client_secrets", json={}, headers={"Authorization": f"Bearer {KEY}"}
    ) as resp:
        return (await resp.json())["value"]


@pytest.mark.parametrize("connector", [OpenAIRealtimeWebsocket, AzureRealtimeWebsocket])
async def test_a_sideband_sees_every_event_of_the_call_and_its_tool_results_reach_the_model(server, connector):
    caller = OpenAIRealtimeWebRTC(api_key=KEY, base_url=server.base_url)
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    async with caller(settings=TEXT):
        await collect(caller, lambda e: e.service_type == "session.updated")
        assert caller.call_id is not None and caller.call_id in server.app[CALLS_KEY]
        if connector is OpenAIRealtimeWebsocket:
            sideband = OpenAIRealtimeWebsocket(api_key=KEY, base_url=server.base_url, call_id=caller.call_id)
        else:
            sideband = AzureRealtimeWebsocket(api_key=KEY, endpoint=server.base_url.removesuffix("/v1"),
                                              deployment_name="gpt-realtime", call_id=caller.call_id)
        async with sideband(settings=TOOLS, kernel=kernel):
            configured = await collect(sideband, lambda e: e.service_type == "session.updated")
            assert configured[0].service_type == "session.created"  # the call's session, as it is
            assert [t["name"] for t in configured[-1].service_event["session"]["tools"]] == ["weather-get_weather"]
            await collect(caller, lambda e: e.service_type == "session.updated")  # the sideband's update

            await caller.send(RealtimeTextEvent(text=TextContent(text="What's the weather like in Paris?")))
            await caller.send(RealtimeEvent(service_type="response.create"))
            done = {"caller": 0, "sideband": 0}

            def second_response(who):
                def until(event) -> bool:
                    done[who] += event.service_type == "response.done"
                    return done[who] == 2
                return until

            heard, seen = await asyncio.gather(collect(caller, second_response("caller")),
                                               collect(sideband, second_response("sideband")))
    assert weather.calls == ["Paris"]  # run by the sideband's kernel, once
    assert any(isinstance(e, RealtimeFunctionCallEvent) for e in seen)
    answer = of_type(heard, "response.output_text.done")[-1].service_event["text"]
    assert "21 degrees and sunny in Paris" in answer  # the sideband's tool result reached the model
    assert wire_ids(seen) == wire_ids(heard)  # the same events, in the same order
    await calls_ended(server)


async def test_a_wrong_or_ended_call_id_is_a_typed_error(server):
    with pytest.raises(CallNotFoundError) as info:
        await OpenAIRealtimeWebsocket(api_key=KEY, base_url=server.base_url, call_id="rtc_nosuchcall").create_session()
    assert info.value.status == 404 and info.value.call_id == "rtc_nosuchcall" and not info.value.retryable
    caller = OpenAIRealtimeWebRTC(api_key=KEY, base_url=server.base_url)
    async with caller(settings=TEXT):
        await collect(caller, lambda e: e.service_type == "session.updated")
        call_id = caller.call_id
    await calls_ended(server)
    with pytest.raises(CallNotFoundError):
        await OpenAIRealtimeWebsocket(api_key=KEY, base_url=server.base_url, call_id=call_id).create_session()
    assert server.session_count == 0


async def test_another_clients_secret_cannot_attach_nor_hang_up(server):
    caller = OpenAIRealtimeWebRTC(api_key=KEY, base_url=server.base_url)
    async with caller(settings=TEXT):
        await collect(caller, lambda e: e.service_type == "session.updated")
        other = await mint(server)
        with pytest.raises(CallNotFoundError):
            await OpenAIRealtimeWebsocket(api_key=other, base_url=server.base_url,
                                          call_id=caller.call_id).create_session()
        async with aiohttp.ClientSession() as http, http.post(
            f"{server.base_url}/realtime/calls/{caller.call_id}/hangup", headers={"Authorization": f"Bearer {other}"}
        ) as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "call_id_not_found"
        assert not server.app[CALLS_KEY][caller.call_id].ended
        await caller.send(RealtimeTextEvent(text=TextContent(text="Hello")))
        await caller.send(RealtimeEvent(service_type="response.create"))
        await collect(caller, lambda e: e.service_type == "response.done")  # the call goes on
    await calls_ended(server)
