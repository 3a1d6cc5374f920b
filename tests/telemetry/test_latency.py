"""The per-turn latency event after a spoken question, checked against the test's own measurement.

The test streams a recorded question at real-time pace in 20 ms chunks, notes with a session hook of its own
when the transport took each chunk (the moment telemetry also counts from; on a loaded machine the send
loop may take a chunk a while after the test handed it over), and watches the received events itself (a
synchronous observer sees each event when the client does): speech end = when the chunk holding the VAD's
``audio_end_ms`` was sent, voice-to-voice = from there to the first response audio. The
``TurnLatencyEvent`` must agree within 20 ms, and can be no longer than the same figure counted from the
handover. Gemini Live places no end of speech: there speech end is when the last chunk with sound was sent
before the service's first sign of having heard it, and the agreement is within 40 ms (the client sends the
audio resampled to 16 kHz, whose filter may move the last sound into the next 20 ms chunk).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeTextEvent

from semantic_kernel_realtime import GoogleLiveWebsocket, OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.events import TextDoneEvent, TurnLatencyEvent
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber
from semantic_kernel_realtime.telemetry import RealtimeTelemetry
from semantic_kernel_realtime.telemetry.turns import is_silent
from tests.audio import read_wav
from tests.openai_schema import FIXTURES

CHUNK = 960  # 20 ms of PCM16 24 kHz


class SentAudio(SessionHooks):
    """When the transport took each audio chunk: (monotonic time, end position in bytes, whether it had sound)."""

    wants_sent = True

    def __init__(self) -> None:
        self.chunks: list[tuple[float, int, bool]] = []
        self._end = 0

    def sent(self, event, message) -> None:
        if isinstance(event, RealtimeAudioEvent):
            data = event.audio.data
            self._end += len(data)
            self.chunks.append((time.monotonic(), self._end, not is_silent(data)))


@pytest.fixture(scope="module")
def engines():
    transcriber, synthesizer = default_transcriber(), default_synthesizer()
    if transcriber is None or synthesizer.name != "espeak-ng":
        pytest.skip("offline speech engines not installed")
    return transcriber, synthesizer


async def test_voice_to_voice_latency_agrees_with_the_tests_own_measurement_within_20_ms(engines):
    transcriber, synthesizer = engines
    pcm = read_wav(FIXTURES / "audio" / "weather-in-paris.pcm16-24k.wav") + bytes(CHUNK * 50)  # + 1 s silence
    handed: list[tuple[float, int]] = []  # (when the test handed a chunk to the client, end position)
    own: dict[str, float] = {}

    def watch(event) -> None:
        now = time.monotonic()
        if event.service_type == "input_audio_buffer.speech_stopped":
            own["end_ms"] = event.service_event["audio_end_ms"]
        elif isinstance(event, RealtimeAudioEvent) and "end_ms" in own and "first_audio" not in own:
            own["first_audio"] = now

    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        sent = SentAudio()
        client.attach(sent)
        client.attach(RealtimeTelemetry())
        client.add_observer(watch)
        settings = RealtimeExecutionSettings(input_audio_transcription={"model": "whisper-1"},
                                             turn_detection={"type": "server_vad", "silence_duration_ms": 400})
        async with client(settings=settings):

            async def speak() -> None:
                start = time.monotonic()
                for index, offset in enumerate(range(0, len(pcm), CHUNK)):
                    await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))
                    handed.append((time.monotonic(), offset + CHUNK))
                    await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[offset:offset + CHUNK],
                                                                            mime_type="audio/pcm")))

            async def turn() -> TurnLatencyEvent:
                async for event in client.receive():
                    if isinstance(event, TurnLatencyEvent):
                        return event
                raise AssertionError("the session ended before a turn was reported")

            speaker = asyncio.create_task(speak())
            try:
                latency = await asyncio.wait_for(turn(), 30)
            finally:
                speaker.cancel()
    speech_end = next(t for t, end, _ in sent.chunks if end >= own["end_ms"] * 48)
    measured_ms = (own["first_audio"] - speech_end) * 1000
    handed_ms = (own["first_audio"] - next(t for t, end in handed if end >= own["end_ms"] * 48)) * 1000
    assert latency.speech_end_source == "sent_audio"
    assert 0 < latency.voice_to_voice_ms < 15_000
    assert abs(latency.voice_to_voice_ms - measured_ms) <= 20, (latency.voice_to_voice_ms, measured_ms)
    assert latency.voice_to_voice_ms <= handed_ms + 1, (latency.voice_to_voice_ms, handed_ms)
    assert 0 < latency.speech_stopped_ms <= latency.transcript_ms <= latency.voice_to_voice_ms
    assert latency.audio_out_ms > 500 and latency.usage is not None and latency.usage.output_audio_tokens > 0


async def test_on_gemini_speech_end_is_the_last_sound_sent_and_the_turn_agrees_within_40_ms(engines):
    transcriber, synthesizer = engines
    pcm = read_wav(FIXTURES / "audio" / "weather-in-paris.pcm16-24k.wav") + bytes(CHUNK * 50)  # + 1 s silence
    handed: list[tuple[float, bool]] = []  # (when the test handed a chunk to the client, whether it had sound)
    own: dict[str, float] = {}

    def watch(event) -> None:
        now = time.monotonic()
        heard = isinstance(event, (TextDoneEvent, RealtimeAudioEvent)) or (
            isinstance(event, RealtimeTextEvent) and event.text.metadata.get("role") == "user")
        if heard and "heard" not in own:
            own["heard"] = now
            own["speech_end"] = max(t for t, _, sound in sent.chunks if sound)
            own["handed_end"] = max(t for t, sound in handed if sound)
        if isinstance(event, RealtimeAudioEvent) and "first_audio" not in own:
            own["first_audio"] = now

    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        from semantic_kernel_realtime.server.gemini.validation import load

        await asyncio.get_running_loop().run_in_executor(None, load)  # google-genai's types, before the clock
        client = GoogleLiveWebsocket(api_key="x", base_url=server.gemini_base_url)
        sent = SentAudio()
        client.attach(sent)
        client.attach(RealtimeTelemetry())
        client.add_observer(watch)
        settings = RealtimeExecutionSettings(input_audio_transcription={"model": "whisper-1"})
        async with client(settings=settings):

            async def speak() -> None:
                start = time.monotonic()
                for index, offset in enumerate(range(0, len(pcm), CHUNK)):
                    await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))
                    chunk = pcm[offset:offset + CHUNK]
                    handed.append((time.monotonic(), not is_silent(chunk)))
                    await client.send(RealtimeAudioEvent(audio=AudioContent(data=chunk, mime_type="audio/pcm")))

            async def turn() -> TurnLatencyEvent:
                async for event in client.receive():
                    if isinstance(event, TurnLatencyEvent):
                        return event
                raise AssertionError("the session ended before a turn was reported")

            speaker = asyncio.create_task(speak())
            try:
                latency = await asyncio.wait_for(turn(), 30)
            finally:
                speaker.cancel()
    measured_ms = (own["first_audio"] - own["speech_end"]) * 1000
    handed_ms = (own["first_audio"] - own["handed_end"]) * 1000
    assert latency.speech_end_source == "sent_sound" and latency.speech_stopped_ms is None
    assert 0 < latency.voice_to_voice_ms < 15_000
    assert abs(latency.voice_to_voice_ms - measured_ms) <= 40, (latency.voice_to_voice_ms, measured_ms)
    assert latency.voice_to_voice_ms <= handed_ms + 1, (latency.voice_to_voice_ms, handed_ms)
    assert 0 < latency.transcript_ms <= latency.voice_to_voice_ms
    assert latency.audio_out_ms > 500 and latency.usage is not None and latency.response_ids
