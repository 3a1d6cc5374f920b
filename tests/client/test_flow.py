"""The receive queue's limit: a slow consumer pauses reading (TCP backpressure), nothing is lost or reordered."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path
from typing import Any

import pytest
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent
from websockets.asyncio.server import ServerConnection, serve

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, ReceiveQueue
from semantic_kernel_realtime.client.flow import DEFAULT_MAX_BYTES
from semantic_kernel_realtime.protocol._build import pcm_audio_event

#: The acceptance's figure: the server streams this long at full speed while the application reads nothing.
STREAM_SECONDS = 20.0
DELTA = base64.b64encode(os.urandom(4800)).decode()  # 100 ms of PCM16 at 24 kHz


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Streamer:
    """Streams ``response.output_audio.delta`` events as fast as the socket takes them, numbered in order."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sent = 0
        self._server: Any = None

    async def __aenter__(self) -> Streamer:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    async def _handle(self, connection: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        await connection.send('{"type": "session.created", "event_id": "e", "session": {"type": "realtime"}}')
        deadline = loop.time() + self.seconds
        while loop.time() < deadline:
            await connection.send(f'{{"type": "response.output_audio.delta", "event_id": "{self.sent}", '
                                  f'"response_id": "r", "item_id": "i", "output_index": 0, "content_index": 0, '
                                  f'"delta": "{DELTA}"}}')
            self.sent += 1
        await connection.send('{"type": "rate_limits.updated", "event_id": "end", "rate_limits": []}')
        await connection.wait_closed()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc (Linux)")
async def test_a_slow_consumer_pauses_reading_and_loses_nothing():
    async with Streamer(STREAM_SECONDS) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        before = _rss()
        async with client():
            await asyncio.sleep(STREAM_SECONDS)  # the application reads nothing
            grown = _rss() - before
            held = client.receive_buffer.held_bytes
            numbers = []
            async for event in client.receive():
                if type(event) is RealtimeAudioEvent:
                    numbers.append(int(event.service_event["event_id"]))
                elif event.service_type == "rate_limits.updated":
                    break
    assert grown < 50 * 2**20, f"RSS grew by {grown / 2**20:.0f} MB"
    assert held <= DEFAULT_MAX_BYTES + 2**20  # the limit, plus what one read of the socket held
    assert server.sent > DEFAULT_MAX_BYTES // 4800  # the limit was reached
    assert numbers == list(range(server.sent))  # all of it, in order


class _Flow:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


def test_the_queue_pauses_at_either_limit_and_resumes_at_half():
    queue = ReceiveQueue(max_events=4, max_bytes=10 * 4800)
    flow = _Flow()
    queue.attach(flow)
    for _ in range(3):
        queue.put_nowait(object())
    assert flow.calls == []
    queue.put_nowait(object())
    assert flow.calls == ["pause"] and queue.paused
    queue.put_nowait(object())  # still accepted: nothing is dropped
    assert queue.qsize() == 5 and flow.calls == ["pause"]
    for _ in range(3):
        queue.get_nowait()
    assert flow.calls == ["pause", "resume"] and not queue.paused

    audio = pcm_audio_event("response.output_audio.delta", b"\0" * 4800)
    for _ in range(8):
        queue.put_nowait(audio)
    assert queue.held_bytes == 8 * 4800 and flow.calls == ["pause", "resume", "pause"]  # the events' limit
    queue.set_limits(None, 10 * 4800)
    while queue.qsize():
        queue.get_nowait()
    assert queue.held_bytes == 0 and flow.calls[-1] == "resume"


def test_a_new_transport_attached_to_a_full_queue_starts_paused():
    queue = ReceiveQueue(max_events=1, max_bytes=None)
    queue.put_nowait(object())
    flow = _Flow()
    queue.attach(flow)
    assert flow.calls == ["pause"]
    queue.detach(flow)
    queue.get_nowait()
    assert flow.calls == ["pause"]  # detached: nothing resumed on it


async def test_a_lean_queue_works_as_an_asyncio_queue_without_its_unused_deques():
    from collections import deque

    from semantic_kernel_realtime.client.flow import LazyEvent, LeanQueue

    queue = LeanQueue()
    assert type(queue._queue) is tuple and type(queue._putters) is tuple  # nothing allocated until used
    assert type(queue._finished) is LazyEvent and type(queue._finished._waiters) is tuple
    joined = asyncio.ensure_future(queue.join())
    await asyncio.sleep(0)
    assert joined.done()  # nothing put: join() returns at once
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert await getter == 1 and type(queue._queue) is deque and queue.qsize() == 1
    joined = asyncio.ensure_future(queue.join())
    await asyncio.sleep(0)
    assert not joined.done()
    assert queue.get_nowait() == 2
    queue.task_done()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_lazy_event_wakes_its_waiters():
    from semantic_kernel_realtime.client.flow import LazyEvent

    event = LazyEvent()
    waiters = [asyncio.ensure_future(event.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    event.clear()
    assert not event.is_set()
    again = asyncio.ensure_future(event.wait())
    await asyncio.sleep(0)
    assert not again.done()
    event.set()
    assert await asyncio.wait_for(again, 1) is True
