"""The transport contract the client composes with.

A transport carries JSON *text* messages both ways (already-serialised strings out; the client owns the
codec) and, for media transports such as WebRTC, PCM16 audio. A transport that does not carry audio also takes
``bytes`` in ``send_text()``: UTF-8 JSON text the codec built directly (the audio fast path). Lifecycle:
``open()`` once, then ``send_text()``/``send_audio()`` and ``listen()`` concurrently, then ``close()`` (idempotent).

Receiving is push, not pull: ``listen(on_message)`` calls ``on_message`` synchronously in the
transport's own receive path (the socket read or the data-channel event), one complete message at a
time and in order, starting with any that arrived before ``listen()`` was called. There is no queue
and no task hop between the network and the consumer, and no polling. ``listen()`` returns only by
raising: :class:`ConnectionClosedError` when the connection has ended, whoever closed it, or the
exception ``on_message`` raised (the connection is then closed).

Flow control (optional, :class:`FlowControl`): ``pause_reading()`` stops handing on what arrives until
``resume_reading()``; the receiver's limit (the client's receive queue) calls them. A transport pauses where
its protocol lets the sender feel it (WebSocket: the socket is not read, so TCP backpressure reaches the
server); what already arrived waits, in order; nothing is dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

#: Called with each received JSON text message: ``str``, or the UTF-8 ``bytes`` straight off the wire.
MessageSink = Callable[[str | bytes], None]

#: Called with each received chunk of PCM16 mono little-endian audio at 24 kHz (media transports only).
AudioReceiver = Callable[[bytes], Awaitable[None] | None]


class Inbox:
    """Where a transport hands received messages; what ``listen()`` is made of.

    Messages are kept, in order, until :meth:`listen` attaches the sink, then handed to it directly.
    If the sink raises, the inbox keeps the exception, drops everything after it, and :meth:`listen`
    raises it; :meth:`deliver` returns it so the transport can close the connection. A transport that
    cannot stop its peer from sending (a WebRTC data channel) holds messages here while paused
    (:meth:`pause` / :meth:`resume`), in order.
    """

    __slots__ = ("_early", "_sink", "error", "_held", "_listening")

    def __init__(self) -> None:
        self._early: list[str | bytes] = []
        self._sink: MessageSink = self._early.append
        self.error: Exception | None = None
        self._held: deque[str | bytes] | None = None  # not None while paused
        self._listening: MessageSink | None = None

    def deliver(self, message: str | bytes) -> Exception | None:
        """Hand one message on; the sink's exception if it raised just now."""
        if self.error is not None:
            return None
        try:
            self._sink(message)
        except Exception as exc:
            self.error = exc
            return exc
        return None

    async def listen(self, on_message: MessageSink, wait_ended: Callable[[], Awaitable[object]]) -> None:
        """Deliver what arrived so far, then everything until ``wait_ended()`` returns; raise the sink's error."""
        early = self._early
        for message in early:
            on_message(message)
        early.clear()
        self._listening = on_message
        if self._held is None:
            self._sink = on_message
        try:
            await wait_ended()
        finally:
            self._listening = None
            self._sink = early.append
        if self.error is not None:
            raise self.error

    def pause(self) -> None:
        """Hold what arrives (in order) instead of handing it on, until :meth:`resume`."""
        if self._held is None:
            self._held = deque()
            self._sink = self._held.append

    def resume(self) -> None:
        """Hand on what was held, in order, then everything as it arrives (unless paused again meanwhile)."""
        held = self._held
        if held is None:
            return
        self._held = None
        self._sink = self._listening if self._listening is not None else self._early.append
        while held:
            if self.deliver(held.popleft()) is not None:
                return
            if self._held is not None:  # the sink paused us again: keep the rest first, in order
                held.extend(self._held)
                self._held = held
                self._sink = held.append
                return


@runtime_checkable
class Transport(Protocol):
    """What the client needs from a transport."""

    #: True when audio travels as media (WebRTC track) instead of base64 JSON events.
    carries_audio: bool

    async def open(self) -> None:
        """Connect. Raises ConnectionFailedError / AuthenticationError."""
        ...

    async def send_text(self, message: str) -> None:
        """Send one JSON text message (``str``, or UTF-8 ``bytes`` where ``carries_audio`` is False).
        Raises ConnectionClosedError once closed."""
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
class FlowControl(Protocol):
    """A transport whose receiving can be paused (optional: see the module rules)."""

    def pause_reading(self) -> None:
        """Stop handing on what arrives (it waits, in order)."""
        ...

    def resume_reading(self) -> None:
        """Hand on what waited, then everything as it arrives."""
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
