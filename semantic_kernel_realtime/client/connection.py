"""One live connection of a realtime client: transport, codec state, receive path and the two loops.

Rules:
- The client (the long-lived Semantic Kernel service, ``client/base.py``) makes a :class:`Connection`
  for every connection it opens and never reuses one. The client owns the send and receive queues for
  its whole life; a connection drains the first and fills the second while it lives.
- What belongs to one connection lives here: the transport, the codec instance (its decoder state),
  the :class:`~.inbound.Inbound` receive path, the send and listen loops, and the observers of the
  codec's signals: auto function calling and the live ``ChatHistory`` mirror. Signals are derived only
  for the codec's ``signal_types``; each goes to the observers of its class.
- :meth:`open` connects and sends the opening messages, then an event carried over from the previous
  connection (one that a failed send had taken off the queue), before anything else on the send queue.
- :meth:`run` runs both loops until either ends (service close, network error, a close by the client),
  stops the other, closes the transport, stops function calling, and returns the
  :class:`~semantic_kernel_realtime.events.SessionEndedEvent` that says why, or ``None`` when the client
  closed. A close by the service is read by the codec (``close_error``: e.g. Gemini's refusal of a key after
  ``setup`` is an ``AuthenticationError``). An event whose send failed on a broken connection is left in
  :attr:`unsent`.
- Audio the application sends at ``input_audio_sample_rate`` is converted to the codec's input rate by one
  stateful :class:`~semantic_kernel_realtime.audio.Resampler` per connection, before it is encoded.
- An event that cannot be encoded becomes a ``SendFailedEvent`` on the receive queue; the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime.audio import Resampler
from semantic_kernel_realtime.client.inbound import Inbound, Subscription
from semantic_kernel_realtime.errors import ConnectionClosedError, EncodeError, TransportError
from semantic_kernel_realtime.events import SendFailedEvent, SessionEndedEvent
from semantic_kernel_realtime.function_calling.auto_invoke import AutoFunctionCalling
from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol._build import audio_bytes, pcm_audio_event
from semantic_kernel_realtime.protocol.base import Codec, Signal
from semantic_kernel_realtime.transports.base import Transport

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase

logger = logging.getLogger("semantic_kernel_realtime.client")

SignalObserver = Callable[[Signal], None]


class Connection:
    """One connection: composes a transport and a codec, and runs them for a client."""

    def __init__(self, client: RealtimeClientBase, transport: Transport, codec: Codec) -> None:
        self.client = client
        self.transport = transport
        self.codec = codec
        self.history = LiveChatHistory()
        self.functions = AutoFunctionCalling(
            lambda: client.kernel, lambda: client.session_settings, type(codec),
            send=client.send_buffer.put_nowait, emit=client.receive_buffer.put_nowait,
            timeout=client.function_timeout,
        )
        self.inbound = Inbound(codec.decode, client.receive_buffer.put_nowait, lambda: client.audio_output_callback,
                               canonical=codec.canonical_type)
        self.closing = False
        rate, wanted = client.input_audio_sample_rate, codec.capabilities.input_sample_rate
        #: Converts the application's audio to the rate the service takes (None when they agree).
        self.resampler = Resampler(rate, wanted) if rate != wanted else None
        #: An event taken off the send queue whose send failed because the connection broke.
        self.unsent: RealtimeEvents | None = None
        self._signal_observers: dict[type, tuple[SignalObserver, ...]] = {}
        for observer, signal_types in ((self.history.observe, LiveChatHistory.SIGNALS),
                                       (self.functions.observe, AutoFunctionCalling.SIGNALS)):
            for signal_type in signal_types:
                self._signal_observers[signal_type] = (*self._signal_observers.get(signal_type, ()), observer)

    def observe(self, observers: Sequence[Subscription]) -> None:
        """Show received events to the signal observers first, then to ``observers`` (the application's)."""
        self.inbound.subscribe([(type(self.codec).signal_types, self._signals), *observers])

    async def open(self, opening: Sequence[str], carried: RealtimeEvents | None) -> None:
        """Connect, send the opening messages and the carried-over event; close again if that fails."""
        await self.transport.open()
        try:
            for message in opening:
                await self.transport.send_text(message)
            if carried is not None:
                await self._send_one(carried)
        except ConnectionClosedError as exc:
            await self.transport.close()
            raise type(self.codec).close_error(exc) from None
        except BaseException:
            await self.transport.close()
            raise

    async def send_loop(self) -> None:
        """Drain the client's send queue to the transport until the connection ends."""
        client = self.client
        queue = client.send_buffer
        while True:
            event = await queue.get()
            try:
                await self._send_one(event)
            except EncodeError as exc:
                logger.warning("event not sent: %s", exc)
                client.receive_buffer.put_nowait(SendFailedEvent(service_event=event, error=exc, cause=str(exc)))
            except TransportError:
                self.unsent = event  # the client's next connection sends it first
                raise
            finally:
                queue.task_done()

    async def listen_loop(self) -> None:
        """Hand everything the transport receives to the receive path until the connection ends."""
        try:
            await self.transport.listen(self.inbound.message)
        finally:
            await self.inbound.finish()

    async def run(self) -> SessionEndedEvent | None:
        """Run both loops; when either ends, stop everything; say why unless the client closed."""
        loops = [
            asyncio.create_task(self.send_loop(), name="realtime.send"),
            asyncio.create_task(self.listen_loop(), name="realtime.listen"),
        ]
        ended: SessionEndedEvent | None = None
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_COMPLETED)
            if not self.closing:
                ended = _ending_event(next(iter(done)), type(self.codec))
        finally:
            for task in loops:
                task.cancel()
            with contextlib.suppress(Exception):
                await self.transport.close()
            await asyncio.gather(*loops, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.functions.aclose()
        return ended

    async def _send_one(self, event: RealtimeEvents) -> None:
        transport = self.transport
        if self.resampler is not None and type(event) is RealtimeAudioEvent:
            pcm = self.resampler.convert(audio_bytes(event.audio))
            if not pcm:
                return  # the filter holds these few samples until the next chunk
            event = pcm_audio_event(event.service_type or "", pcm)
        if transport.carries_audio and type(event) is RealtimeAudioEvent:
            await transport.send_audio(audio_bytes(event.audio))  # type: ignore[attr-defined]
            return
        await transport.send_text(self.codec.encode(event))

    def _signals(self, event: RealtimeEvents) -> None:
        observers = self._signal_observers
        for signal in type(self.codec).signals(event):
            for observer in observers.get(type(signal), ()):
                observer(signal)


def _ending_event(task: asyncio.Task, codec_class: type[Codec]) -> SessionEndedEvent:
    if task.cancelled():
        return SessionEndedEvent(cause="the session was cancelled")
    exc = task.exception()
    if isinstance(exc, ConnectionClosedError):
        error = codec_class.close_error(exc)
        return SessionEndedEvent(cause=str(error), clean=getattr(error, "clean", False), retryable=error.retryable,
                                 error=error)
    if exc is not None:
        return SessionEndedEvent(cause=f"{type(exc).__name__}: {exc}", retryable=getattr(exc, "retryable", False),
                                 error=exc)
    return SessionEndedEvent(cause="the session loop stopped")
