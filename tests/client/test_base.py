"""RealtimeClientBase over real loopback sockets: queues, ordering, lifecycle, errors, logs."""

from __future__ import annotations

import asyncio
import base64
import logging

import numpy as np
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeClientBase
from semantic_kernel_realtime.client import SendFailedEvent, SessionEndedEvent
from semantic_kernel_realtime.client.events import SESSION_ENDED
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings
from semantic_kernel_realtime.transports import AuthenticationError, ConnectionFailedError
from tests.client.loopback import LoopbackServer
from tests.openai_schema import validate_client_event

PCM = (np.sin(np.arange(480) / 5) * 8000).astype("<i2").tobytes()


def _client(base_url: str, **kwargs) -> OpenAIRealtimeWebsocket:
    return OpenAIRealtimeWebsocket(api_key="sk-test-not-a-real-key", base_url=base_url, ai_model_id="gpt-realtime",
                                   **kwargs)


async def _collect(client, until=None, timeout=2.0) -> list:
    events = []

    async def run():
        async for event in client.receive():
            events.append(event)
            if until and until(event):
                return

    await asyncio.wait_for(run(), timeout)
    return events


async def _next_of(server: LoopbackServer, etype: str) -> dict:
    while True:
        event = await server.next_received()
        if event["type"] == etype:
            return event


async def test_connects_with_model_and_bearer_header():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await server.connected.wait()
        assert server.path == "/v1/realtime?model=gpt-realtime"
        assert server.headers["authorization"] == "Bearer sk-test-not-a-real-key"


async def test_audio_through_the_send_queue_reaches_the_server_as_append():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=PCM, data_format="base64")))
            await client.send(RealtimeEvent(service_type="input_audio_buffer.commit"))
            append = await _next_of(server, "input_audio_buffer.append")
            validate_client_event(append)
            assert base64.b64decode(append["audio"]) == PCM
            assert (await server.next_received())["type"] == "input_audio_buffer.commit"


async def test_events_sent_before_connect_are_delivered_after_the_session_update():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        await client.send(RealtimeTextEvent(text=TextContent(text="early bird")))
        await client.send(RealtimeEvent(service_type="response.create"))
        async with client(settings=RealtimeExecutionSettings(instructions="Be brief.")):
            first = await server.next_received()
            second = await server.next_received()
            third = await server.next_received()
        assert first["type"] == "session.update"
        assert first["session"]["instructions"] == "Be brief."
        assert second["item"]["content"][0]["text"] == "early bird"
        assert third["type"] == "response.create"


async def test_server_events_arrive_in_order_as_sk_events_and_audio_hits_the_callback_first():
    played: list[np.ndarray] = []
    events: list = []
    queued_at_play: list[int] = []

    async def play(chunk: np.ndarray) -> None:
        in_queue = list(client.receive_buffer._queue) + events
        queued_at_play.append(sum(isinstance(e, RealtimeAudioEvent) for e in in_queue))
        played.append(chunk)

    async with LoopbackServer() as server:
        client = _client(server.base_url, audio_output_callback=play)
        async with client():
            await server.send({"type": "response.output_audio_transcript.delta", "item_id": "i", "delta": "Hel"})
            await server.send({"type": "response.output_audio.delta", "item_id": "i",
                               "delta": base64.b64encode(PCM).decode()})
            await server.send({"type": "response.output_audio_transcript.delta", "item_id": "i", "delta": "lo"})
            await server.send({"type": "response.done", "response": {"id": "resp_1", "status": "completed"}})

            async def consume():
                async for event in client.receive():
                    events.append(event)
                    if event.service_type == "response.done":
                        return

            await asyncio.wait_for(consume(), 2)
    types = [e.service_type for e in events]
    assert types == ["session.created", "response.output_audio_transcript.delta", "response.output_audio.delta",
                     "response.output_audio_transcript.delta", "response.done"]
    assert isinstance(events[1], RealtimeTextEvent) and isinstance(events[2], RealtimeAudioEvent)
    assert len(played) == 1 and played[0].dtype == np.int16 and played[0].tobytes() == PCM
    assert queued_at_play == [0]  # the callback ran before its event was queued


async def test_audio_still_in_a_slow_async_callback_is_delivered_before_the_session_ends():
    played: list[np.ndarray] = []

    async def slow_player(chunk: np.ndarray) -> None:  # e.g. waits for room in a sound card's buffer
        await asyncio.sleep(0.2)
        played.append(chunk)

    async with LoopbackServer() as server:
        client = _client(server.base_url, audio_output_callback=slow_player)
        async with client():
            delta = base64.b64encode(PCM).decode()
            for n in range(3):
                await server.send({"type": "response.output_audio.delta", "event_id": f"a{n}", "item_id": "i",
                                   "delta": delta})
            await server.close(1000)
            events = await _collect(client, timeout=3)
    assert [e.service_type for e in events] == ["session.created", *["response.output_audio.delta"] * 3,
                                                 SESSION_ENDED]
    assert [e.service_event["event_id"] for e in events[1:4]] == ["a0", "a1", "a2"]
    assert len(played) == 3


