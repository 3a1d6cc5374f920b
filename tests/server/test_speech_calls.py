"""speech_calls.py and the engine's transcription: what a session's settings and tools tell the transcriber."""

from __future__ import annotations

import asyncio
import base64

import numpy as np

from semantic_kernel_realtime.server import speech_calls
from semantic_kernel_realtime.server.engine import SessionEngine

LOCATION_TOOL = {
    "type": "function", "name": "demo-get_weather", "description": "Get the current weather for a location.",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and region, e.g. San Francisco, California"}}},
}


class KeywordTranscriber:
    name = "keywords"

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def transcribe(self, pcm16, *, language=None, prompt=None, keywords=()):
        self.calls.append({"language": language, "prompt": prompt, "keywords": list(keywords)})
        return "heard"


class OlderTranscriber:
    """A transcriber written against the interface before ``keywords`` existed."""

    name = "older"

    def transcribe(self, pcm16, *, language=None, prompt=None):
        return f"older {language} {prompt}"


async def test_keywords_reach_a_transcriber_that_takes_them_and_older_ones_still_work():
    engine = KeywordTranscriber()
    assert await speech_calls.transcribe(engine, b"", language="en", prompt="p", keywords=["paris"]) == "heard"
    assert engine.calls == [{"language": "en", "prompt": "p", "keywords": ["paris"]}]
    older = OlderTranscriber()
    assert await speech_calls.transcribe(older, b"", language="en", prompt="p", keywords=["paris"]) == "older en p"


def _tone(seconds: float) -> bytes:
    t = np.arange(int(24_000 * seconds)) / 24_000
    return (8000 * np.sin(2 * np.pi * 220 * t)).astype("<i2").tobytes()


async def test_the_engine_passes_the_prompt_the_keywords_and_the_tools_names():
    transcriber = KeywordTranscriber()
    events: list[dict] = []
    engine = SessionEngine(events.append, transcriber=transcriber)
    engine.start()
    engine.receive({"type": "session.update", "session": {
        "type": "realtime", "output_modalities": ["text"], "tools": [LOCATION_TOOL],
        "audio": {"input": {"turn_detection": None, "transcription": {
            "model": "whisper-1", "language": "en", "prompt": "Weather questions", "keywords": ["Lisbon"]}}}}})
    engine.receive({"type": "input_audio_buffer.append", "audio": base64.b64encode(_tone(0.5)).decode()})
    engine.receive({"type": "input_audio_buffer.commit"})
    for _ in range(200):
        if any(e["type"] == "conversation.item.input_audio_transcription.completed" for e in events):
            break
        await asyncio.sleep(0.01)
    await engine.close()
    assert transcriber.calls == [{"language": "en", "prompt": "Weather questions",
                                  "keywords": ["lisbon", "san francisco", "california"]}]
