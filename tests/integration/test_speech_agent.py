"""End to end with our client and the offline speech engines: recorded speech in, kernel tool, speech out."""

from __future__ import annotations

import asyncio
import wave
from typing import Annotated

import numpy as np
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionCallEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.protocol import audio_bytes
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber
from tests.openai_schema import FIXTURES

CHUNK = 960  # 20 ms of PCM16 24 kHz


@pytest.fixture(scope="module")
def engines():
    transcriber = default_transcriber()
    synthesizer = default_synthesizer()
    if transcriber is None or synthesizer.name != "espeak-ng":
        pytest.skip("offline speech engines not installed")
    return transcriber, synthesizer


class Weather:
    def __init__(self) -> None:
        self.asked: list[str] = []

    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "city and region"]) -> str:
        self.asked.append(location)
        return "sunny and eighteen degrees"


def _pcm(name: str) -> bytes:
    with wave.open(str(FIXTURES / "audio" / name)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (24000, 2, 1)
        return wav.readframes(wav.getnframes())


async def _speak(client, pcm: bytes) -> None:
    for offset in range(0, len(pcm), CHUNK):
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[offset:offset + CHUNK], data_format="base64")))
    for _ in range(40):  # 800 ms of silence ends the turn for server VAD
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=bytes(CHUNK), data_format="base64")))


def _settings(**kwargs) -> RealtimeExecutionSettings:
    return RealtimeExecutionSettings(input_audio_transcription={"model": "whisper-1"},
                                     turn_detection={"type": "server_vad", "silence_duration_ms": 400}, **kwargs)


async def test_the_server_transcribes_a_spoken_question(engines):
    transcriber, synthesizer = engines
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=_settings()):
            await _speak(client, _pcm("weather-in-paris.pcm16-24k.wav"))
            async for event in client.receive():
                if event.service_type == "conversation.item.input_audio_transcription.completed":
                    transcript = event.service_event["transcript"].lower()
                    break
    assert "weather" in transcript and "paris" in transcript


async def test_a_spoken_question_runs_the_kernel_function_and_the_answer_is_spoken(engines):
    transcriber, synthesizer = engines
    weather = Weather()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    answer_audio: list[bytes] = []
    transcript_deltas: list[str] = []
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        settings = _settings(function_choice_behavior=FunctionChoiceBehavior.Auto(), voice="cedar")
        async with client(settings=settings, kernel=kernel):
            await _speak(client, _pcm("whats-the-weather.pcm16-24k.wav"))
            responses = 0

            async def consume():
                nonlocal responses, spoken
                async for event in client.receive():
                    if responses == 1 and isinstance(event, RealtimeAudioEvent):
                        answer_audio.append(audio_bytes(event.audio))
                    elif responses == 1 and event.service_type == "response.output_audio_transcript.delta":
                        transcript_deltas.append(event.service_event["delta"])
                    elif responses == 1 and event.service_type == "response.output_audio_transcript.done":
                        spoken = event.service_event["transcript"]
                    elif isinstance(event, RealtimeFunctionCallEvent) and event.service_type.endswith(".done"):
                        location = event.function_call.parse_arguments()["location"].lower()
                        assert "california" in location or "san francisco" in location
                    elif event.service_type == "response.done":
                        responses += 1
                        if responses == 2:
                            return

            spoken = ""
            await asyncio.wait_for(consume(), 30)
    assert len(weather.asked) == 1
    assert "sunny and eighteen degrees" in spoken  # the answer uses the function's result
    assert "".join(transcript_deltas) == spoken
    pcm = np.frombuffer(b"".join(answer_audio), dtype="<i2")
    seconds = len(pcm) / 24000
    words = len(spoken.split())
    assert np.abs(pcm).max() > 1000, "the answer is silent"
    assert 0.15 < seconds / words < 0.8, f"{seconds:.1f} s of audio for {words} words"
    # eSpeak varies its pitch a little from call to call, and PocketSphinx mishears some renderings of the
    # answer ("sunny and eighteen degrees" -> "some in eighteen countries", 1 in 30 without any of those
    # words), so the audio is judged against the synthesizer's own rendering of the transcript: the same
    # words give the same length and a loudness envelope that correlates above 0.99; other words do not
    # ("cloudy and nine degrees" in the same sentence: 0.66).
    reference = np.frombuffer(synthesizer.synthesize(spoken, voice="cedar"), dtype="<i2")
    assert abs(len(pcm) - len(reference)) < 0.01 * len(reference), f"{len(pcm)} samples, {len(reference)} expected"
    assert _envelope_correlation(pcm, reference) > 0.95, "the answer audio does not say its transcript"


def _envelope_correlation(a: np.ndarray, b: np.ndarray, frame: int = 480) -> float:
    """Correlation of the 20 ms RMS loudness of two PCM16 24 kHz signals, over their common length."""
    frames = min(len(a), len(b)) // frame
    envelopes = [np.sqrt((x[:frames * frame].astype(np.float64).reshape(frames, frame) ** 2).mean(axis=1))
                 for x in (a, b)]
    return float(np.corrcoef(*envelopes)[0, 1])
