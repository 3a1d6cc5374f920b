"""The embedded server with the offline speech engines (when installed), over the SDK.

Checks the server's wiring: the recogniser's transcript reaches the transcription events and the
responder (a spoken question leads to a tool call), and the answer is synthesised speech whose
transcript is exactly the text spoken.
"""

from __future__ import annotations

import asyncio
import base64
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI

from semantic_kernel_realtime.server import LocalRealtimeServer, validate_server_event
from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber

AUDIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "audio"
CHUNK = 960  # 20 ms of PCM16 24 kHz
WEATHER_TOOL = {
    "type": "function", "name": "weather-get_weather", "description": "Get the current weather for a location",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}



@pytest.fixture(scope="module")
def engines():
    transcriber = default_transcriber()
    if transcriber is None:
        pytest.skip("no offline transcriber installed")
    return transcriber, default_synthesizer()


class Peer:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def until(self, kind: str) -> list[dict[str, Any]]:
        seen = []
        while True:
            event = json.loads(await asyncio.wait_for(self.connection.recv_bytes(), 20))
            validate_server_event(event)
            seen.append(event)
            if event["type"] == kind:
                return seen

    async def send_audio(self, pcm: bytes) -> None:
        for offset in range(0, len(pcm), CHUNK):
            await self.connection.input_audio_buffer.append(
                audio=base64.b64encode(pcm[offset : offset + CHUNK]).decode())


def read_wav(path: Path) -> bytes:
    with wave.open(str(path)) as wav:
        return wav.readframes(wav.getnframes())


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


async def test_spoken_question_to_tool_call_to_spoken_answer(engines):
    transcriber, synthesizer = engines
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
        async with client.realtime.connect(model="gpt-realtime") as connection:
            peer = Peer(connection)
            await peer.until("session.created")
            await connection.session.update(session={"type": "realtime", "tools": [WEATHER_TOOL], "audio": {
                "input": {"transcription": {"model": "whisper-1"}}}})
            await peer.until("session.updated")
            await peer.send_audio(read_wav(AUDIO / "whats-the-weather.pcm16-24k.wav") + bytes(CHUNK * 50))
            events = await peer.until("response.done")
            transcript = of_type(events, "conversation.item.input_audio_transcription.completed")[0]["transcript"]
            assert "weather" in transcript.lower()
            call = of_type(events, "response.function_call_arguments.done")[0]
            location = json.loads(call["arguments"])["location"].lower()
            assert "california" in location or "san francisco" in location

            await connection.conversation.item.create(
                item={"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny and 18 degrees."})
            await connection.response.create()
            answer = await peer.until("response.done")
            spoken = of_type(answer, "response.output_audio_transcript.done")[0]["transcript"]
            assert "Sunny and 18 degrees" in spoken
            assert spoken == "".join(e["delta"] for e in of_type(answer, "response.output_audio_transcript.delta"))
            audio = np.frombuffer(b"".join(
                base64.b64decode(e["delta"]) for e in of_type(answer, "response.output_audio.delta")), dtype="<i2")
            assert np.abs(audio).max() > 1000 and len(audio) / 24000 > 1.0
