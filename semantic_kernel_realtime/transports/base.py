"""The transport contract the client composes with.

A transport carries JSON *text* messages both ways (already-serialised strings; the client owns the
codec) and, for media transports such as WebRTC, PCM16 audio. Lifecycle: ``open()`` once, then
``send_text()``/``send_audio()`` and ``recv()`` concurrently, then ``close()`` (idempotent).
``recv()`` returns the next text message and raises :class:`ConnectionClosedError` when the
connection has ended, whoever closed it; it never returns ``None`` and never polls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

#: Called with each received chunk of PCM16 mono little-endian audio at 24 kHz (media transports only).
AudioReceiver = Callable[[bytes], Awaitable[None] | None]


@runtime_checkable
class Transport(Protocol):
    """What the client needs from a transport."""

    #: True when audio travels as media (WebRTC track) instead of base64 JSON events.
    carries_audio: bool

    async def open(self) -> None:
        """Connect. Raises ConnectionFailedError / AuthenticationError."""
        ...

    async def send_text(self, message: str) -> None:
        """Send one JSON text message. Raises ConnectionClosedError once closed."""
        ...

    async def recv(self) -> str:
        """Next received text message. Raises ConnectionClosedError when the connection ended."""
        ...

    async def close(self) -> None:
        """Close (idempotent); a pending ``recv()`` then raises ConnectionClosedError(clean=True)."""
        ...


@runtime_checkable
class MediaTransport(Transport, Protocol):
    """A transport that also carries audio as media (``carries_audio`` is True): WebRTC."""

    async def send_audio(self, pcm16: bytes) -> None:
        """Queue PCM16 mono 24 kHz audio (any chunk size) for the outgoing track."""
        ...

    async def clear_audio(self) -> None:
        """Drop queued outgoing audio (barge-in)."""
        ...
