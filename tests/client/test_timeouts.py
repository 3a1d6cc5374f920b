"""Timeouts that hold: close_session(), a close without TCP close, a token provider, a silent peer.

Each peer is a real ``websockets`` server on 127.0.0.1 made to misbehave (it stops reading its socket, or
never ends TCP), or the embedded server with a tool that ignores its cancellation.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import pytest
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.functions import kernel_function
from semantic_kernel.kernel import Kernel
from websockets.asyncio.server import ServerConnection, serve

from semantic_kernel_realtime import (
    AzureRealtimeWebsocket,
    ConnectionClosedError,
    ConnectionTimeoutError,
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    SessionEndedEvent,
)
from semantic_kernel_realtime.protocol._build import pcm_audio_event
from semantic_kernel_realtime.server import LocalRealtimeServer

CLOSE_TIMEOUT = 1.0
SLACK = 0.5  # the acceptance's margin over the configured timeout


class Stubborn:
    """A peer that sends ``session.created``, then misbehaves as ``mode`` says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.connections: list[ServerConnection] = []
        self._handlers: list[asyncio.Task] = []
        self._server: Any = None

    async def __aenter__(self) -> Stubborn:
        # The server's own close timeout is long: it must not be what ends the connection.
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None, close_timeout=60,
                                   ping_interval=None)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for connection in self.connections:
            connection.transport.abort()
        for handler in self._handlers:
            handler.cancel()
        self._server.close(close_connections=False)
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    async def _handle(self, connection: ServerConnection) -> None:
        self.connections.append(connection)
        self._handlers.append(asyncio.current_task())
        await connection.send(json.dumps({"type": "session.created", "event_id": "e0",
                                          "session": {"type": "realtime"}}))
        if self.mode == "close frame, no TCP close":
            connection.transport.pause_reading()  # never reads the client's answer, so never ends TCP
            await connection.close(1001)
        else:  # "stops reading": never answers a close, a ping or anything
            connection.transport.pause_reading()
        await asyncio.Event().wait()


async def _drain(client: Any, limit: float) -> list:
    events: list = []

    async def consume() -> None:
        async for event in client.receive():
            events.append(event)

    await asyncio.wait_for(consume(), limit)
    return events


@pytest.mark.parametrize("backlog", [False, True], ids=["never answers the close", "stops reading"])
async def test_close_session_returns_within_close_timeout_against_a_peer_that_stops_reading(backlog):
    async with Stubborn("stops reading") as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, close_timeout=CLOSE_TIMEOUT)
        await client.create_session()
        if backlog:  # more than the socket buffers hold: the send loop is stuck writing
            chunk = pcm_audio_event("input_audio_buffer.append", b"\1" * 2**20)
            for _ in range(32):
                await client.send(chunk)
            await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.close_session()
        took = loop.time() - started
        await _drain(client, SLACK)  # receive() ends
    assert took < CLOSE_TIMEOUT + SLACK, took


class SlowToStop:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    @kernel_function(description="Get the current weather for a location.")
    async def get_weather(self, location: Annotated[str, "The city"]) -> str:
        self.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(3)  # cleanup that ignores the cancellation for 3 s
        return "sunny"


async def test_close_session_returns_within_close_timeout_while_a_tool_ignores_cancellation():
    tool = SlowToStop()
    kernel = Kernel()
    kernel.add_plugin(tool, "weather")
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, close_timeout=CLOSE_TIMEOUT)
        settings = RealtimeExecutionSettings(output_modalities=["text"],
                                             function_choice_behavior=FunctionChoiceBehavior.Auto())
        await client.create_session(settings=settings, kernel=kernel)
        await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")))
        await client.send(RealtimeEvent(service_type="response.create"))
        await asyncio.wait_for(tool.started.wait(), 5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.close_session()
        took = loop.time() - started
        await _drain(client, SLACK)
    assert took < CLOSE_TIMEOUT + SLACK, took


async def test_a_close_frame_without_tcp_close_ends_the_session_within_close_timeout():
    async with Stubborn("close frame, no TCP close") as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, close_timeout=CLOSE_TIMEOUT)
        loop = asyncio.get_running_loop()
        await client.create_session()
        started = loop.time()
        events = await _drain(client, CLOSE_TIMEOUT + 5)
        took = loop.time() - started
    ended = [e for e in events if isinstance(e, SessionEndedEvent)]
    assert len(ended) == 1 and isinstance(ended[0].error, ConnectionClosedError) and ended[0].error.code == 1001
    assert took < CLOSE_TIMEOUT + SLACK, took


async def test_a_silent_peer_is_taken_for_dead_after_the_ping_timeout():
    async with Stubborn("stops reading") as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, close_timeout=CLOSE_TIMEOUT,
                                         ping_interval=0.3, ping_timeout=0.3)
        loop = asyncio.get_running_loop()
        await client.create_session()
        started = loop.time()
        events = await _drain(client, 10)
        took = loop.time() - started
    ended = [e for e in events if isinstance(e, SessionEndedEvent)]
    assert len(ended) == 1 and isinstance(ended[0].error, ConnectionClosedError) and ended[0].error.code == 1011
    assert "ping" in ended[0].cause
    # a ping after ping_interval, no pong within ping_timeout, then the close handshake bounded by close_timeout
    assert took < 0.3 + 0.3 + CLOSE_TIMEOUT + SLACK, took


async def test_a_token_provider_that_never_returns_times_out_with_a_typed_error():
    async def never() -> str:
        await asyncio.Event().wait()
        return "never"

    async with LocalRealtimeServer(speech=False) as server:
        client = AzureRealtimeWebsocket(endpoint=server.base_url.removesuffix("/v1"), deployment_name="gpt-realtime",
                                        ad_token_provider=never, open_timeout=0.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ConnectionTimeoutError, match="0.5 s"):
            await client.create_session()
        took = loop.time() - started
    assert took < 0.5 + SLACK, took
    assert not client.is_open
