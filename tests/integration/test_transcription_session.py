"""A transcription session end to end: our client, the embedded server and its offline recogniser.

Voice activity detection cuts the turn, the server transcribes it (delta, segment, completed) and never
answers; the same session is reachable through a minted client secret.
"""

from __future__ import annotations

import asyncio
import wave

import pytest
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.speech.defaults import default_transcriber
from tests.shared import audio_fixture

SEGMENT = "conversation.item.input_audio_transcription.segment"
COMPLETED = "conversation.item.input_audio_transcription.completed"


@pytest.fixture(scope="module")
def transcriber():
    found = default_transcriber()
    if found is None:
        pytest.skip("offline speech recogniser not installed")
    return found


def _sun_rises() -> bytes:
    with wave.open(str(audio_fixture("sun-rises.pcm16-16k.wav"))) as wav:
        assert wav.getframerate() == 16000
        return wav.readframes(wav.getnframes())


async def test_a_transcription_session_transcribes_with_segments_and_no_response(transcriber):
    pcm = _sun_rises()
    settings = RealtimeExecutionSettings(
        session_type="transcription", input_audio_format={"type": "audio/pcm", "rate": 16000},
        input_audio_transcription={"model": "gpt-4o-transcribe", "language": "en"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 500})
    async with LocalRealtimeServer(transcriber=transcriber, speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        seen: list = []
        async with client(settings=settings):
            for offset in range(0, len(pcm), 640):  # 20 ms at 16 kHz
                await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[offset:offset + 640],
                                                                        data_format="base64")))
            for _ in range(50):
                await client.send(RealtimeAudioEvent(audio=AudioContent(data=bytes(640), data_format="base64")))

            async def until_completed():
                async for event in client.receive():
                    seen.append(event)
                    if event.service_type == COMPLETED:
                        return

            await asyncio.wait_for(until_completed(), 60)
            await asyncio.sleep(0.3)  # a response, if one were (wrongly) started, would have begun by now
            while not client.receive_buffer.empty():
                seen.append(client.receive_buffer.get_nowait())
    types = [getattr(e, "service_type", None) for e in seen]
    updated = next(e for e in seen if e.service_type == "session.updated")
    assert updated.service_event["session"]["type"] == "transcription"
    segment = next(e for e in seen if e.service_type == SEGMENT).service_event
    transcript = next(e for e in seen if e.service_type == COMPLETED).service_event["transcript"]
    assert "sun rises in the east" in transcript.lower()
    assert segment["text"] == transcript and segment["end"] > segment["start"] >= 0
    assert not [t for t in types if t and t.startswith("response.")]


async def test_a_transcription_session_from_a_client_secret(transcriber):
    import aiohttp

    async with LocalRealtimeServer(transcriber=transcriber, speech=False) as server, aiohttp.ClientSession() as http:
        body = {"session": {"type": "transcription", "audio": {"input": {
            "transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": {"type": "server_vad"}}}}}
        async with http.post(f"{server.base_url}/realtime/client_secrets", json=body) as answer:
            minted = await answer.json()
            assert answer.status == 200, minted
    assert minted["session"]["type"] == "transcription"
    assert minted["session"]["audio"]["input"]["transcription"]["model"] == "gpt-4o-transcribe"
    assert minted["value"].startswith("ek_")
