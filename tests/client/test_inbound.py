"""Inbound, the session's receive path: real OpenAI codec, real asyncio queue; the transport's role is played
by calling the sink the way a transport does (one message at a time, synchronously)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import numpy as np
import pytest
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime.client.inbound import Inbound
from semantic_kernel_realtime.protocol.openai import OpenAICodec

PCM = (np.sin(np.arange(480) / 5) * 8000).astype("<i2").tobytes()


def audio(n: int) -> str:
    return json.dumps({"type": "response.output_audio.delta", "event_id": f"a{n}", "item_id": "i",
                       "delta": base64.b64encode(PCM).decode()})


def text(n: int) -> str:
    return json.dumps({"type": "response.output_audio_transcript.delta", "event_id": f"t{n}", "item_id": "i",
                       "delta": str(n)})


class Session:
    """An Inbound wired as the client wires it, recording the order in which things happen."""

    def __init__(self, callback=None) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.log: list[str] = []
        self.callback = callback
        self.inbound = Inbound(OpenAICodec().decode, self._put, lambda: self.callback,
                               canonical=OpenAICodec.canonical_type)
        self.inbound.subscribe([(None, lambda event: self.log.append(f"observed {_id(event)}"))])

    def _put(self, event) -> None:
        self.log.append(f"queued {_id(event)}")
        self.queue.put_nowait(event)

    def queued(self) -> list[str]:
        return [_id(e) for e in self.queue._queue]


def _id(event) -> str:
    return event.service_event["event_id"] if isinstance(event.service_event, dict) else event.service_type


async def test_sync_path_plays_observes_and_queues_each_event_in_the_receive_call():
    played: list[np.ndarray] = []
    session = Session()
    session.callback = lambda pcm: (played.append(pcm), session.log.append("played"))
    for message in (text(1), audio(2), text(3)):
        session.inbound.message(message)  # no await: done by the time the call returns
    assert session.queued() == ["t1", "a2", "t3"]
    assert session.log == ["observed t1", "queued t1", "played", "observed a2", "queued a2",
                           "observed t3", "queued t3"]
    assert played[0].dtype == np.int16 and played[0].tobytes() == PCM


async def test_an_async_callback_that_waits_keeps_the_order_and_plays_before_queueing():
    release = asyncio.Event()
    session = Session()

    async def slow_player(pcm: np.ndarray) -> None:
        session.log.append("play started")
        await release.wait()
        session.log.append("play done")

    session.callback = slow_player
    session.inbound.message(text(1))
    session.inbound.message(audio(2))
    session.inbound.message(text(3))  # arrives while the callback waits: it waits behind a2
    session.inbound.message(audio(4))
    await asyncio.sleep(0.05)
    assert session.queued() == ["t1"]
    release.set()
    await asyncio.wait_for(session.inbound.finish(), 1)
    assert session.queued() == ["t1", "a2", "t3", "a4"]
    assert session.log == ["observed t1", "queued t1", "play started", "play done", "observed a2", "queued a2",
                           "observed t3", "queued t3", "play started", "play done", "observed a4", "queued a4"]
    # the backlog is empty again: the synchronous path is back
    session.callback = None
    session.inbound.message(text(5))
    assert session.queued()[-1] == "t5"


async def test_a_failing_callback_is_logged_and_its_event_still_queued(caplog):
    def broken(pcm: np.ndarray) -> None:
        raise RuntimeError("speaker unplugged")

    async def broken_async(pcm: np.ndarray) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("speaker unplugged (async)")

    session = Session(broken)
    with caplog.at_level(logging.ERROR, logger="semantic_kernel_realtime.client"):
        session.inbound.message(audio(1))
        session.callback = broken_async
        session.inbound.message(audio(2))
        await asyncio.wait_for(session.inbound.finish(), 1)
    assert session.queued() == ["a1", "a2"]
    assert "speaker unplugged" in caplog.text and "speaker unplugged (async)" in caplog.text


async def test_track_audio_from_event_takes_the_same_path_in_order():
    release = asyncio.Event()
    played: list[int] = []

    async def player(pcm: np.ndarray) -> None:
        played.append(len(pcm))
        await release.wait()

    session = Session(player)
    session.inbound.message(audio(1))
    track_event = OpenAICodec().decode(audio(2))[0]
    session.inbound.event(track_event)
    release.set()
    await asyncio.wait_for(session.inbound.finish(), 1)
    assert session.queued() == ["a1", "a2"] and played == [480, 480]
    assert isinstance(session.queue._queue[1], RealtimeAudioEvent)


async def test_cancelled_while_a_callback_waits_queues_the_rest_without_callbacks():
    calls = 0

    async def stuck(pcm: np.ndarray) -> None:
        nonlocal calls
        calls += 1
        await asyncio.Event().wait()  # never returns

    session = Session(stuck)
    for message in (audio(1), text(2), audio(3)):
        session.inbound.message(message)
    finishing = asyncio.ensure_future(session.inbound.finish())
    await asyncio.sleep(0.05)
    finishing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await finishing
    assert session.queued() == ["a1", "t2", "a3"]  # nothing lost, order kept
    assert calls == 1


async def test_observers_see_only_the_event_types_they_name_beta_names_included():
    seen: dict[str, list[str]] = {"all": [], "transcripts": []}
    session = Session()
    session.inbound.subscribe([
        (None, lambda event: seen["all"].append(event.service_type)),
        (frozenset({"response.output_audio_transcript.delta"}),
         lambda event: seen["transcripts"].append(event.service_type)),
    ])
    beta_transcript = json.dumps({"type": "response.audio_transcript.delta", "event_id": "b1", "item_id": "i",
                                  "delta": "x"})
    for message in (text(1), audio(2), beta_transcript, audio(3), text(4)):
        session.inbound.message(message)
    assert seen["all"] == ["response.output_audio_transcript.delta", "response.output_audio.delta",
                           "response.audio_transcript.delta", "response.output_audio.delta",
                           "response.output_audio_transcript.delta"]
    assert seen["transcripts"] == ["response.output_audio_transcript.delta", "response.audio_transcript.delta",
                                   "response.output_audio_transcript.delta"]
    assert session.queued() == ["t1", "a2", "b1", "a3", "t4"]
