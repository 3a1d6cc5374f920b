"""Recycling before the duration cap, against the embedded server's cap emulation (``max_session_seconds``).

The acceptance's run (a 20 s cap, a 70 s conversation) is ``benchmarks/recycle_gap.py``; here the same
script runs scaled down (a 4 s cap, 14 s) so the suite stays quick.
"""

from __future__ import annotations

import asyncio
import json
import time

from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.kernel import Kernel
from websockets.asyncio.client import connect

from semantic_kernel_realtime import (
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    ReconnectedEvent,
    ReconnectingEvent,
    ReconnectPolicy,
    SessionEndedEvent,
)
from semantic_kernel_realtime.server import LocalRealtimeServer
from tests.integration.plugins import WeatherPlugin


async def conversation(base_url: str, seconds: float, turn_every: float, policy: ReconnectPolicy) -> dict:
    """A scripted conversation: a weather question every ``turn_every`` seconds, each answered after a tool call."""
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=base_url, reconnect=policy)
    settings = RealtimeExecutionSettings(output_modalities=["text"],
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    loop = asyncio.get_running_loop()
    report: dict = {"turns": 0, "answers": 0, "switches": [], "busy_switches": 0, "ended": None}
    answered = asyncio.Event()
    active = 0
    started_switch: float | None = None

    async def consume() -> None:
        nonlocal active, started_switch
        async for event in client.receive():
            kind = event.service_type
            if kind == "response.created":
                active += 1
            elif kind == "response.done":
                active = max(0, active - 1)
            elif kind == "response.output_text.done" and "21 degrees" in event.service_event["text"]:
                report["answers"] += 1
                answered.set()
            elif isinstance(event, ReconnectingEvent):
                started_switch = loop.time()
                report["busy_switches"] += active > 0
                active = 0
            elif isinstance(event, ReconnectedEvent):
                report["switches"].append((event.recycle, loop.time() - (started_switch or loop.time())))
            elif isinstance(event, SessionEndedEvent):
                report["ended"] = event

    async with client(settings=settings, kernel=kernel):
        reader = asyncio.create_task(consume())
        end = loop.time() + seconds
        while loop.time() < end:
            answered.clear()
            await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")))
            await client.send(RealtimeEvent(service_type="response.create"))
            report["turns"] += 1
            await asyncio.wait_for(answered.wait(), 10)
            await asyncio.sleep(turn_every)
        report["calls"] = len(weather.calls)
        report["mirror"] = len(client.chat_history.messages)
    await asyncio.wait_for(reader, 5)
    return report


async def test_a_conversation_longer_than_the_cap_is_recycled_between_turns():
    # a connection may be recycled from 3 s on, once no response is active: 3 s of window leaves a loaded
    # machine room for slow turns, and 15 s of conversation still needs three connections or more
    cap = 6.0
    async with LocalRealtimeServer(speech=False, max_session_seconds=cap) as server:
        report = await conversation(server.base_url, seconds=2.5 * cap, turn_every=0.7,
                                    policy=ReconnectPolicy(recycle_margin=3.0, initial_delay=0.0))
    assert report["ended"] is None, report["ended"]
    assert report["answers"] == report["turns"] == report["calls"]  # every turn answered; no tool ran twice
    assert len(report["switches"]) >= 2 and all(recycle for recycle, _ in report["switches"])  # 3+ connections
    assert report["busy_switches"] == 0  # only between turns
    assert report["mirror"] == 4 * report["turns"]  # question, call, output, answer: all kept across connections


async def test_without_recycling_the_cap_ends_the_connection_and_the_client_reconnects():
    async with LocalRealtimeServer(speech=False, max_session_seconds=1.0) as server:
        report = await conversation(server.base_url, seconds=2.0, turn_every=0.3,
                                    policy=ReconnectPolicy(recycle=False, initial_delay=0.0))
    assert report["ended"] is None
    assert report["switches"] and not any(recycle for recycle, _ in report["switches"])
    assert report["answers"] == report["turns"] == report["calls"]


async def test_the_cap_emulation_says_expires_at_then_session_expired_and_1001():
    async with LocalRealtimeServer(speech=False, max_session_seconds=0.5) as server:
        url = server.base_url.replace("http", "ws") + "/realtime?model=gpt-realtime"
        async with connect(url) as ws:
            created = json.loads(await ws.recv())
            # whole seconds, as the service says (and the test may read it late on a loaded machine)
            assert -2 < created["session"]["expires_at"] - time.time() <= 0.5
            error = json.loads(await asyncio.wait_for(ws.recv(), 3))
            assert error["type"] == "error" and error["error"]["code"] == "session_expired"
            await asyncio.wait_for(ws.wait_closed(), 3)
            assert ws.close_code == 1001


async def test_gemini_go_away_recycles_by_resumption_handle():
    from semantic_kernel_realtime import GoogleLiveExecutionSettings, GoogleLiveWebsocket

    async with LocalRealtimeServer(speech=False, gemini_session_limit=3.0) as server:
        server.gemini.go_away_notice = 2.0
        settings = GoogleLiveExecutionSettings(response_modalities=["TEXT"], session_resumption=True)
        client = GoogleLiveWebsocket(api_key="unused", base_url=server.gemini_base_url,
                                     reconnect=ReconnectPolicy(recycle_margin=1.5, initial_delay=0.0))
        events: list = []
        async with client(settings=settings):
            await client.send(RealtimeTextEvent(text=TextContent(text="My name is Ada.")))
            await client.request_response()

            async def until(predicate) -> None:
                async for event in client.receive():
                    events.append(event)
                    if predicate(event):
                        return

            await asyncio.wait_for(until(lambda e: isinstance(e, ReconnectedEvent)), 10)
            await client.send(RealtimeTextEvent(text=TextContent(text="What did I say?")))
            await client.request_response()
            await asyncio.wait_for(until(lambda e: e.service_type == "serverContent.turnComplete"), 10)
    reconnected = next(e for e in events if isinstance(e, ReconnectedEvent))
    assert reconnected.recycle and reconnected.resumed and reconnected.replayed_items == 0
    assert not any(isinstance(e, SessionEndedEvent) for e in events)
    conversation = next(iter(server.gemini.handles.values()))
    assert any("Ada" in str(item) for item in conversation)  # the service kept the conversation by its handle
