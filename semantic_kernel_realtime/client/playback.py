"""Barge-in: what a player of output audio reports, and what the client does when the user interrupts.

The playback-position contract (docs/transports.md, "Barge-in"):

- Output audio reaches whatever plays it in order: ``audio_output_callback`` (numpy int16), or the
  ``RealtimeAudioEvent``s of ``receive()``. A player that buffers reports what it has actually played with
  :meth:`Playback.played` (samples of the int16 arrays it was given, i.e. bytes / 2), from any thread. A
  player that never reports is taken to play in real time from the moment an item's first audio arrived.
- The client stops a player through the handlers registered with :meth:`Playback.on_stop` (called on the
  event loop; a player drops its buffer there) and with a
  :class:`~semantic_kernel_realtime.events.StopPlaybackEvent` on the receive queue, queued before the
  event that caused it. Output audio of the interrupted item that still arrives is not given to the
  audio callback (it is still queued).

What :class:`BargeIn` (one per connection) does with it:

- Where the client plays the audio it receives (WebSocket): when the user starts speaking
  (:class:`SpeechStarted`) while some received audio is not played yet, it truncates the item being played
  at the audio actually played (clamped to what was received, whole milliseconds, through the codec's
  ``truncate_request``) and any later item received but not started at 0, then stops the player. The
  service then drops the words not heard; the history mirror follows (:class:`ItemTruncated`).
  A codec without ``truncate_request`` (a service that cannot truncate) sends nothing: the player is
  only stopped.
- Where the service plays out itself (WebRTC: ``transport.carries_audio``) it truncates by itself from
  its own playout; the client sends nothing and stops the local player when the service reports that it
  dropped unplayed audio (:class:`OutputAudioCleared`).
- Where the service cuts the response itself and keeps what it sent (Gemini: :class:`ResponseInterrupted`)
  the client sends nothing and, when some received audio is not played yet, stops the player (the
  ``StopPlaybackEvent`` has no ``audio_end_ms``: nothing was truncated). Gemini says it only while it is
  still generating; audio of a finished answer that is still playing is the application's to stop.
- ``Playback.interrupt`` set to False turns both off (a session whose turn detection does not interrupt).
- The application interrupts by itself with :meth:`BargeIn.interrupt` (``client.interrupt()``: a guardrail, a
  stop button). The response being generated is cancelled (the codec's ``cancel_request``: while a response
  runs where the service announces responses, always where it does not). Where the client plays
  (WebSocket), the player stops at once and what was not heard is cut as on barge-in, the item ``item_id``
  named included even when none of its audio arrived yet (its audio still arriving is not played); while
  the cancelled response is still running the cut waits for its end (the service holds the item's audio only
  then), at the position played when the application interrupted. Where the service plays out (WebRTC) the
  client also asks it to drop its unplayed audio (``clear_audio_request``); it truncates from its own
  playout and the player stops on its :class:`OutputAudioCleared`. Gemini keeps what it sent: the player
  only stops.
- Positions are bytes of the connection's output stream (:class:`OutputAudio`); all work is O(1) per
  event, plus O(segments not played) when the user interrupts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from semantic_kernel.contents.realtime_events import RealtimeEvents

from semantic_kernel_realtime.events import ObserverErrorEvent, StopPlaybackEvent
from semantic_kernel_realtime.protocol.base import (
    AudioSegment,
    Codec,
    OutputAudio,
    OutputAudioCleared,
    ResponseEnded,
    ResponseInterrupted,
    ResponseStarted,
    Signal,
    SpeechStarted,
)

logger = logging.getLogger("semantic_kernel_realtime.client")

#: Bytes per sample of the int16 arrays players are given.
_SAMPLE_BYTES = 2


class Playback:
    """The client's side of the playback-position contract, for the whole life of a client."""

    __slots__ = ("_played", "reporting", "interrupt", "_stop_handlers")

    def __init__(self) -> None:
        self._played = 0  # samples reported; written by the player only
        self.reporting = False
        """True once the player has reported a position (else playback is estimated in real time)."""
        self.interrupt = True
        """Stop playback (and truncate) when the user starts speaking over the assistant."""
        self._stop_handlers: list[Callable[[], Any]] = []

    def played(self, samples: int) -> None:
        """The player has just played ``samples`` more samples of output audio (any thread)."""
        self._played += samples
        self.reporting = True

    @property
    def played_samples(self) -> int:
        """Samples reported played since the client was made."""
        return self._played

    def on_stop(self, handler: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``handler()`` (on the event loop) whenever playback must stop; returns it (a decorator)."""
        self._stop_handlers.append(handler)
        return handler

    def remove_stop_handler(self, handler: Callable[[], Any]) -> None:
        self._stop_handlers.remove(handler)


class BargeIn:
    """One connection's barge-in: reacts to :attr:`SIGNALS`, truncates and stops playback.

    Args:
        playback: the client's :class:`Playback`.
        audio: the codec's :class:`OutputAudio` (its clock is set here).
        codec: the codec class (its ``truncate_request``, when it has one).
        send: puts an event on the send queue; ``emit``: on the receive queue (neither blocks).
        service_plays_out: True where the service plays the audio out itself (WebRTC).
        clock: seconds, monotonic (the event loop's ``time``).
    """

    SIGNALS = frozenset({SpeechStarted, OutputAudioCleared, ResponseInterrupted, ResponseStarted, ResponseEnded})

    __slots__ = ("_playback", "_audio", "_codec", "_truncate", "_send", "_emit", "_service_plays_out", "_clock",
                 "_offset", "muted", "_muted_from", "_active", "_deferred")

    def __init__(self, playback: Playback, audio: OutputAudio, codec: type[Codec],
                 send: Callable[[RealtimeEvents], None], emit: Callable[[RealtimeEvents], None],
                 service_plays_out: bool, clock: Callable[[], float]) -> None:
        self._playback = playback
        self._audio = audio
        self._codec = codec
        self._truncate: Callable[[str, int, int], RealtimeEvents] | None = getattr(codec, "truncate_request", None)
        self._send = send
        self._emit = emit
        self._service_plays_out = service_plays_out
        self._clock = clock
        audio.clock = clock
        self._offset = -playback.played_samples * _SAMPLE_BYTES  # this connection's stream starts now
        self.muted: str | None = None  # the interrupted item: its audio that still arrives is not played
        self._muted_from = 0  # stream position when it was muted: a later item's audio unmutes
        self._active: str | None = None  # the conversation response running (where the service announces them)
        self._deferred: tuple[str, dict[str, tuple[int, int]]] | None = None  # (response id, cuts) to send at its end

    def observe(self, signal: Signal) -> None:
        handler = _HANDLERS.get(type(signal))
        if handler is not None:
            handler(self, signal)

    def position(self) -> int:
        """Bytes of this connection's output audio played so far (reported, else estimated)."""
        audio = self._audio
        if self._playback.reporting:
            return max(0, min(audio.received, self._playback.played_samples * _SAMPLE_BYTES + self._offset))
        segment = audio.current
        if segment is None or segment.started_at is None:
            return audio.received
        elapsed_ms = (self._clock() - segment.started_at) * 1000.0
        return segment.start + min(segment.nbytes, max(0, int(elapsed_ms)) * audio.bytes_per_ms)

    def gate(self, callback: Callable[..., Any] | None) -> Callable[..., Any] | None:
        """``callback``, or ``None`` while the audio arriving belongs to the interrupted item."""
        muted = self.muted
        if muted is not None:
            current = self._audio.current
            if current is not None:
                if current.item_id == muted:
                    return None
                if current.start >= self._muted_from:  # an item that began after the interruption
                    self.muted = None
        return callback

    def interrupt(self, item_id: str | None = None,
                  cause: str = "the application interrupted the response") -> None:
        """Stop the assistant now: cancel the response being generated, stop the player and cut what was not
        heard (see the module rules); ``item_id`` names an item to cut even when none of its audio arrived."""
        cancel = getattr(self._codec, "cancel_request", None)
        announced = self._codec.capabilities.announces_responses
        if cancel is not None and (self._active is not None or not announced):
            self._send(cancel())
        if self._service_plays_out:
            clear = getattr(self._codec, "clear_audio_request", None)
            if clear is not None:
                self._send(clear())
            return  # the service truncates from its own playout and says when it dropped the audio
        audio = self._audio
        unplayed = audio.segments_after(self.position())
        cuts: dict[str, tuple[int, int]] = {}
        for segment, offset in unplayed:
            cuts.setdefault(segment.item_id, (segment.content_index, offset // audio.bytes_per_ms))
        if item_id is not None and item_id not in cuts:
            cuts[item_id] = (0, audio.item_ms(item_id))  # all of it that arrived was played
        if self._truncate is not None and cuts:
            if self._active is not None:
                self._deferred = (self._active, cuts)  # the service holds the item's audio once the response ends
            else:
                self._send_cuts(cuts)
        if unplayed:
            self._drop(unplayed)
        if item_id is not None:
            self.muted, self._muted_from = item_id, audio.received
        if unplayed or item_id is not None:
            first, (_, end_ms) = next(iter(cuts.items()))
            self._stop(f"{cause} at {end_ms} ms into item {first}", first,
                       end_ms if self._truncate is not None else None)

    def _send_cuts(self, cuts: dict[str, tuple[int, int]]) -> None:
        """Truncate each item at its cut, where some of its audio lies past it (or is still to come)."""
        truncate = self._truncate
        assert truncate is not None
        audio = self._audio
        for item_id, (content_index, end_ms) in cuts.items():
            if audio.item_ms(item_id) > end_ms:
                self._send(truncate(item_id, content_index, end_ms))

    # -- handlers --------------------------------------------------------------------------------------

    def _on_speech(self, signal: SpeechStarted) -> None:
        if self._service_plays_out or not self._playback.interrupt:
            return
        audio = self._audio
        unplayed = audio.segments_after(self.position())
        if not unplayed:
            return  # everything received was played: nothing to interrupt
        cuts: dict[str, tuple[int, int]] = {}
        for segment, offset in unplayed:
            cuts.setdefault(segment.item_id, (segment.content_index, offset // audio.bytes_per_ms))
        truncate = self._truncate
        if truncate is not None:
            self._send_cuts(cuts)
        self._drop(unplayed)
        item_id, (_, end_ms) = next(iter(cuts.items()))
        self._stop(f"the user started speaking at {end_ms} ms into item {item_id}", item_id,
                   end_ms if truncate is not None else None)

    def _on_interrupted(self, signal: ResponseInterrupted) -> None:
        if self._service_plays_out or not self._playback.interrupt:
            return
        unplayed = self._audio.segments_after(self.position())
        if not unplayed:
            return  # everything received was played: nothing to stop
        segment, offset = unplayed[0]
        self._drop(unplayed)
        self._stop(f"the service interrupted its response (the user spoke over it) at "
                   f"{offset // self._audio.bytes_per_ms} ms into item {segment.item_id}", segment.item_id, None)

    def _drop(self, unplayed: list[tuple[AudioSegment, int]]) -> None:
        """The player drops what it holds: mute the rest of the item being received if it is among the
        unplayed, and count this connection's stream from what was received."""
        audio = self._audio
        current = audio.current
        if current is not None and any(segment.item_id == current.item_id for segment, _ in unplayed):
            self.muted, self._muted_from = current.item_id, audio.received
        self._offset = audio.received - self._playback.played_samples * _SAMPLE_BYTES  # the player drops the rest

    def _on_started(self, signal: ResponseStarted) -> None:
        if signal.in_conversation:
            self._active = signal.response_id

    def _on_ended(self, signal: ResponseEnded) -> None:
        if signal.response_id is None or signal.response_id != self._active:
            return
        self._active = None
        deferred = self._deferred
        if deferred is not None and deferred[0] == signal.response_id:
            self._deferred = None
            self._send_cuts(deferred[1])  # every byte of the response's audio has arrived by now

    def _on_cleared(self, signal: OutputAudioCleared) -> None:
        if not self._service_plays_out or not self._playback.interrupt:
            return
        self._stop("the service dropped the output audio it had not played (the user interrupted)", None, None)

    def _stop(self, cause: str, item_id: str | None, audio_end_ms: int | None) -> None:
        for handler in list(self._playback._stop_handlers):
            try:
                handler()
            except Exception as exc:
                logger.exception("a playback stop handler failed")
                self._emit(ObserverErrorEvent(cause=f"playback stop handler {handler!r} failed: "
                                                    f"{type(exc).__name__}: {exc}", error=exc))
        self._emit(StopPlaybackEvent(cause=cause, item_id=item_id, audio_end_ms=audio_end_ms))


_HANDLERS: dict[type, Callable[[BargeIn, Any], None]] = {
    SpeechStarted: BargeIn._on_speech, OutputAudioCleared: BargeIn._on_cleared,
    ResponseInterrupted: BargeIn._on_interrupted, ResponseStarted: BargeIn._on_started,
    ResponseEnded: BargeIn._on_ended,
}