async def test_a_server_error_event_is_surfaced_and_the_session_goes_on():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await server.send({"type": "error", "error": {"type": "invalid_request_error", "code": "x",
                                                          "message": "bad", "param": None, "event_id": None}})
            await server.send({"type": "response.done", "response": {"id": "r"}})
            events = await _collect(client, until=lambda e: e.service_type == "response.done")
            assert [e.service_type for e in events][-2:] == ["error", "response.done"]
            assert client.is_open


async def test_an_unencodable_event_gives_send_failed_and_the_session_goes_on():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await client.send(RealtimeEvent(service_type="session.created"))  # a server event: cannot be sent
            await client.send(RealtimeEvent(service_type="response.create"))
            assert (await _next_of(server, "response.create"))["type"] == "response.create"
            events = await _collect(client, until=lambda e: isinstance(e, SendFailedEvent))
            assert "not a GA client event" in events[-1].message
            assert client.is_open


@pytest.mark.parametrize("how", ["server close", "network drop", "user close"])
async def test_receive_ends_within_one_second_whatever_ends_the_session(how):
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        await client.create_session()
        await server.connected.wait()
        consumers = [asyncio.create_task(_collect(client, timeout=5)) for _ in range(3)]
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        started = loop.time()
        if how == "server close":
            await server.close(1000)
        elif how == "network drop":
            server.drop()
        else:
            await client.close_session()
        results = await asyncio.wait_for(asyncio.gather(*consumers), 1.0)
        assert loop.time() - started < 1.0
        assert not client.is_open
        ends = [e for events in results for e in events if isinstance(e, SessionEndedEvent)]
        if how == "user close":
            assert not ends
        else:
            assert len(ends) == 1  # one consumer gets the reason, every consumer is released
            assert ends[0].clean is (how == "server close")
        assert [e async for e in client.receive()] == []  # later consumers end at once too


async def test_a_closed_client_can_open_a_new_session():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            pass
        async with client():
            await client.send(RealtimeEvent(service_type="response.create"))
            assert (await _next_of(server, "response.create"))["type"] == "response.create"


async def test_history_is_seeded_with_roles():
    history = ChatHistory(system_message="You are terse.")
    history.add_user_message("Hi")
    history.add_assistant_message("Hello!")
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client(chat_history=history):
            items = [(await server.next_received()) for _ in range(3)]
    assert [(i["item"]["role"], i["item"]["content"][0]["type"]) for i in items] == [
        ("system", "input_text"), ("user", "input_text"), ("assistant", "output_text")]
    for item in items:
        validate_client_event(item)


async def test_refused_credentials_raise_a_typed_error_without_the_key():
    from semantic_kernel_realtime.server import LocalRealtimeServer

    async with LocalRealtimeServer(api_key="right-key", speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="sk-wrong-secret-value", base_url=server.base_url)
        with pytest.raises(AuthenticationError) as info:
            await client.create_session()
        assert "401" in str(info.value) and "sk-wrong-secret-value" not in str(info.value)


async def test_unreachable_service_raises_connection_failed():
    client = _client("http://127.0.0.1:9/v1")
    with pytest.raises(ConnectionFailedError):
        await client.create_session()


async def test_registers_as_a_kernel_service():
    kernel = Kernel()
    client = _client("http://127.0.0.1:9/v1", service_id="realtime")
    kernel.add_service(client)
    assert kernel.get_service(type=RealtimeClientBase) is client
    assert kernel.get_service("realtime") is client
    assert isinstance(client, ChatCompletionClientBase)


async def test_the_api_key_is_in_no_log_and_no_repr(caplog):
    secret = "sk-proj-THIS-IS-THE-SECRET-0123456789"
    caplog.set_level(logging.DEBUG)
    async with LoopbackServer() as server:
        client = OpenAIRealtimeWebsocket(api_key=secret, base_url=server.base_url)
        async with client(settings=RealtimeExecutionSettings(instructions="x")):
            await client.send(RealtimeEvent(service_type="response.create"))
            await server.next_received()
            server.drop()
            await _collect(client)
        ours = [r for r in caplog.records if not r.name.startswith("websockets.server")]  # the test peer's own logs
        text = "\n".join(r.getMessage() for r in ours) + repr(client) + str(client.model_dump())
        text += client.model_dump_json()
    assert any("Authorization" in r.getMessage() for r in ours), "no handshake logged: the check would be empty"
    assert secret not in text
    assert "THIS-IS-THE-SECRET" not in text


async def test_invalid_settings_fail_before_connecting():
    from semantic_kernel_realtime.protocol import EncodeError

    async with LoopbackServer() as server:
        client = _client(server.base_url)
        with pytest.raises(EncodeError, match="turn_detection"):
            await client.create_session(settings=RealtimeExecutionSettings(turn_detection={"type": "push_to_talk"}))
        assert not server.connected.is_set()
        assert not client.is_open
