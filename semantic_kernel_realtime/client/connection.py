"""One live connection of a realtime client: transport, codec state, receive path and the two loops.

Rules:
- The client (the long-lived Semantic Kernel service, ``client/base.py``) makes a :class:`Connection`
  for every connection it opens and never reuses one. The client owns the send and receive queues for
  its whole life; a connection drains the first and fills the second while it lives.
- What belongs to one connection lives here: the transport, the codec instance (its decoder state),
  the :class:`~.inbound.Inbound` receive path, the send and listen loops, and the observers of the
  codec's signals: auto function calling, the live ``ChatHistory`` mirror and barge-in
  (:mod:`.playback`). Signals are derived only for the codec's ``signal_types``; each goes to the
  observers of its class. An observer that raises on a signal does not end the session: an
  ``ObserverErrorEvent`` naming the event type and the cause is queued, and the other observers still
  see the signal.
- :meth:`open` connects and sends the opening messages, then an event carried over from the previous
  connection (one that a failed send had taken off the queue), before anything else on the send queue.
- :meth:`run` runs both loops until either ends (service close, network error, a close by the client),
  stops the other, closes the transport, stops function calling, and returns the
  :class:`~semantic_kernel_realtime.events.SessionEndedEvent` that says why, or ``None`` when the client
  closed. An event whose send failed on a broken connection is left in :attr:`unsent`.
- An event that cannot be encoded becomes a ``SendFailedEvent`` on the receive queue; the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime.client.inbound import Inbound, Subscription, observer_error
from semantic_kernel_realtime.client.playback import BargeIn
from semantic_kernel_realtime.errors import ConnectionClosedError, EncodeError, TransportError
from semantic_kernel_realtime.events import SendFailedEvent, SessionEndedEvent
from semantic_kernel_realtime.function_calling.auto_invoke import AutoFunctionCalling
from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol._build import audio_bytes
from semantic_kernel_realtime.protocol.base import Codec, OutputAudio
from semantic_kernel_realtime.transports.base import Transport

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase

logger = logging.getLogger("semantic_kernel_realtime.client")


class Connection:
    """One connection: composes a transport and a codec, and runs them for a client."""

    def __init__(self, client: RealtimeClientBase, transport: Transport, codec: Codec) -> None:
        self.client = client
        self.transport = transport
        self.codec = codec
        send, put = client.send_buffer.put_nowait, client.receive_buffer.put_nowait
        # A codec that keeps no output audio or transcript alignment (older ones) still gets a mirror and
        # barge-in: nothing is ever truncated from its audio, and a truncation keeps the item's words.
        self.history = LiveChatHistory(getattr(codec, "heard_text", None))
        self.functions = AutoFunctionCalling(
            lambda: client.kernel, lambda: client.session_settings, type(codec), send=send, emit=put,
            timeout=client.function_timeout, max_concurrent_calls=client.max_concurrent_function_calls,
        )
        self.barge_in = BargeIn(client.playback, getattr(codec, "output_audio", None) or OutputAudio(), type(codec),
                                send=send, emit=put,
                                service_plays_out=transport.carries_audio, clock=asyncio.get_running_loop().time)
        gate = self.barge_in.gate
        self.inbound = Inbound(codec.decode, put, lambda: gate(client.audio_output_callback),
                               canonical=codec.canonical_type)
        self.closing = False
        #: An event taken off the send queue whose send failed because the connection broke.
        self.unsent: RealtimeEvents | None = None

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
                ended = _ending_event(next(iter(done)))
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
        if transport.carries_audio and type(event) is RealtimeAudioEvent:
            await transport.send_audio(audio_bytes(event.audio))  # type: ignore[attr-defined]
            return
        await transport.send_text(self.codec.encode(event))

    def _signals(self, event: RealtimeEvents) -> None:
        for signal in type(self.codec).signals(event):
            for name, attribute in _ROUTES.get(type(signal), ()):
                try:
                    getattr(self, attribute).observe(signal)
                except Exception as exc:
                    self.client.receive_buffer.put_nowait(observer_error(name, event, exc))


def _routes() -> dict[type, tuple[tuple[str, str], ...]]:
    routes: dict[type, tuple[tuple[str, str], ...]] = {}
    for name, attribute, kind in (("the history mirror", "history", LiveChatHistory),
                                  ("function calling", "functions", AutoFunctionCalling),
                                  ("barge-in", "barge_in", BargeIn)):
        for signal_type in kind.SIGNALS:
            routes[signal_type] = (*routes.get(signal_type, ()), (name, attribute))
    return routes


#: Signal type -> its observers: (the name in error reports, the connection's attribute). One table for
#: every connection, so an idle session holds none of its own.
_ROUTES = _routes()


def _ending_event(task: asyncio.Task) -> SessionEndedEvent:
    if task.cancelled():
        return SessionEndedEvent(cause="the session was cancelled")
    exc = task.exception()
    if isinstance(exc, ConnectionClosedError):
        return SessionEndedEvent(cause=str(exc), clean=exc.clean, retryable=exc.retryable, error=exc)
    if exc is not None:
        return SessionEndedEvent(cause=f"{type(exc).__name__}: {exc}", retryable=getattr(exc, "retryable", False),
                                 error=exc)
    return SessionEndedEvent(cause="the session loop stopped")
