"""An application written once: a voice agent that answers one spoken question with a kernel function.

It is what an app author writes against the package's public names only: agent instructions, a plugin,
settings, and a receive loop that matches events by class and protocol-neutral fields. It names no provider
and no wire event (``tests/integration/test_same_app.py`` checks that on this file's source): the connector
it is handed decides which service it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionResultEvent

from semantic_kernel_realtime import (
    RealtimeClientBase,
    RealtimeExecutionSettings,
    ResponseDoneEvent,
    SessionEndedEvent,
    TextDoneEvent,
    Usage,
    UsageEvent,
)
from tests.integration.plugins import WeatherPlugin

INSTRUCTIONS = "You are a weather assistant. Answer in one sentence; use the get_weather tool for the weather."
CHUNK_MS = 20


@dataclass
class Answer:
    """What the app saw of one spoken question."""

    heard: str = ""
    said: str = ""
    audio_bytes: int = 0
    tool_results: list[str] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)
    responses: list[ResponseDoneEvent] = field(default_factory=list)


async def ask(client: RealtimeClientBase, pcm16: bytes, plugin: WeatherPlugin) -> Answer:
    """Speak ``pcm16`` (at ``client.input_audio_sample_rate``) into a session and collect the spoken answer."""
    kernel = Kernel()
    kernel.add_plugin(plugin, "weather")
    settings = RealtimeExecutionSettings(instructions=INSTRUCTIONS, input_audio_transcription={"model": "whisper-1"},
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    chunk = client.input_audio_sample_rate * 2 * CHUNK_MS // 1000
    silence = b"\0" * client.input_audio_sample_rate * 2  # a second of silence ends the user's turn
    answer = Answer()
    async with client(settings=settings, kernel=kernel):
        audio = pcm16 + silence
        for offset in range(0, len(audio), chunk):
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=audio[offset:offset + chunk],
                                                                    mime_type="audio/pcm")))
        async for event in client.receive():
            if isinstance(event, TextDoneEvent):
                if event.role == "user":
                    answer.heard = event.text
                else:
                    answer.said = event.text
            elif isinstance(event, RealtimeAudioEvent):
                answer.audio_bytes += len(event.audio.data)
            elif isinstance(event, RealtimeFunctionResultEvent):
                answer.tool_results.append(str(event.function_result.result))
            elif isinstance(event, UsageEvent):
                answer.usage.append(event.usage)
            elif isinstance(event, SessionEndedEvent):
                raise AssertionError(f"the session ended early: {event.cause}")
            elif isinstance(event, ResponseDoneEvent):
                answer.responses.append(event)
                if not event.asked_for_tools:
                    break  # the answer (a response that asked for tools is followed by the next one)
    return answer
