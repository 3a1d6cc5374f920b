"""Where a response's audio goes: the engine hands PCM16 24 kHz chunks to an :class:`AudioSink`.

Rules:
- The engine always emits the transport-neutral events itself (``response.output_audio.done``,
  transcripts, ``response.done``). A sink only moves the audio and emits what is specific to its
  transport: the WebSocket sink sends ``response.output_audio.delta`` (base64 in the part's format);
  a WebRTC track sink (``webrtc.py``) feeds a track and emits ``output_audio_buffer.started`` / ``stopped`` /
  ``cleared``.
- ``write`` may await: that is the sink's backpressure (a socket that drains, a track playing in
  real time, or optional real-time pacing). It never sleeps per chunk unless pacing was asked for.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from semantic_kernel_realtime.server import audio_formats, ids

Emit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class AudioPart:
    """Names the audio content part a chunk belongs to."""

    response_id: str
    item_id: str
    output_index: int
    content_index: int
    format: dict[str, Any]


@runtime_checkable
class AudioSink(Protocol):
    """The output side of a session's audio."""

    async def write(self, part: AudioPart, pcm16: bytes) -> None:
        """Deliver one chunk (PCM16 24 kHz mono, ~20 ms) of ``part``."""
        ...

    async def end(self, part: AudioPart, *, interrupted: bool) -> None:
        """``part`` is complete (or was cut off when ``interrupted``)."""
        ...

    def clear(self) -> bool:
        """``output_audio_buffer.clear``: drop unplayed audio. False when the transport has no such buffer."""
        ...


class WebSocketAudioSink:
    """Sends audio as ``response.output_audio.delta`` events.

    ``drain`` (optional) is awaited after each chunk so a slow socket slows the response down instead of
    growing a queue. ``pace`` (optional) is a speed factor: 1.0 delivers audio no faster than real time
    (useful to test cancellation and barge-in); None, the default, sends as fast as the socket takes it.
    """

    def __init__(
        self,
        emit: Emit,
        *,
        drain: Callable[[], Awaitable[None]] | None = None,
        pace: float | None = None,
    ) -> None:
        self._emit = emit
        self._drain = drain
        self._pace = pace
        self._clock: dict[str, tuple[float, float]] = {}  # item_id -> (start time, seconds sent)

    async def write(self, part: AudioPart, pcm16: bytes) -> None:
        if self._pace:
            await self._wait_for_slot(part, len(pcm16))
        self._emit(
            {
                "type": "response.output_audio.delta",
                "event_id": ids.event_id(),
                "response_id": part.response_id,
                "item_id": part.item_id,
                "output_index": part.output_index,
                "content_index": part.content_index,
                "delta": base64.b64encode(audio_formats.encode(pcm16, part.format)).decode("ascii"),
            }
        )
        if self._drain is not None:
            await self._drain()

    async def _wait_for_slot(self, part: AudioPart, size: int) -> None:
        loop = asyncio.get_running_loop()
        start, sent = self._clock.get(part.item_id, (loop.time(), 0.0))
        due = start + sent / self._pace
        self._clock[part.item_id] = (start, sent + size / (audio_formats.BYTES_PER_MS * 1000))
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def end(self, part: AudioPart, *, interrupted: bool) -> None:
        self._clock.pop(part.item_id, None)

    def clear(self) -> bool:
        return False
