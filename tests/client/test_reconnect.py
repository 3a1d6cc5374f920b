"""Reconnect and replay against the embedded server, through a proxy that drops the connection on cue.

The proxy (real sockets on 127.0.0.1) forwards a client's WebSocket to the embedded server and, on the first
connection only, drops it right after forwarding the server's N-th event: a TCP reset, or a close frame with
1001 (going away), 1011 (server error) or 1012 (service restart). The server "comes back" as the next
connection: a fresh session on the same embedded server, which the client must replay into.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, ClassVar

import pytest
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import ChatHistory
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.kernel import Kernel
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

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

QUESTION = "What's the weather in Paris?"
MODES = ("reset", 1001, 1011, 1012)


class DropProxy:
    """Forwards WebSocket connections to ``upstream``; drops the first after its ``drop_after``-th server event."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.drop_after: int | None = None
        self.mode: Any = "reset"
        self.refuse_after_drop = False  # later handshakes get HTTP 401
        self.down_after_drop = False  # later connections are dropped at once
        self.received: list[list[dict]] = []  # per connection: what the server sent
        self.sent: list[list[dict]] = []  # per connection: what the client sent
        self.refused = 0
        self._server: Any = None

    async def __aenter__(self) -> DropProxy:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None,
                                   process_request=self._process_request)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        if self.received and self.refuse_after_drop:
            self.refused += 1
            return connection.respond(401, "refused\n")
        return None

    async def _handle(self, downstream: ServerConnection) -> None:
        number = len(self.received)
        received: list[dict] = []
        sent: list[dict] = []
        self.received.append(received)
        self.sent.append(sent)
        if number and self.down_after_drop:
            downstream.transport.abort()  # accepts, then drops at once: as good as down
            return
        async with connect(self.upstream + downstream.request.path, compression=None, close_timeout=0.1) as upstream:
            async def client_to_server() -> None:
                async for message in downstream:
                    sent.append(json.loads(message))
                    await upstream.send(message)

            async def server_to_client() -> None:
                async for message in upstream:
                    received.append(json.loads(message))
                    await downstream.send(message)
                    if number == 0 and len(received) == self.drop_after:
                        if self.mode == "reset":
                            downstream.transport.abort()
                        else:
                            await downstream.close(self.mode)
                        return

            tasks = [asyncio.ensure_future(client_to_server()), asyncio.ensure_future(server_to_client())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if number == 0 and self.drop_after is not None and len(received) >= self.drop_after:
                return
            await downstream.close()


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False) as srv:
        yield srv


def _client(base_url: str, **kwargs: Any) -> OpenAIRealtimeWebsocket:
    return OpenAIRealtimeWebsocket(api_key="x", base_url=base_url, reconnect=kwargs.pop(
        "reconnect", ReconnectPolicy(initial_delay=0.0, jitter=0.0, recycle=False)), **kwargs)


def _conversation(events: list[dict]) -> list[tuple[str, str]]:
    """The server's conversation on one connection, read back from what it reported: (item id, type), in order."""
    items: dict[str, str] = {}
    for event in events:
        if event.get("type") == "conversation.item.done":
            item = event["item"]
            items[item["id"]] = item["type"]
        elif event.get("type") == "conversation.item.deleted":
            items.pop(event["item_id"], None)
    return list(items.items())


def _mirror(history: ChatHistory) -> list[tuple[str, str]]:
    kinds = {"FunctionCallContent": "function_call", "FunctionResultContent": "function_call_output"}
    return [(m.metadata["item_id"], kinds.get(type(m.items[0]).__name__, "message")) for m in history.messages]


