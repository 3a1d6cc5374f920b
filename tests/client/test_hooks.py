"""Session hooks over real loopback sockets: what each hook is shown, in order, and what logging says."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, SessionEndedEvent
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.events import ObserverErrorEvent
from semantic_kernel_realtime.protocol.base import ResponseEnded, ResponseStarted
from semantic_kernel_realtime.transports import ConnectionFailedError
from tests.client.loopback import LoopbackServer

PCM = (np.sin(np.arange(480) / 5) * 8000).astype("<i2").tobytes()


class Log(SessionHooks):
    """Writes down every call, by method."""

    signal_types = frozenset({ResponseStarted, ResponseEnded})
    event_types = frozenset({"response.done"})
    wants_sent = True
    wants_messages = True

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def started(self, client):
        self.calls.append(("started", client.ai_model_id))

    def opened(self, connection):
        self.calls.append(("opened", type(connection.codec).capabilities.name))

    def message_received(self, message):
        self.calls.append(("message", bytes(message) if not isinstance(message, str) else message.encode()))

    def received(self, event):
        self.calls.append(("received", event.service_type))

    def signal(self, signal):
        self.calls.append(("signal", type(signal).__name__))

    def sent(self, event, message):
        self.calls.append(("sent", type(event).__name__ if event is not None else None,
                           message[:30] if message is not None else None))

    def ended(self, ended):
        self.calls.append(("ended", ended.cause if ended is not None else None))


class Quiet(SessionHooks):
    """Wants nothing; fails loudly if it is shown anything."""

    def received(self, event):
        raise AssertionError("received")

    def signal(self, signal):
        raise AssertionError("signal")

    def sent(self, event, message):
        raise AssertionError("sent")

    def message_received(self, message):
        raise AssertionError("message")

    def ended(self, ended):
        raise RuntimeError("a hook that fails at the end")


def _client(base_url: str) -> OpenAIRealtimeWebsocket:
    return OpenAIRealtimeWebsocket(api_key="sk-test-not-a-real-key", base_url=base_url, ai_model_id="gpt-realtime")


async def _until(client, etype: str) -> list:
    events = []

    async def run():
        async for event in client.receive():
            events.append(event)
            if event.service_type == etype:
                return

    await asyncio.wait_for(run(), 3)
    return events


async def test_hooks_see_what_they_asked_for_in_order_and_nothing_else():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        log, quiet = Log(), Quiet()
        client.attach(log)
        client.attach(log)  # once is enough
        client.attach(quiet)
        assert client.hooks == (log, quiet)
        async with client(settings=None):
            await client.send(RealtimeTextEvent(text=TextContent(text="hi")))
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=PCM, mime_type="audio/pcm")))
            await server.next_received()
            await server.next_received()
            await server.send({"type": "response.created", "event_id": "e1", "response": {"id": "r1"}})
            await server.send({"type": "response.done", "event_id": "e2",
                               "response": {"id": "r1", "status": "completed"}})
            events = await _until(client, "response.done")
    assert events[-1].service_type == "response.done"
    calls = log.calls
    assert calls[:2] == [("started", "gpt-realtime"), ("opened", "openai-ga")]
    assert calls[-1] == ("ended", None)  # the client closed it
    sent = [c[1:] for c in calls if c[0] == "sent"]
    assert sent == [("RealtimeTextEvent", '{"type":"conversation.item.cre'),
                    ("RealtimeAudioEvent", '{"type":"input_audio_buffer.ap')]
    # each received message: raw first, then its signals, then the event of a wanted type
    after = calls[calls.index(next(c for c in calls if c[0] == "message" and b"response.created" in c[1])):]
    assert [c[0] for c in after[:5]] == ["message", "signal", "message", "signal", "received"]
    assert [c[1] for c in after if c[0] == "signal"] == ["ResponseStarted", "ResponseEnded"]
    assert [c for c in calls if c[0] == "received"] == [("received", "response.done")]


async def test_a_typed_text_goes_out_as_an_event_and_an_opening_message_has_no_event():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        log = Log()
        client.attach(log)
        from semantic_kernel_realtime.protocol import RealtimeExecutionSettings

        async with client(settings=RealtimeExecutionSettings(instructions="Be brief.")):
            await client.send(RealtimeTextEvent(text=TextContent(text="hi")))
            await _next_of(server, "conversation.item.create")
        sent = [c for c in log.calls if c[0] == "sent"]
        assert sent[0] == ("sent", None, '{"type":"session.update","sess')  # the opening message
        assert sent[1] == ("sent", "RealtimeTextEvent", '{"type":"conversation.item.cre')


async def _next_of(server, etype):
    while True:
        event = await server.next_received()
        if event["type"] == etype:
            return event


async def test_a_session_that_does_not_open_ends_its_hooks_with_the_cause():
    client = OpenAIRealtimeWebsocket(api_key="x", base_url="http://127.0.0.1:9/v1")  # nothing listens there
    log = Log()
    client.attach(log)
    try:
        await client.create_session()
    except ConnectionFailedError:
        pass
    else:
        raise AssertionError("connected to nothing")
    assert log.calls[0][0] == "started" and log.calls[-1][0] == "ended"
    assert "did not open" in log.calls[-1][1] and not any(c[0] == "opened" for c in log.calls)


async def test_a_hook_failing_at_the_end_never_keeps_receive_waiting_and_detach_takes_effect(caplog):
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        quiet = Quiet()
        client.attach(quiet)
        async with client(settings=None):
            await server.connected.wait()
            await server.close(1011)
            events = await _until(client, "client.session_ended")
        assert isinstance(events[-1], SessionEndedEvent)
        assert "a hook that fails at the end" in caplog.text
        client.detach(quiet)
        assert client.hooks == ()
        async with client(settings=None):
            assert client.connection.hooks == ()


class Failing(SessionHooks):
    """Fails on everything sent and every raw message received."""

    wants_sent = True
    wants_messages = True

    def sent(self, event, message):
        raise ValueError("sent broke")

    def message_received(self, message):
        raise ValueError("message broke")


async def test_a_hook_failing_on_sent_or_received_messages_is_reported_and_the_session_goes_on():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        client.attach(Failing())
        async with client(settings=None):
            await client.send(RealtimeTextEvent(text=TextContent(text="hi")))
            assert (await _next_of(server, "conversation.item.create"))["item"]["content"][0]["text"] == "hi"
            await server.send({"type": "response.done", "event_id": "e1", "response": {"id": "r1"}})
            events = await _until(client, "response.done")
            await client.send(RealtimeEvent(service_type="response.create"))
            await _next_of(server, "response.create")  # still sending
            assert client.is_open
    failures = [e for e in events if isinstance(e, ObserverErrorEvent)]
    causes = [e.cause for e in failures]
    assert "session hook Failing failed on a sent RealtimeTextEvent: ValueError: sent broke" in causes, causes
    assert causes[-1] == "session hook Failing failed on a received message: ValueError: message broke"
    assert isinstance(failures[-1].error, ValueError)
    assert events[-2] is failures[-1]  # reported just before the event of the message it failed on


async def test_info_logs_say_opened_configured_and_closed_and_debug_is_one_line_per_event(caplog):
    caplog.set_level(logging.INFO, logger="semantic_kernel_realtime.client")
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client(settings=None):
            await server.send({"type": "session.updated", "event_id": "e1", "session": {
                "type": "realtime", "model": "gpt-realtime", "output_modalities": ["audio"],
                "audio": {"output": {"voice": "marin"}}, "tools": [{"type": "function", "name": "f"}]}})
            await _until(client, "session.updated")
            await client.send(RealtimeEvent(service_type="response.create"))
            await server.next_received()
        info = [r.getMessage() for r in caplog.records if r.name == "semantic_kernel_realtime.client"]
        assert info[0] == "realtime session opened: openai-ga over WebSocketTransport, model gpt-realtime"
        assert "realtime session configured: model gpt-realtime, voice marin, output audio, 1 tools" in info
        assert info[-1] == "realtime session closed by the client"
        assert not [r for r in caplog.records if r.levelno == logging.DEBUG]  # none below the level

        caplog.clear()
        caplog.set_level(logging.DEBUG, logger="semantic_kernel_realtime.client")
        async with client(settings=None):
            await server.send({"type": "response.created", "event_id": "e2", "response": {"id": "r"}})
            await _until(client, "response.created")
            await client.send(RealtimeEvent(service_type="response.create"))
            await _next_of(server, "response.create")
        debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG
                 and r.name == "semantic_kernel_realtime.client"]
        assert debug == ["received session.created", "received response.created", "sent response.create"], debug
        opened = next(r.getMessage() for r in caplog.records if "opened" in r.getMessage())
        assert opened.endswith("model gpt-realtime")  # the last session was closed by the client: no cause to report


async def test_reopening_after_an_unexpected_end_says_why_the_previous_one_ended(caplog):
    caplog.set_level(logging.INFO, logger="semantic_kernel_realtime.client")
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        await client.create_session()
        await server.connected.wait()
        server.drop()
        await _until(client, "client.session_ended")
        ended = [r for r in caplog.records if r.getMessage().startswith("realtime session ended: ")]
        assert ended and ended[0].levelno == logging.WARNING
        async with client(settings=None):
            pass
    reopened = [r.getMessage() for r in caplog.records if r.getMessage().startswith("realtime session opened")][-1]
    assert "(the previous session ended: " in reopened
