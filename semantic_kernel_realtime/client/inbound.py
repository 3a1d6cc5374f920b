"""The receive path of a session: every received message becomes SK events on the receive queue.

Rules:
- :meth:`Inbound.message` is the transport's ``listen()`` sink. It runs synchronously in the transport's
  receive path, so a decoded event is on the receive queue in the loop iteration that read it from the
  network: no task hop, no await. Per event, in order: output audio goes to the client's
  ``audio_output_callback`` (numpy int16 PCM at the codec's output rate: G.711 output, ``audio/pcmu`` or
  ``audio/pcma``, is decoded and resampled by one stateful converter per format), then the observers see
  the event, then it is queued. A callback wrapped in :class:`WireAudio` gets the wire format's samples
  untouched instead (G.711 as uint8, one byte a sample: a phone bridge passes mu-law through).
- Observers may name the event types they act on (current names: the codec's ``canonical_type`` maps
  older names to them); an event is shown only to the observers that want its type (looked up once per
  type), so audio frames call none of the built-in ones.
- A callback that returns an awaitable (an ``async def``) is awaited on one drain task. Its event and
  everything received after it wait in a backlog meanwhile, so the order holds and each audio event
  still follows its callback; the transport keeps reading. An empty backlog gives the synchronous
  path back.
- A callback error is logged and its event still queued. An observer that raises does not end the
  session: an :class:`~semantic_kernel_realtime.events.ObserverErrorEvent` naming the event type and the
  cause is queued just before the event, and the other observers still see it.
- :meth:`finish` delivers the backlog before the session's end is queued; if it is cancelled the
  rest is queued without callbacks. Nothing received is dropped.
- Events waiting in the backlog count against the receive queue's limit (``hold`` / ``release``: see
  :mod:`.flow`), so a slow ``async`` callback pauses reading as a slow consumer does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime.audio import PCM, FormatConverter, mime_type
from semantic_kernel_realtime.events import ObserverErrorEvent
from semantic_kernel_realtime.protocol._build import audio_bytes

logger = logging.getLogger("semantic_kernel_realtime.client")

EventObserver = Callable[[RealtimeEvents], None]
#: An observer and the event types it wants (``None``: every event).
Subscription = tuple[frozenset[str] | None, EventObserver]

_MAX_CACHED_TYPES = 512  # a server inventing event types cannot grow the lookup without bound


class WireAudio:
    """An ``audio_output_callback`` that wants the output audio as it came off the wire: PCM16 as int16,
    G.711 (``audio/pcmu``, ``audio/pcma``) as its uint8 bytes, undecoded (``client.audio_output_callback =
    WireAudio(callback)``)."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[np.ndarray], Any]) -> None:
        self.callback = callback

    def __call__(self, samples: np.ndarray) -> Any:
        return self.callback(samples)


