"""Audio formats both ways, our client against the embedded server with the offline speech engines.

Out (the server's deterministic tone voice): a G.711 session's output reaches ``audio_output_callback`` as
int16 PCM at 24 kHz whose waveform matches the PCM16 session's output of the same words. In: 16 kHz PCM and
8 kHz A-law put on the send queue are converted to what the session expects and transcribed as well as the
24 kHz recording.
"""

from __future__ import annotations

import asyncio
import struct
import wave

import numpy as np
import pytest
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber
from tests.shared import audio_fixture

TRANSCRIBED = "conversation.item.input_audio_transcription.completed"


@pytest.fixture(scope="module")
def engines():
    transcriber = default_transcriber()
    synthesizer = default_synthesizer()
    if transcriber is None or synthesizer.name != "espeak-ng":
        pytest.skip("offline speech engines not installed")
    return transcriber, synthesizer


def read_pcm(name: str, rate: int) -> bytes:
    with wave.open(str(audio_fixture(name))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (rate, 2, 1)
        return wav.readframes(wav.getnframes())


def read_g711(name: str) -> bytes:
    """The data chunk of a G.711 WAV (format tag 6 or 7, which the ``wave`` module does not read)."""
    data = audio_fixture(name).read_bytes()
    offset = 12
    while offset < len(data):
        chunk, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        if chunk == b"fmt ":
            assert struct.unpack("<HHI", data[offset + 8:offset + 16]) == (6, 1, 8000)  # A-law, mono, 8 kHz
        if chunk == b"data":
            return data[offset + 8:offset + 8 + size]
        offset += 8 + size + size % 2
    raise AssertionError("no data chunk")


async def _spoken_output(server, output_format: str) -> np.ndarray:
    played: list[np.ndarray] = []
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url,
                                     audio_output_callback=played.append)
    settings = RealtimeExecutionSettings(output_modalities=["audio"], output_audio_format=output_format,
                                         turn_detection=None)
    async with client(settings=settings):
        await client.send(RealtimeTextEvent(text=TextContent(text="The sun rises in the east")))
        await client.send(RealtimeEvent(service_type="response.create"))

        async def done():
            async for event in client.receive():
                if event.service_type == "response.done":
                    return

        await asyncio.wait_for(done(), 30)
    assert played and all(chunk.dtype == np.int16 for chunk in played)
    return np.concatenate(played).astype(np.float64)


def _best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 480) -> float:
    """Pearson correlation of the two waveforms at the best alignment within ``max_lag`` samples."""
    best = -1.0
    for lag in range(-max_lag, max_lag + 1, 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(len(x), len(y))
        if n < len(a) // 2:
            continue
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


@pytest.mark.parametrize("g711", ["audio/pcmu", "audio/pcma"])
async def test_g711_output_plays_as_pcm16_matching_the_pcm16_output(g711):
    # The tone voice: eSpeak NG's waveform differs from run to run (two PCM16 runs correlate ~0.7), the tone
    # voice's is the same every time, so the formats are what is compared.
    async with LocalRealtimeServer(speech=False) as server:
        pcm = await _spoken_output(server, "audio/pcm")
        decoded = await _spoken_output(server, g711)
    assert abs(len(decoded) - len(pcm)) < 24 * 40  # same duration within 40 ms (24 kHz both)
    assert _best_correlation(decoded, pcm) > 0.95


async def _transcript(server, chunks: list[bytes], mime_type: str | None, **client_fields) -> str:
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, **client_fields)
    settings = RealtimeExecutionSettings(input_audio_transcription={"model": "whisper-1"},
                                         turn_detection={"type": "server_vad", "silence_duration_ms": 400,
                                                         "create_response": False})
    async with client(settings=settings):
        for chunk in chunks:
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=chunk, data_format="base64",
                                                                    mime_type=mime_type)))

        async def transcript():
            async for event in client.receive():
                if event.service_type == TRANSCRIBED:
                    return event.service_event["transcript"].lower()

        return await asyncio.wait_for(transcript(), 60)


def _chunks(data: bytes, size: int, silence: bytes) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] + [silence] * 40  # 800 ms ends the turn


async def test_alaw_8k_and_pcm_16k_input_are_transcribed_as_well_as_24k(engines):
    transcriber, synthesizer = engines
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        at_24k = await _transcript(server, _chunks(read_pcm("whats-the-weather.pcm16-24k.wav", 24000), 960,
                                                   bytes(960)), None)
        alaw = await _transcript(server, _chunks(read_g711("whats-the-weather.g711-alaw-8k.wav"), 160,
                                                 b"\xd5" * 160), "audio/pcma")
        at_16k = await _transcript(server, _chunks(read_pcm("sun-rises.pcm16-16k.wav", 16000), 640, bytes(640)),
                                   None, input_audio_sample_rate=16000)
        stated_16k = await _transcript(server, _chunks(read_pcm("sun-rises.pcm16-16k.wav", 16000), 640,
                                                       bytes(640)), "audio/pcm;rate=16000")
    weather_24k, weather_alaw = _hits(at_24k, WEATHER), _hits(alaw, WEATHER)
    assert weather_24k >= 4 and "weather" in alaw
    assert weather_alaw >= weather_24k - 1  # the telephone band costs at most one word
    assert _hits(at_16k, SUN_RISES) >= len(set(SUN_RISES)) - 2, at_16k
    assert stated_16k == at_16k


WEATHER = "what's the weather like in san francisco california".split()
SUN_RISES = ("the sun rises in the east and sets in the west this simple fact has been observed by humans for "
             "thousands of years").split()


def _hits(transcript: str, reference: list[str]) -> int:
    """Reference words the transcript has (each counted once)."""
    return len(set(transcript.split()) & set(reference))
