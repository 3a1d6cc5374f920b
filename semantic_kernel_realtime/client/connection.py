"""One live connection of a realtime client: transport, codec state, receive path and the two loops.

Rules:
- The client (the long-lived Semantic Kernel service, ``client/base.py``) makes a :class:`Connection`
  for every connection it opens and never reuses one. The client owns the send and receive queues for
  its whole life; a connection drains the first and fills the second while it lives.
- What belongs to one connection lives here: the transport, the codec instance (its decoder state),
  the :class:`~.inbound.Inbound` receive path, the send and listen loops, and the observers of the
  codec's signals: auto function calling, the live ``ChatHistory`` mirror and barge-in
  (:mod:`.playback`), then the session hooks that asked for them. Signals are derived only for the codec's
  ``signal_types``; each goes to the observers of its class. An observer (a hook's included) that raises on
  a signal does not end the session: an ``ObserverErrorEvent`` naming the event type and the cause is
  queued, and the other observers still see the signal.
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
- Audio goes out on a direct path when it can (:meth:`send_now`, :meth:`send_pcm_now`): from the caller's task,
  with no queue hop and no task wake-up, while the connection is live, the send queue is empty and no other
  write is under way; otherwise it is queued. Order is kept either way: the send loop waits for a direct write
  in progress before it writes what it took off the queue. Audio is encoded by the codec's ``encode_audio``
  (raw PCM -> the message, no SK event) where it has one. A direct write that fails on a broken connection puts
  its audio back on the send queue (as the loop's ``unsent``, it goes out on the next connection).
- The session's hooks (:mod:`.hooks`) are wired in here, each only where it asked to be, so a connection
  without hooks pays nothing for them. With DEBUG logging enabled when the connection is made, one line
  per event sent and received names its type; otherwise no logging code runs per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime.audio import Resampler
from semantic_kernel_realtime.client.hooks import SessionHooks, call_scopes
from semantic_kernel_realtime.client.inbound import Inbound, Subscription, observer_error
from semantic_kernel_realtime.client.playback import BargeIn
from semantic_kernel_realtime.errors import ConnectionClosedError, EncodeError, TransportError
from semantic_kernel_realtime.events import SendFailedEvent, SessionEndedEvent
from semantic_kernel_realtime.function_calling.auto_invoke import AutoFunctionCalling
from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol._build import audio_bytes, audio_content, audio_event, pcm_audio_event
from semantic_kernel_realtime.protocol.base import Codec, OutputAudio, SessionConfigured, Signal
from semantic_kernel_realtime.transports.base import Transport

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase

logger = logging.getLogger("semantic_kernel_realtime.client")

SignalObserver = Callable[[Signal], None]
SentObserver = Callable[[RealtimeEvents | None, str | None], None]


class Connection:
    """One connection: composes a transport and a codec, and runs them for a client."""

    def __init__(
        self, client: RealtimeClientBase, transport: Transport, codec: Codec, hooks: Sequence[SessionHooks] = ()
    ) -> None:
        self.client = client
        self.transport = transport
        self.codec = codec
        self.hooks = tuple(hooks)
        send, put = client.send_buffer.put_nowait, client.receive_buffer.put_nowait
        # A codec that keeps no output audio or transcript alignment still gets a mirror and barge-in:
        # nothing is ever truncated from its audio, and a truncation keeps the item's words.
        self.history = LiveChatHistory(getattr(codec, "heard_text", None))
        self.functions = AutoFunctionCalling(
            lambda: client.kernel, lambda: client.session_settings, type(codec), send=send, emit=put,
            timeout=client.function_timeout, max_concurrent_calls=client.max_concurrent_function_calls,
            call_scope=call_scopes(self.hooks),
        )
        self.barge_in = BargeIn(client.playback, getattr(codec, "output_audio", None) or OutputAudio(), type(codec),
                                send=send, emit=put,
                                service_plays_out=transport.carries_audio, clock=asyncio.get_running_loop().time)
        gate = self.barge_in.gate
        self.inbound = Inbound(codec.decode, put, lambda: gate(client.audio_output_callback),
                               canonical=codec.canonical_type)
        self.closing = False
        rate, wanted = client.input_audio_sample_rate, codec.capabilities.input_sample_rate
        #: Converts the application's audio to the rate the service takes (None when they agree).
        self.resampler = Resampler(rate, wanted) if rate != wanted else None
        #: An event taken off the send queue whose send failed because the connection broke.
        self.unsent: RealtimeEvents | None = None
        #: True while the send loop runs: audio may then be written directly (see :meth:`can_send_now`).
        self.live = False
        #: True while a write to the transport is under way; the send loop's waiter for a direct one.
        self._writing = False
        self._write_waiter: asyncio.Future[None] | None = None
        #: Raw PCM16 -> its message, without an SK event (the codec's fast path, or encode() of an event).
        self._encode_audio: Callable[[bytes], str | bytes] = getattr(codec, "encode_audio", None) or (
            lambda pcm: codec.encode(pcm_event(pcm)))
        self._send_text = transport.send_text
        #: The hooks' signal observers by signal class (one shared empty table without hooks).
        self._hook_signals: dict[type, tuple[SignalObserver, ...]] = _NO_HOOKS
        if self.hooks:
            self._hook_signals = {}
            for hook in self.hooks:
                for signal_type in hook.signal_types:
                    self._hook_signals[signal_type] = (*self._hook_signals.get(signal_type, ()), hook.signal)
        debug = logger.isEnabledFor(logging.DEBUG)
        self._sent: tuple[SentObserver, ...] = (
            *(hook.sent for hook in self.hooks if hook.wants_sent), *((_log_sent,) if debug else ()))
        #: Raw PCM goes straight from the codec to the socket: no resampling, no media track, nobody to tell.
        self._plain_audio = self.resampler is None and not transport.carries_audio and not self._sent
        self._hook_events: list[Subscription] = [
            *((hook.event_types, hook.received) for hook in self.hooks if hook.event_types != frozenset()),
            *(((None, _log_received),) if debug else ())]
        raw = tuple(hook.message_received for hook in self.hooks if hook.wants_messages)
        #: The transport's sink: each received message to the hooks that want raw messages, then decoded.
        self.sink: Callable[[str | bytes], None] = _tee(raw, self.inbound.message) if raw else self.inbound.message

    def observe(self, observers: Sequence[Subscription]) -> None:
        """Show received events to the signal observers, then the hooks, then ``observers`` (the application's)."""
        self.inbound.subscribe([(type(self.codec).signal_types, self._signals), *self._hook_events, *observers])

    async def open(self, opening: Sequence[str], carried: RealtimeEvents | None) -> None:
        """Connect, send the opening messages and the carried-over event; close again if that fails."""
        await self.transport.open()
        try:
            for hook in self.hooks:
                hook.opened(self)
            for message in opening:
                await self.transport.send_text(message)
                for sent in self._sent:
                    sent(None, message)
            if carried is not None:
                await self._send_one(carried)
        except ConnectionClosedError as exc:
            await self.transport.close()
            raise type(self.codec).close_error(exc) from None
        except BaseException:
            await self.transport.close()
            raise

    def can_send_now(self) -> bool:
        """True when audio may be written from the caller's task: live, nothing queued, no write under way."""
        return self.live and not self._writing and not self.closing and self.client.send_buffer.empty()

    async def send_now(self, event: RealtimeAudioEvent) -> None:
        """Send an audio event from the caller's task (only when :meth:`can_send_now`)."""
        self._writing = True
        try:
            await self._send_one(event)
        except (EncodeError, TransportError) as exc:
            self._direct_failed(exc, event)
        finally:
            self._wrote()

    async def send_pcm_now(self, pcm: bytes) -> None:
        """Send one chunk of raw PCM16 from the caller's task (only when :meth:`can_send_now`)."""
        self._writing = True
        try:
            if self._plain_audio:
                await self._send_text(self._encode_audio(pcm))
            else:
                await self._send_pcm(pcm, None)
        except (EncodeError, TransportError) as exc:
            self._direct_failed(exc, pcm_event(pcm))
        finally:
            self._wrote()

    def _direct_failed(self, exc: Exception, event: RealtimeEvents) -> None:
        if isinstance(exc, EncodeError):
            self.client.receive_buffer.put_nowait(SendFailedEvent(service_event=event, error=exc, cause=str(exc)))
        else:
            self.client.send_buffer.put_nowait(event)  # the connection broke: the next one sends it

    def _wrote(self) -> None:
        self._writing = False
        waiter = self._write_waiter
        if waiter is not None:
            self._write_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def send_loop(self) -> None:
        """Drain the client's send queue to the transport until the connection ends."""
        client = self.client
        queue = client.send_buffer
        self.live = True
        while True:
            event = await queue.get()
            try:
                if self._writing:  # a direct write started first: it goes out first
                    self._write_waiter = asyncio.get_running_loop().create_future()
                    await self._write_waiter
                self._writing = True
                await self._send_one(event)
            except EncodeError as exc:
                logger.warning("event not sent: %s", exc)
                client.receive_buffer.put_nowait(SendFailedEvent(service_event=event, error=exc, cause=str(exc)))
            except TransportError:
                self.unsent = event  # the client's next connection sends it first
                raise
            finally:
                self._writing = False
                queue.task_done()

    async def listen_loop(self) -> None:
        """Hand everything the transport receives to the receive path until the connection ends."""
        try:
            await self.transport.listen(self.sink)
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
            self.live = False
            if not self.closing:
                ended = _ending_event(next(iter(done)), type(self.codec))
        finally:
            self.live = False
            for task in loops:
                task.cancel()
            with contextlib.suppress(Exception):
                await self.transport.close()
            await asyncio.gather(*loops, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.functions.aclose()
        return ended

    async def _send_one(self, event: RealtimeEvents) -> None:
        if type(event) is RealtimeAudioEvent:
            await self._send_pcm(audio_bytes(event.audio), event)
            return
        message = self.codec.encode(event)
        await self.transport.send_text(message)
        for sent in self._sent:
            sent(event, message)

    async def _send_pcm(self, pcm: bytes, event: RealtimeAudioEvent | None) -> None:
        """Resample if needed, then the audio as media or as the codec's message; ``event``: what the app sent."""
        if self.resampler is not None:
            pcm = self.resampler.convert(pcm)
            if not pcm:
                return  # the filter holds these few samples until the next chunk
            event = None
        transport = self.transport
        message: str | bytes | None = None
        if transport.carries_audio:
            await transport.send_audio(pcm)  # type: ignore[attr-defined]
        else:
            message = self._encode_audio(pcm)
            await transport.send_text(message)  # type: ignore[arg-type]
        if self._sent:
            if event is None:
                event = pcm_audio_event("", pcm)
            text = message.decode() if type(message) is bytes else message
            for sent in self._sent:
                sent(event, text)

    def _signals(self, event: RealtimeEvents) -> None:
        hooked = self._hook_signals
        for signal in type(self.codec).signals(event):
            kind = type(signal)
            for name, observer_of in _ROUTES.get(kind, ()):
                try:
                    observer_of(self)(signal)
                except Exception as exc:
                    self.client.receive_buffer.put_nowait(observer_error(name, event, exc))
            for observer in hooked.get(kind, ()):
                try:
                    observer(signal)
                except Exception as exc:
                    self.client.receive_buffer.put_nowait(observer_error(_hook_name(observer), event, exc))


def _routes() -> dict[type, tuple[tuple[str, Callable[[Connection], SignalObserver]], ...]]:
    routes: dict[type, tuple[tuple[str, Callable[[Connection], SignalObserver]], ...]] = {}
    for name, observer_of, signal_types in (
            ("the history mirror", attrgetter("history.observe"), LiveChatHistory.SIGNALS),
            ("function calling", attrgetter("functions.observe"), AutoFunctionCalling.SIGNALS),
            ("barge-in", attrgetter("barge_in.observe"), BargeIn.SIGNALS),
            ("the configuration log", lambda connection: _log_configured, frozenset({SessionConfigured}))):
        for signal_type in signal_types:
            routes[signal_type] = (*routes.get(signal_type, ()), (name, observer_of))
    return routes


#: Signal type -> its built-in observers: (the name in error reports, the connection -> its observer). One
#: table for every connection, so an idle session holds none of its own; the hooks' observers follow them.
_ROUTES = _routes()
_NO_HOOKS: dict[type, tuple[SignalObserver, ...]] = {}


def pcm_event(pcm: bytes) -> RealtimeAudioEvent:
    """An audio event for raw PCM16 bytes, built without validation (no service type: the codec names it)."""
    return audio_event(None, None, audio_content(pcm, "audio/pcm"))  # type: ignore[arg-type]


def _hook_name(observer: SignalObserver) -> str:
    owner = getattr(observer, "__self__", observer)
    return f"session hook {type(owner).__name__}"


def _tee(observers: tuple[Callable[[str | bytes], None], ...], sink: Callable[[str | bytes], None]
         ) -> Callable[[str | bytes], None]:
    def message(raw: str | bytes) -> None:
        for observer in observers:
            observer(raw)
        sink(raw)

    return message


def _log_configured(signal: Any) -> None:
    logger.info("realtime session configured: model %s, voice %s, output %s, %d tools", signal.model or "?",
                signal.voice or "?", "+".join(signal.output_modalities) or "?", len(signal.tools))


def _log_sent(event: RealtimeEvents | None, message: str | None) -> None:
    logger.debug("sent %s", (event.service_type or type(event).__name__) if event is not None else "an opening message")


def _log_received(event: RealtimeEvents) -> None:
    logger.debug("received %s", event.service_type)


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