class Inbound:
    """Decode, play, observe and queue what one session receives.

    Args:
        decode: message -> SK events (the connection's ``codec.decode``).
        put: puts one event on the receive queue.
        callback: returns the current ``audio_output_callback`` (it may be set after the session opened).
        canonical: the current name of an event type (the codec's ``canonical_type``; default: unchanged).
        output_rate: the PCM rate the callback gets (the codec's output rate).
        hold / release: count an event against the receive queue's limit while it waits in the backlog, and
            stop counting it (the queue's own :meth:`~.flow.ReceiveQueue.hold` / ``release``; default: none).
    """

    __slots__ = ("_decode", "_put", "_callback", "_canonical", "_subscriptions", "_by_type", "_backlog",
                 "_drainer", "_output_rate", "_to_pcm", "_hold", "_release")

    def __init__(
        self,
        decode: Callable[[str | bytes], list[RealtimeEvents]],
        put: Callable[[RealtimeEvents], None],
        callback: Callable[[], Callable[[np.ndarray], Any] | None],
        canonical: Callable[[str], str] = str,
        output_rate: int = 24_000,
        hold: Callable[[RealtimeEvents], None] | None = None,
        release: Callable[[RealtimeEvents], None] | None = None,
    ) -> None:
        self._decode = decode
        self._put = put
        self._callback = callback
        self._canonical = canonical
        self._hold = hold if hold is not None else _nothing
        self._release = release if release is not None else _nothing
        self._subscriptions: tuple[Subscription, ...] = ()
        self._by_type: dict[str | None, tuple[EventObserver, ...]] = {}
        self._backlog: deque[RealtimeEvents] | None = None  # not None while a drain task runs
        self._drainer: asyncio.Task[None] | None = None
        self._output_rate = output_rate
        self._to_pcm: dict[str, FormatConverter] = {}  # G.711 MIME type -> its stream's decoder

    def subscribe(self, subscriptions: Sequence[Subscription]) -> None:
        """Set the observers (replacing earlier ones) with the event types each wants."""
        self._subscriptions = tuple(subscriptions)
        self._by_type = {}

    def message(self, message: str | bytes) -> None:
        """The transport sink: one received JSON message."""
        events = self._decode(message)
        if self._backlog is not None:
            self._backlog.extend(events)
            for event in events:
                self._hold(event)
            return
        for index, event in enumerate(events):
            if type(event) is RealtimeAudioEvent and self._callback() is not None:
                self._deliver_from(events, index)
                return
            self._publish(event)

    def event(self, event: RealtimeEvents) -> None:
        """An event received outside the JSON stream (WebRTC track audio), in order with the rest."""
        if self._backlog is not None:
            self._backlog.append(event)
            self._hold(event)
        else:
            self._deliver_from((event,), 0)

    async def finish(self) -> None:
        """Wait until the backlog is delivered (called when listening ends)."""
        if self._drainer is not None:
            await self._drainer

    # -- internals -----------------------------------------------------------------------------------

    def _deliver_from(self, events: Sequence[RealtimeEvents], start: int) -> None:
        for index in range(start, len(events)):
            event = events[index]
            pending = self._play(event)
            if pending is not None:
                self._backlog = backlog = deque(events[index + 1 :])
                hold = self._hold
                hold(event)
                for waiting in backlog:
                    hold(waiting)
                self._drainer = asyncio.get_running_loop().create_task(
                    self._drain(event, pending), name="realtime.audio_callback")
                return
            self._publish(event)

    def _observers_for(self, service_type: str | None) -> tuple[EventObserver, ...]:
        wanted = self._canonical(service_type) if service_type is not None else None
        found = tuple(observer for types, observer in self._subscriptions if types is None or wanted in types)
        if len(self._by_type) < _MAX_CACHED_TYPES:
            self._by_type[service_type] = found
        return found

    def _publish(self, event: RealtimeEvents) -> None:
        observers = self._by_type.get(event.service_type)
        if observers is None:
            observers = self._observers_for(event.service_type)
        for observer in observers:
            try:
                observer(event)
            except Exception as exc:
                self._put(observer_error(_name(observer), event, exc))
        self._put(event)

    def _play(self, event: RealtimeEvents) -> Awaitable[Any] | None:
        """Call the audio callback for an output audio event; its awaitable if it returned one."""
        if type(event) is not RealtimeAudioEvent:
            return None
        callback = self._callback()
        if callback is None:
            return None
        mime = event.audio.mime_type
        try:
            pcm = mime is None or mime == PCM or mime_type(mime) == PCM
            if pcm or type(callback) is WireAudio:
                samples = np.frombuffer(audio_bytes(event.audio), dtype=np.int16 if pcm else np.uint8)
            else:
                samples = self._g711(mime).pcm16(audio_bytes(event.audio))
            result = callback(samples)
        except Exception:
            logger.exception("audio_output_callback failed; audio event still queued")
            return None
        return result if inspect.isawaitable(result) else None

    def _g711(self, mime: str) -> FormatConverter:
        converter = self._to_pcm.get(mime)
        if converter is None:
            converter = self._to_pcm[mime] = FormatConverter(mime, 8000, PCM, self._output_rate)
        return converter

    async def _drain(self, event: RealtimeEvents, pending: Awaitable[Any] | None) -> None:
        backlog = self._backlog
        assert backlog is not None
        try:
            while True:
                if pending is not None:
                    try:
                        await pending
                    except Exception:
                        logger.exception("audio_output_callback failed; audio event still queued")
                self._release(event)
                self._publish(event)
                if not backlog:
                    return
                event = backlog.popleft()
                pending = self._play(event)
        except asyncio.CancelledError:
            # The session is being torn down: queue what is left, without further callbacks.
            self._release(event)
            self._put(event)
            while backlog:
                event = backlog.popleft()
                self._release(event)
                self._put(event)
            raise
        finally:
            self._backlog = None
            self._drainer = None


def observer_error(what: str, event: RealtimeEvents | None, exc: BaseException, shown: str | None = None
                   ) -> ObserverErrorEvent:
    """The receive queue's report that ``what`` failed on ``event`` (logged too); ``shown`` says what it was
    shown when that is not a received event (default: "a <type> event")."""
    etype = event.service_type if event is not None else None
    cause = f"{what} failed on {shown or f'a {etype} event'}: {type(exc).__name__}: {exc}"
    logger.error("%s", cause)
    return ObserverErrorEvent(cause=cause, observed_type=etype, error=exc)


def _nothing(event: RealtimeEvents) -> None:
    return None


def _name(observer: EventObserver) -> str:
    name = getattr(observer, "__qualname__", None) or type(observer).__qualname__
    return f"observer {name}"
