"""The transport contract the client composes with.

A transport carries JSON *text* messages both ways (already-serialised strings out; the client owns the
codec) and, for media transports such as WebRTC, PCM16 audio. Lifecycle: ``open()`` once, then
``send_text()``/``send_audio()`` and ``listen()`` concurrently, then ``close()`` (idempotent).

Receiving is push, not pull: ``listen(on_message)`` calls ``on_message`` synchronously in the
transport's own receive path (the socket read or the data-channel event), one complete message at a
time and in order, starting with any that arrived before ``listen()`` was called. There is no queue
and no task hop between the network and the consumer, and no polling. ``listen()`` returns only by
raising: :class:`ConnectionClosedError` when the connection has ended, whoever closed it, or the
exception ``on_message`` raised (the connection is then closed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

#: Called with each received JSON text message: ``str``, or the UTF-8 ``bytes`` straight off the wire.
MessageSink = Callable[[str | bytes], None]

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

    async def listen(self, on_message: MessageSink) -> None:
        """Hand every received message to ``on_message`` until the connection ends, then raise.

        ``on_message`` must be quick and must not block; call ``listen()`` once per connection.
        """
        ...

    async def close(self) -> None:
        """Close (idempotent); a running ``listen()`` then raises ConnectionClosedError(clean=True)."""
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
