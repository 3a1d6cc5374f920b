"""One live connection of a realtime client: transport, codec state, receive path and the two loops.

Rules:
- The client (the long-lived Semantic Kernel service, ``client/base.py``) makes a :class:`Connection`
  for every connection it opens and never reuses one. The client owns the send and receive queues for
  its whole life; a connection drains the first and fills the second while it lives.
- What belongs to one connection lives here: the transport, the codec instance (its decoder state),
  the :class:`~.inbound.Inbound` receive path, the send and listen loops, the recycling clock
  (:mod:`.lifetime`), and the observers of the codec's signals: auto function calling and the live
  ``ChatHistory`` mirror (both the session's: a connection that continues a session is given them), barge-in
  (:mod:`.playback`), then the session hooks that asked for them. Signals are derived only for the codec's
  ``signal_types``; each goes to the observers of its class. An observer (a hook's included) that raises on
  a signal does not end the session: an ``ObserverErrorEvent`` naming the event type and the cause is
  queued, and the other observers still see the signal.
- :meth:`open` connects, attaches the transport to the receive queue's flow control, and sends the opening
  messages, then the items an earlier connection sent that its service never confirmed, then an event
  carried over from the previous connection (one that a failed send had taken off the queue), before
  anything else on the send queue. Every item the codec creates is noted by id (:meth:`unconfirmed`).
- :meth:`run` runs both loops until either ends (service close, network error, a close by the client),
  stops the other, closes the transport (function calling is the supervisor's to stop), and returns the
  :class:`~semantic_kernel_realtime.events.SessionEndedEvent` that says why, or ``None`` when the client
  closed. A close by the service is read by the codec (``close_error``: e.g. Gemini's refusal of a key after
  ``setup`` is an ``AuthenticationError``). An event whose send failed on a broken connection is left in
  :attr:`unsent`, unless it created an item: whether that one reached the service is :meth:`unconfirmed`'s to
  say (its bytes may have left before the send failed), and it is sent again only from there.
- Audio the application sends is converted to what the service expects before it is encoded, by one
  stateful :class:`~semantic_kernel_realtime.audio.FormatConverter` per source format and connection: PCM16
  at ``input_audio_sample_rate`` (or the rate its MIME type states, ``audio/pcm;rate=16000``) or G.711
  (``audio/pcmu`` / ``audio/pcma``), to the codec's input rate and the session's input format
  (``codec.input_mime_type``; PCM16 when the transport carries the audio itself).
- An event that cannot be encoded becomes a ``SendFailedEvent`` on the receive queue; the loop goes on.
- Audio goes out on a direct path when it can (:meth:`send_now`, :meth:`send_pcm_now`): from the caller's task,
  with no queue hop and no task wake-up, while the connection is live, the send queue is empty and no other
  write is under way; otherwise it is queued. Order is kept either way: the send loop waits for a direct write
  in progress before it writes what it took off the queue. Audio is encoded by the codec's ``encode_audio``
  (raw PCM -> the message, no SK event) where it has one. A direct write that fails on a broken connection puts
  its audio back on the send queue (as the loop's ``unsent``, it goes out on the next connection).
- The session's hooks (:mod:`.hooks`) are wired in here, each only where it asked to be, so a connection
  without hooks pays nothing for them. A hook that raises in ``sent`` or ``message_received`` does not end
  the session either: an ``ObserverErrorEvent`` names the hook, what it was shown and the cause. With DEBUG
  logging enabled when the connection is made, one line per event sent and received names its type;
  otherwise no logging code runs per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime.audio import PCM, FormatConverter, mime_rate
from semantic_kernel_realtime.client.hooks import SessionHooks, call_scopes
from semantic_kernel_realtime.client.inbound import Inbound, Subscription, observer_error
from semantic_kernel_realtime.client.lifetime import Lifetime
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

    # Slots: one per live session, many sessions per process (no per-instance __dict__).
    __slots__ = ("client", "transport", "codec", "hooks", "history", "functions", "lifetime", "created", "_prune_at",
                 "recycling", "_request_type", "barge_in", "inbound", "closing", "_input_rates", "_converters",
                 "unsent", "live", "_writing", "_write_waiter", "_encode_audio", "_send_text", "_hook_signals",
                 "_sent", "_plain_audio", "_hook_events", "sink")

    def __init__(
        self, client: RealtimeClientBase, transport: Transport, codec: Codec, hooks: Sequence[SessionHooks] = (),
        *, history: LiveChatHistory | None = None, functions: AutoFunctionCalling | None = None,
    ) -> None:
        self.client = client
        self.transport = transport
        self.codec = codec
        self.hooks = tuple(hooks)
        send, put = client.send_buffer.put_nowait, client.receive_buffer.put_nowait
        # A codec that keeps no output audio or transcript alignment still gets a mirror and barge-in:
        # nothing is ever truncated from its audio, and a truncation keeps the item's words.
        # The mirror and function calling belong to the session: a connection that continues one is given them.
        if history is None:
            history = LiveChatHistory(getattr(codec, "heard_text", None))
        else:
            history.rebind(getattr(codec, "heard_text", None))
        self.history = history
        self.functions = functions if functions is not None else AutoFunctionCalling(
            lambda: client.kernel, lambda: client.session_settings, type(codec), send=send, emit=put,
            timeout=client.function_timeout, max_concurrent_calls=client.max_concurrent_function_calls,
            call_scope=call_scopes(self.hooks),
        )
        #: The duration cap and quiet moments (recycling reads them).
        self.lifetime = Lifetime(getattr(client.reconnect, "recycle_margin", 0.0) or 0.0)
        #: Items this connection created (the codec's ``created_item``) -> the event, until a reconnect asks
        #: which of them the service confirmed (the others are sent again after the replay).
        self.created: dict[str, RealtimeEvents] = {}
        self._prune_at = 64
        #: True when the supervisor replaces this connection on purpose (recycling before the cap).
        self.recycling = False
        #: The ``service_type`` of the codec's response request (sending one is noted in ``lifetime``).
        self._request_type = type(codec).response_request().service_type
        self.barge_in = BargeIn(client.playback, getattr(codec, "output_audio", None) or OutputAudio(), type(codec),
                                send=send, emit=put,
                                service_plays_out=transport.carries_audio, clock=asyncio.get_running_loop().time)
        gate = self.barge_in.gate
        queue = client.receive_buffer
        self.inbound = Inbound(codec.decode, put, lambda: gate(client.audio_output_callback),
                               canonical=codec.canonical_type, output_rate=codec.capabilities.output_sample_rate,
                               hold=getattr(queue, "hold", None), release=getattr(queue, "release", None))
        self.closing = False
        #: The application's PCM rate (the settings' own, else the client's) and the service's.
        stated = getattr(codec, "application_input_rate", None)
        app_rate = (stated(client.session_settings) if stated is not None else None) or client.input_audio_sample_rate
        self._input_rates = (app_rate, codec.capabilities.input_sample_rate)
        #: (source MIME type, wire MIME type) -> the stream's converter (None: it passes unchanged).
        self._converters: dict[tuple[str | None, str], FormatConverter | None] = {}
        #: An event taken off the send queue whose send failed because the connection broke.
        self.unsent: RealtimeEvents | None = None
        #: True while the send loop runs: audio may then be written directly (see :meth:`can_send_now`).
        self.live = False
        #: True while a write to the transport is under way; the send loop's waiter for a direct one.
        self._writing = False
        self._write_waiter: asyncio.Future[None] | None = None
        #: Raw audio in the wire format -> its message, without an SK event (the codec's fast path; None:
        #: ``encode()`` of an event).
        self._encode_audio: Callable[[bytes], str | bytes] | None = getattr(codec, "encode_audio", None)
        self._send_text = transport.send_text
        #: The hooks' signal observers by signal class (one shared empty table without hooks).
        self._hook_signals: dict[type, tuple[SignalObserver, ...]] = _NO_HOOKS
        if self.hooks:
            self._hook_signals = {}
            for hook in self.hooks:
                for signal_type in hook.signal_types:
                    self._hook_signals[signal_type] = (*self._hook_signals.get(signal_type, ()), hook.signal)
        debug = logger.isEnabledFor(logging.DEBUG)
        report = client.receive_buffer.put_nowait
        self._sent: tuple[SentObserver, ...] = (
            *(_guard_sent(hook.sent, report) for hook in self.hooks if hook.wants_sent),
            *((_log_sent,) if debug else ()))
        #: Raw PCM may go straight from the codec to the socket (no media track, nobody to tell); the
        #: conversion it needs is looked up per chunk (the session's input format can change).
        self._plain_audio = self._encode_audio is not None and not transport.carries_audio and not self._sent
        self._hook_events: list[Subscription] = [
            *((hook.event_types, hook.received) for hook in self.hooks if hook.event_types != frozenset()),
            *(((None, _log_received),) if debug else ())]
        raw = tuple(_guard_message(hook.message_received, report) for hook in self.hooks if hook.wants_messages)
        #: The transport's sink: each received message to the hooks that want raw messages, then decoded.
        self.sink: Callable[[str | bytes], None] = _tee(raw, self.inbound.message) if raw else self.inbound.message

    def observe(self, observers: Sequence[Subscription]) -> None:
        """Show received events to the signal observers, then the hooks, then ``observers`` (the application's)."""
        self.inbound.subscribe([(type(self.codec).signal_types, self._signals), *self._hook_events, *observers])

    async def open(self, opening: Sequence[str], carried: RealtimeEvents | None,
                   resent: Sequence[RealtimeEvents] = ()) -> None:
        """Connect, send the opening messages, then ``resent`` (items an earlier connection sent that its
        service never confirmed) and the carried-over event; close again if that fails."""
        await self.transport.open()
        attach = getattr(self.client.receive_buffer, "attach", None)
        if attach is not None:
            attach(self.transport)
        try:
            for hook in self.hooks:
                hook.opened(self)
            for message in opening:
                await self.transport.send_text(message)
                for sent in self._sent:
                    sent(None, message)
            for event in resent:
                await self._send_one(event)
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
            if self._plain_audio and self._no_conversion():
                await self._send_text(self._encode_audio(pcm))  # type: ignore[misc]
            else:
                await self._send_pcm(pcm, None, None)
        except (EncodeError, TransportError) as exc:
            self._direct_failed(exc, pcm_event(pcm))
        finally:
            self._wrote()

    def _no_conversion(self) -> bool:
        """True when raw PCM at the application's rate is what the wire takes (the usual case)."""
        key = (None, getattr(self.codec, "input_mime_type", PCM))
        return (self._converters[key] if key in self._converters else self._converter(*key)) is None

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
                item_id = self.codec.created_item
                if item_id is None or self.created.get(item_id) is not event:
                    self.unsent = event  # the client's next connection sends it first
                # else an item it created: :meth:`unconfirmed` resends it unless the service confirmed it (the
                # bytes may have left before the send failed): carried as well, it would be created twice
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
                if self.lifetime.expired and ended.error is not None:
                    ended = ended.model_copy(update={"cause": f"the session reached its duration cap ({ended.cause})",
                                                     "retryable": True})
        finally:
            self.live = False
            for task in loops:
                task.cancel()
            detach = getattr(self.client.receive_buffer, "detach", None)
            if detach is not None:
                detach(self.transport)
            with contextlib.suppress(Exception):
                await self.transport.close()
            await asyncio.gather(*loops, return_exceptions=True)
        return ended

    def _created(self, item_id: str, event: RealtimeEvents) -> None:
        created = self.created
        created[item_id] = event
        if len(created) >= self._prune_at:  # forget confirmed items: amortised O(1), bounded by the unconfirmed
            has_item = self.history.has_item
            self.created = {key: value for key, value in created.items() if not has_item(key)}
            self._prune_at = 2 * len(self.created) + 64

    def unconfirmed(self) -> list[RealtimeEvents]:
        """The items this connection created that its service never confirmed (not in the mirror), in order."""
        has_item = self.history.has_item
        return [event for item_id, event in self.created.items() if not has_item(item_id)]

    async def _send_one(self, event: RealtimeEvents) -> None:
        if type(event) is RealtimeAudioEvent:
            await self._send_pcm(audio_bytes(event.audio), event, event.audio.mime_type)
            return
        codec = self.codec
        message = codec.encode(event)
        if event.service_type == self._request_type:
            self.lifetime.requested = True
        created = codec.created_item
        if created is not None:
            self._created(created, event)
        await self.transport.send_text(message)
        for sent in self._sent:
            sent(event, message)

    async def _send_pcm(self, data: bytes, event: RealtimeAudioEvent | None, source: str | None) -> None:
        """Convert if needed (``source``: the audio's MIME type, None: PCM16 at the application's rate), then
        the audio as media or as the codec's message; ``event``: what the app sent (None: raw audio)."""
        transport = self.transport
        wire = PCM if transport.carries_audio else getattr(self.codec, "input_mime_type", PCM)
        key = (source, wire)
        converter = self._converters[key] if key in self._converters else self._converter(*key)
        if converter is not None:
            data = converter.convert(data)
            if not data:
                return  # the filter holds these few samples until the next chunk
            event = None
        message: str | bytes | None = None
        if transport.carries_audio:
            await transport.send_audio(data)  # type: ignore[attr-defined]
        else:
            encode_audio = self._encode_audio
            message = encode_audio(data) if encode_audio is not None else self.codec.encode(
                pcm_audio_event("", data, wire))
            await transport.send_text(message)  # type: ignore[arg-type]
        if self._sent:
            if event is None:
                event = pcm_audio_event("", data, wire)
            text = message.decode() if type(message) is bytes else message
            for sent in self._sent:
                sent(event, text)

    def _converter(self, source: str | None, wire: str) -> FormatConverter | None:
        app_rate, service_rate = self._input_rates
        converter = FormatConverter(source or PCM, mime_rate(source, app_rate), wire, service_rate)
        self._converters[(source, wire)] = found = None if converter.identity else converter
        return found

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
            ("the recycling clock", attrgetter("lifetime.observe"), Lifetime.SIGNALS),
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


def _guard_sent(observer: SentObserver, report: Callable[[RealtimeEvents], None]) -> SentObserver:
    """``observer`` (a hook's ``sent``), its failures reported on the receive queue instead of ending the session."""
    def sent(event: RealtimeEvents | None, message: str | None) -> None:
        try:
            observer(event, message)
        except Exception as exc:
            shown = "an opening message" if event is None else f"a sent {event.service_type or type(event).__name__}"
            report(observer_error(_hook_name(observer), event, exc, shown))

    return sent


def _guard_message(observer: Callable[[str | bytes], None], report: Callable[[RealtimeEvents], None]
                   ) -> Callable[[str | bytes], None]:
    """``observer`` (a hook's ``message_received``), its failures reported as :func:`_guard_sent`'s are."""
    def message(raw: str | bytes) -> None:
        try:
            observer(raw)
        except Exception as exc:
            report(observer_error(_hook_name(observer), None, exc, "a received message"))

    return message


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