async def _session(base_url: str, weather: WeatherPlugin, dropped: bool = False,
                   client: OpenAIRealtimeWebsocket | None = None) -> tuple[list, ChatHistory]:
    """A tool-call session: seeded history, a weather question; until the answer's response is done (and, when
    the connection is ``dropped``, the client reconnected)."""
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    seed = ChatHistory(system_message="You answer weather questions.")
    seed.add_user_message("Hi")
    client = client or _client(base_url)
    settings = RealtimeExecutionSettings(output_modalities=["text"],
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    events: list = []
    async with client(settings=settings, chat_history=seed, kernel=kernel):
        await client.send(RealtimeTextEvent(text=TextContent(text=QUESTION)))
        await client.send(RealtimeEvent(service_type="response.create"))
        answered = False
        reconnected: ReconnectedEvent | None = None
        echoed = running = 0  # since the reconnect: replayed items the server confirmed, responses running

        def settled() -> bool:
            if not answered or running:
                return False
            return not dropped or (reconnected is not None and echoed >= reconnected.replayed_items)

        async def consume() -> None:
            nonlocal answered, reconnected, echoed, running
            async for event in client.receive():
                events.append(event)
                kind = event.service_type
                if kind == "response.output_text.done" and "21 degrees" in event.service_event["text"]:
                    answered = True
                elif isinstance(event, ReconnectedEvent):
                    reconnected, echoed, running = event, 0, 0
                elif kind == "conversation.item.done" and reconnected is not None:
                    echoed += 1
                elif kind == "response.created":
                    running += 1
                elif kind == "response.done":
                    running = max(0, running - 1)
                if settled():
                    return

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(consume(), 10)
        history = client.chat_history
    return events, history


async def test_a_session_without_drops_is_the_recording(server):
    async with DropProxy(server.base_url.replace("http", "ws").removesuffix("/v1")) as proxy:
        weather = WeatherPlugin()
        events, history = await _session(proxy.base_url, weather)
    assert weather.calls == ["Paris"]
    assert len(proxy.received) == 1
    assert _conversation(proxy.received[0]) == _mirror(history)


@pytest.fixture(scope="module")
def positions() -> int:
    """Server events in the recorded session (one run without drops)."""
    async def record() -> int:
        async with LocalRealtimeServer(speech=False) as srv:
            async with DropProxy(_upstream(srv)) as proxy:
                await _session(proxy.base_url, WeatherPlugin())
            return len(proxy.received[0])
    return asyncio.run(record())


def _upstream(server: LocalRealtimeServer) -> str:
    return server.base_url.replace("http", "ws").removesuffix("/v1")


@pytest.mark.parametrize("mode", MODES)
async def test_a_drop_after_every_event_position_reconnects_and_replays(server, positions, mode):
    assert positions > 15
    failures = []
    for position in range(1, positions + 1):
        async with DropProxy(_upstream(server)) as proxy:
            proxy.drop_after, proxy.mode = position, mode
            weather = WeatherPlugin()
            events, history = await _session(proxy.base_url, weather, dropped=True)
        where = f"{mode} after event {position} ({proxy.received[0][-1]['type']})"
        if not any(isinstance(e, ReconnectedEvent) for e in events):
            failures.append(f"{where}: no reconnect")
            continue
        last = proxy.received[-1]
        if _conversation(last) != _mirror(history):
            failures.append(f"{where}: server {_conversation(last)} != mirror {_mirror(history)}")
        if weather.calls != ["Paris"]:
            failures.append(f"{where}: the tool ran {len(weather.calls)} times")
        # Each item was created once on the new connection; the question is in the conversation once.
        sent_items = [m["item"].get("id") for m in proxy.sent[-1] if m["type"] == "conversation.item.create"]
        if len(sent_items) != len(set(sent_items)):
            failures.append(f"{where}: an item was sent twice: {sent_items}")
        questions = [m for m in history.messages if m.content == QUESTION]
        if len(questions) != 1:
            failures.append(f"{where}: the question is in the conversation {len(questions)} times")
        if not any(e.service_type == "response.output_text.done" and "21 degrees" in e.service_event["text"]
                   for e in events):
            failures.append(f"{where}: no answer")
        if any(isinstance(e, SessionEndedEvent) for e in events):
            failures.append(f"{where}: the session ended")
    assert not failures, "\n".join(failures[:20])


class _OutputSendBreaks(OpenAIRealtimeWebsocket):
    """Fault injection on a real connection: on the first connection, the connection breaks (a 1011 close) while
    the tool's output is being sent, after its bytes reached the service (``delivered``) or before."""

    delivered: ClassVar[bool] = False

    async def _create_transport(self) -> Any:
        transport = await super()._create_transport()
        if getattr(type(self), "broke", False):
            return transport
        send_text = transport.send_text

        async def breaking_send_text(message: str | bytes) -> None:
            text = message.decode() if isinstance(message, bytes) else message
            if '"function_call_output"' not in text:
                return await send_text(message)
            type(self).broke = True
            if self.delivered:
                await send_text(message)
                await asyncio.sleep(0.05)  # the service has it (and may have confirmed it)
            await transport.connection.close(1011)
            await send_text(message)  # raises: the connection is closed

        transport.send_text = breaking_send_text
        return transport


@pytest.mark.parametrize("delivered", [False, True], ids=["before delivery", "after delivery"])
async def test_a_send_that_fails_as_the_connection_breaks_is_in_the_next_conversation_once(server, delivered):
    client_class = type("Breaking", (_OutputSendBreaks,), {"delivered": delivered})
    async with DropProxy(_upstream(server)) as proxy:
        weather = WeatherPlugin()
        client = client_class(api_key="x", base_url=proxy.base_url,
                              reconnect=ReconnectPolicy(initial_delay=0.0, jitter=0.0, recycle=False))
        events, history = await _session(proxy.base_url, weather, dropped=True, client=client)
    assert client_class.broke and any(isinstance(e, ReconnectedEvent) for e in events)
    assert weather.calls == ["Paris"]
    assert [kind for _, kind in _mirror(history)].count("function_call_output") == 1, _mirror(history)
    assert _conversation(proxy.received[-1]) == _mirror(history)
    assert any(e.service_type == "response.output_text.done" and "21 degrees" in e.service_event["text"]
               for e in events)


async def test_refused_credentials_after_a_drop_end_the_session_at_once(server):
    upstream = server.base_url.replace("http", "ws").removesuffix("/v1")
    async with DropProxy(upstream) as proxy:
        proxy.drop_after, proxy.refuse_after_drop = 1, True
        client = _client(proxy.base_url, reconnect=ReconnectPolicy(max_attempts=5, initial_delay=0.05))
        events = []

        async def consume() -> None:
            async for event in client.receive():
                events.append(event)

        async with client():
            await asyncio.wait_for(consume(), 5)
    ended = [e for e in events if isinstance(e, SessionEndedEvent)]
    assert len(ended) == 1 and ended[0].retryable is False and ended[0].attempts == 1
    assert [e.attempt for e in events if isinstance(e, ReconnectingEvent)] == [1]
    assert proxy.refused == 1  # one refused try, no more


@pytest.mark.parametrize("down", ["port closed", "accepts then drops"])
async def test_a_server_that_stays_down_ends_the_session_after_the_attempts(server, down):
    upstream = server.base_url.replace("http", "ws").removesuffix("/v1")
    async with DropProxy(upstream) as proxy:
        client = _client(proxy.base_url, reconnect=ReconnectPolicy(max_attempts=3, initial_delay=0.01, jitter=0.0))
        events = []

        async def consume() -> None:
            async for event in client.receive():
                events.append(event)

        async with client():
            if down == "port closed":
                proxy._server.close()  # says 1001 (going away) to the client, then refuses every connection
            else:
                proxy.down_after_drop = True
                proxy.drop_after = len(proxy.received[0]) + 1
                proxy.mode = "reset"
                await client.send(RealtimeTextEvent(text=TextContent(text="hello")))
            await asyncio.wait_for(consume(), 5)  # receive() ends
    ended = [e for e in events if isinstance(e, SessionEndedEvent)]
    assert len(ended) == 1 and ended[0].retryable is True and ended[0].attempts == 3, ended
    assert [e.attempt for e in events if isinstance(e, ReconnectingEvent)] == [1, 2, 3]


async def test_close_session_during_the_backoff_returns_at_once(server):
    async with DropProxy(_upstream(server)) as proxy:
        proxy.drop_after, proxy.mode = 1, "reset"
        client = _client(proxy.base_url, reconnect=ReconnectPolicy(initial_delay=30.0, jitter=0.0))
        events: list = []

        async def consume() -> None:
            async for event in client.receive():
                events.append(event)
                if isinstance(event, ReconnectingEvent):
                    return

        await client.create_session()
        await asyncio.wait_for(consume(), 5)  # waiting 30 s before the first try
        loop = asyncio.get_running_loop()
        started = loop.time()
        await client.close_session()
        took = loop.time() - started
        rest = [event async for event in client.receive()]  # receive() ends
    assert took < 5 and not client.is_open  # not the 30 s backoff
    assert not any(isinstance(e, SessionEndedEvent) for e in rest)  # the user closed: no SessionEndedEvent
