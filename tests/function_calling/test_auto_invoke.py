"""Kernel auto function calling over real loopback sockets with a scripted service peer."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Annotated

import pytest
from pydantic import BaseModel
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeFunctionResultEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import OpenAIRealtimeWebsocket
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings
from tests.client.loopback import LoopbackServer
from tests.openai_schema import validate_client_event


class Forecast(BaseModel):
    city: str
    celsius: float


class Tools:
    def __init__(self) -> None:
        self.ran: list[str] = []

    @kernel_function
    def as_int(self) -> int:
        self.ran.append("as_int")
        return 21

    @kernel_function
    def as_dict(self) -> dict:
        self.ran.append("as_dict")
        return {"sky": "clear", "celsius": 21}

    @kernel_function
    def as_model(self) -> Forecast:
        self.ran.append("as_model")
        return Forecast(city="Paris", celsius=21.5)

    @kernel_function
    def as_none(self) -> None:
        self.ran.append("as_none")

    @kernel_function
    def fails(self) -> str:
        self.ran.append("fails")
        raise RuntimeError("the weather station is offline")

    @kernel_function
    async def slow(self, seconds: Annotated[float, "how long"] = 0.5) -> str:
        self.ran.append("slow")
        await asyncio.sleep(seconds)
        return "done"


def _call_events(response_id: str, calls: list[tuple[str, str, str]]) -> list[dict]:
    events = [{"type": "response.created", "response": {"id": response_id, "status": "in_progress"}}]
    for index, (call_id, name, arguments) in enumerate(calls):
        item = {"id": f"item_{call_id}", "type": "function_call", "call_id": call_id, "name": name, "arguments": ""}
        events.append({"type": "response.output_item.added", "response_id": response_id, "output_index": index,
                       "item": item})
        events.append({"type": "response.function_call_arguments.done", "response_id": response_id,
                       "item_id": f"item_{call_id}", "output_index": index, "call_id": call_id, "name": name,
                       "arguments": arguments})
    events.append({"type": "response.done", "response": {"id": response_id, "status": "completed"}})
    return events


AUTO = FunctionChoiceBehavior.Auto()


async def _session(server, tools, behavior=AUTO, timeout=5.0):
    kernel = Kernel()
    kernel.add_plugin(tools, "t")
    client = OpenAIRealtimeWebsocket(api_key="k", base_url=server.base_url, function_timeout=timeout)
    settings = RealtimeExecutionSettings(function_choice_behavior=behavior) if behavior else None
    return client(settings=settings, kernel=kernel)


async def _received_until(server, n_outputs: int, extra: float = 0.3, then: str | None = None) -> list[dict]:
    """What the client sent until ``n_outputs`` tool outputs (and then an event of type ``then``, when given),
    and for ``extra`` seconds more (anything it should not have sent)."""
    got, outputs = [], 0
    while outputs < n_outputs:
        event = await server.next_received(timeout=3)
        got.append(event)
        outputs += event.get("item", {}).get("type") == "function_call_output"
    while then is not None and then not in [e["type"] for e in got]:
        got.append(await server.next_received(timeout=3))
    deadline = time.monotonic() + extra
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(await server.next_received(timeout=left))
        except asyncio.TimeoutError:
            break
    return got


@pytest.mark.parametrize("name, expected", [
    ("t-as_int", "21"), ("t-as_dict", '{"sky": "clear", "celsius": 21}'),
    ("t-as_model", '{"city":"Paris","celsius":21.5}'), ("t-as_none", None), ("t-fails", "offline"),
])
async def test_results_of_any_type_become_valid_outputs(name, expected):
    tools = Tools()
    async with LoopbackServer() as server, await _session(server, tools) as client:
        for event in _call_events("resp_1", [("call_1", name, "{}")]):
            await server.send(event)
        sent = await _received_until(server, 1, then="response.create")
        results = []
        async for event in client.receive():
            if isinstance(event, RealtimeFunctionResultEvent):
                results.append(event)
                break
    outputs = [e for e in sent if e.get("item", {}).get("type") == "function_call_output"]
    assert len(outputs) == 1
    validate_client_event(outputs[0])
    assert outputs[0]["item"]["call_id"] == "call_1"
    if expected is not None:
        assert expected in outputs[0]["item"]["output"]
    assert [e["type"] for e in sent].count("response.create") == 1
    assert results[0].function_result.call_id == "call_1"
    assert tools.ran == [name.split("-")[1]]


async def test_two_calls_in_one_response_give_two_outputs_then_exactly_one_response_create():
    tools = Tools()
    async with LoopbackServer() as server, await _session(server, tools):
        for event in _call_events("resp_1", [("c1", "t-slow", '{"seconds": 0.2}'), ("c2", "t-as_int", "{}")]):
            await server.send(event)
        sent = await _received_until(server, 2, extra=0.5, then="response.create")
    kinds = [e["type"] if e["type"] != "conversation.item.create" else e["item"]["call_id"] for e in sent
             if e["type"] != "session.update"]
    assert kinds == ["c2", "c1", "response.create"]  # outputs as they finish, then one response.create


async def test_a_function_outside_the_allowed_list_never_runs():
    tools = Tools()
    behavior = FunctionChoiceBehavior.Auto(filters={"included_functions": ["t-as_int"]})
    async with LoopbackServer() as server, await _session(server, tools, behavior=behavior):
        session_update = await server.next_received()
        assert [t["name"] for t in session_update["session"]["tools"]] == ["t-as_int"]
        for event in _call_events("resp_1", [("c1", "t-fails", "{}")]):
            await server.send(event)
        sent = await _received_until(server, 1)
    output = next(e for e in sent if e.get("item", {}).get("type") == "function_call_output")
    validate_client_event(output)
    assert tools.ran == []
    assert "not" in output["item"]["output"].lower()


async def test_without_a_function_choice_behavior_nothing_runs():
    tools = Tools()
    async with LoopbackServer() as server, await _session(server, tools, behavior=None):
        for event in _call_events("resp_1", [("c1", "t-as_int", "{}")]):
            await server.send(event)
        sent = await _received_until(server, 1)
    output = next(e for e in sent if e.get("item", {}).get("type") == "function_call_output")
    validate_client_event(output)
    assert tools.ran == []
    assert "fail closed" in output["item"]["output"]


async def test_a_timeout_becomes_an_error_output():
    tools = Tools()
    async with LoopbackServer() as server, await _session(server, tools, timeout=0.1):
        for event in _call_events("resp_1", [("c1", "t-slow", '{"seconds": 2}')]):
            await server.send(event)
        sent = await _received_until(server, 1)
    output = next(e for e in sent if e.get("item", {}).get("type") == "function_call_output")
    assert "did not finish within 0.1 seconds" in output["item"]["output"]


async def test_barge_in_cancels_running_tools_and_asks_for_no_response():
    tools = Tools()
    async with LoopbackServer() as server, await _session(server, tools) as client:
        events = _call_events("resp_1", [("c1", "t-slow", '{"seconds": 5}')])
        events[-1]["response"]["status"] = "cancelled"
        for event in events:
            await server.send(event)
        sent = await _received_until(server, 1, extra=0.3)
        assert client.function_calling.running == 0
    output = next(e for e in sent if e.get("item", {}).get("type") == "function_call_output")
    assert "cancelled" in output["item"]["output"]
    assert "response.create" not in [e["type"] for e in sent]


async def test_audio_keeps_flowing_while_a_500_ms_tool_runs():
    """The receive loop never waits for a tool: audio gaps stay as sent, barge-in arrives at once."""
    tools = Tools()
    frame = base64.b64encode(b"\x00\x01" * 480).decode()
    arrivals: dict[str, float] = {}
    async with LoopbackServer() as server, await _session(server, tools) as client:

        async def consume():
            async for event in client.receive():
                if event.service_type in ("response.output_audio.delta", "input_audio_buffer.speech_started"):
                    arrivals[event.service_event["event_id"]] = time.perf_counter()
                if isinstance(event.service_event, dict) and event.service_event.get("event_id") == "a29":
                    return

        consumer = asyncio.create_task(consume())
        for event in _call_events("resp_1", [("c1", "t-slow", '{"seconds": 0.5}')]):
            await server.send(event)
        sent_at: dict[str, float] = {}
        start = time.perf_counter()
        for i in range(30):  # 600 ms of 20 ms frames while the 500 ms tool runs
            await asyncio.sleep(max(0.0, start + i * 0.02 - time.perf_counter()))
            sent_at[f"a{i}"] = time.perf_counter()
            await server.send({"type": "response.output_audio.delta", "event_id": f"a{i}", "item_id": "i",
                               "delta": frame})
            if i == 10:
                sent_at["barge"] = time.perf_counter()
                await server.send({"type": "input_audio_buffer.speech_started", "event_id": "barge",
                                   "audio_start_ms": 100, "item_id": "u"})
        await asyncio.wait_for(consumer, 3)
        assert tools.ran == ["slow"]
    # a receive loop that waited for the tool would hold the barge-in about 300 ms and one gap up to 500 ms;
    # 150 ms leaves a loaded CI machine room for a late wake-up or a GC pause and still catches that
    assert arrivals["barge"] - sent_at["barge"] < 0.150
    keys = [k for k in sent_at if k.startswith("a")]
    assert all(k in arrivals for k in keys)
    worst = max((arrivals[b] - arrivals[a]) - (sent_at[b] - sent_at[a]) for a, b in zip(keys, keys[1:], strict=False))
    assert worst < 0.150, f"an audio gap grew by {worst * 1000:.1f} ms"


async def test_update_session_with_another_kernel_runs_the_next_call_on_it():
    first, second = Tools(), Tools()
    async with LoopbackServer() as server, await _session(server, first) as client:
        other = Kernel()
        other.add_plugin(second, "t")
        await _next_of_type(server, "session.update")  # the opening one
        await client.update_session(kernel=other)
        update = await _next_of_type(server, "session.update")
        assert "t-as_int" in [tool["name"] for tool in update["session"]["tools"]]
        for event in _call_events("resp_1", [("c1", "t-as_int", "{}")]):
            await server.send(event)
        sent = await _received_until(server, 1)
    assert any(e.get("item", {}).get("output") == "21" for e in sent)
    assert (first.ran, second.ran) == ([], ["as_int"])


async def test_a_session_opened_without_a_kernel_auto_invokes_once_one_is_added():
    tools = Tools()
    async with LoopbackServer() as server:
        client = OpenAIRealtimeWebsocket(api_key="k", base_url=server.base_url)
        async with client(settings=RealtimeExecutionSettings(function_choice_behavior=AUTO)):
            opening = await _next_of_type(server, "session.update")
            assert "tools" not in opening["session"]  # no kernel yet: no tools
            kernel = Kernel()
            kernel.add_plugin(tools, "t")
            await client.update_session(kernel=kernel)
            update = await _next_of_type(server, "session.update")
            assert [tool["name"] for tool in update["session"]["tools"]] == [
                f"t-{name}" for name in ("as_dict", "as_int", "as_model", "as_none", "fails", "slow")]
            for event in _call_events("resp_1", [("c1", "t-as_dict", "{}")]):
                await server.send(event)
            sent = await _received_until(server, 1)
    output = next(e for e in sent if e.get("item", {}).get("type") == "function_call_output")
    assert output["item"]["output"] == '{"sky": "clear", "celsius": 21}'
    assert tools.ran == ["as_dict"]


async def _next_of_type(server, etype: str) -> dict:
    while True:
        event = await server.next_received()
        if event["type"] == etype:
            return event
