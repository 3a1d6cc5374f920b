"""The send path's direct writes and the raw-PCM fast path, over real loopback sockets: order, no queue hop."""

from __future__ import annotations

import asyncio
import base64

import numpy as np
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket
from tests.client.loopback import LoopbackServer
from tests.openai_schema import validate_client_event

PCM = (np.sin(np.arange(480) / 5) * 8000).astype("<i2").tobytes()


class CountingQueue(asyncio.Queue):
    """The client's send queue, counting what goes through it."""

    puts = 0

    def put_nowait(self, item):
        self.puts += 1
        super().put_nowait(item)


def _client(base_url: str, **kwargs) -> OpenAIRealtimeWebsocket:
    return OpenAIRealtimeWebsocket(api_key="sk-test", base_url=base_url, ai_model_id="gpt-realtime",
                                   send_buffer=CountingQueue(), **kwargs)


async def _live(client: OpenAIRealtimeWebsocket) -> None:
    while not client.connection.live:
        await asyncio.sleep(0.005)


async def _received(server: LoopbackServer, n: int) -> list[dict]:
    return [await server.next_received() for _ in range(n)]


def _pcm(i: int) -> bytes:
    return (np.full(480, i * 100)).astype("<i2").tobytes()


async def test_send_audio_reaches_the_server_as_a_valid_append_with_the_same_bytes():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await _live(client)
            await client.send_audio(PCM)
            append = await server.next_received()
        validate_client_event(append)
        assert append["type"] == "input_audio_buffer.append"
        assert base64.b64decode(append["audio"]) == PCM


async def test_live_audio_is_written_from_the_callers_task_without_the_queue():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await _live(client)
            queue = client.send_buffer
            before = queue.puts
            await client.send_audio(_pcm(1))
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=_pcm(2), mime_type="audio/pcm")))
            assert queue.puts == before  # neither chunk went through the send queue
            got = await _received(server, 2)
        assert [base64.b64decode(e["audio"]) for e in got] == [_pcm(1), _pcm(2)]


async def test_audio_behind_queued_events_waits_its_turn_and_order_is_kept():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await _live(client)
            queue = client.send_buffer
            before = queue.puts
            # the commit is queued (not audio); the send loop has not run yet, so the audio after it must queue too
            await client.send(RealtimeEvent(service_type="input_audio_buffer.commit"))
            await client.send_audio(_pcm(1))
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=_pcm(2), mime_type="audio/pcm")))
            await client.send(RealtimeEvent(service_type="response.create"))
            assert queue.puts == before + 4
            await client.send_audio(_pcm(3))  # may go directly or queue: either way it comes last
            got = await _received(server, 5)
        assert [e["type"] for e in got] == ["input_audio_buffer.commit", "input_audio_buffer.append",
                                            "input_audio_buffer.append", "response.create",
                                            "input_audio_buffer.append"]
        assert [base64.b64decode(e["audio"]) for e in got if "audio" in e] == [_pcm(1), _pcm(2), _pcm(3)]


async def test_many_chunks_interleaved_with_events_keep_their_order():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await _live(client)
            for i in range(60):
                if i % 7 == 3:
                    await client.send(RealtimeEvent(service_type="input_audio_buffer.commit",
                                                    service_event={"event_id": f"c{i}"}))
                else:
                    await client.send_audio(_pcm(i))
                if i % 5 == 0:
                    await asyncio.sleep(0)
            got = await _received(server, 60)
        order = [int(e["event_id"][1:]) if "event_id" in e else int(np.frombuffer(base64.b64decode(e["audio"]),
                                                                                   "<i2")[0]) // 100 for e in got]
        assert order == list(range(60))


async def test_send_audio_before_the_session_opens_is_queued_and_sent_after_the_opening():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        await client.send_audio(PCM)
        assert client.send_buffer.puts == 1
        async with client():
            append = await server.next_received()
        assert base64.b64decode(append["audio"]) == PCM


async def test_send_audio_at_another_rate_is_resampled_to_the_services():
    async with LoopbackServer() as server:
        client = _client(server.base_url, input_audio_sample_rate=16_000)
        async with client():
            await _live(client)
            for _ in range(10):
                await client.send_audio(PCM)  # 30 ms at 16 kHz each
            got = await _received(server, 10)
        total = sum(len(base64.b64decode(e["audio"])) for e in got)
        assert abs(total - 10 * len(PCM) * 3 // 2) <= 64  # 24 kHz: 1.5x the bytes (the filter holds a few samples)


async def test_empty_audio_gives_send_failed_and_the_session_goes_on():
    async with LoopbackServer() as server:
        client = _client(server.base_url)
        async with client():
            await _live(client)
            await client.send_audio(b"")
            await client.send_audio(PCM)
            append = await server.next_received()
            failed = await asyncio.wait_for(client.receive_buffer.get(), 2)
            while failed.service_type != "client.send_failed":
                failed = await asyncio.wait_for(client.receive_buffer.get(), 2)
        assert base64.b64decode(append["audio"]) == PCM
