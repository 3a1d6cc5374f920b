"""Per-turn latency from protocol-neutral facts: what :class:`~semantic_kernel_realtime.events.TurnLatencyEvent` says.

Rules:
- Pure bookkeeping on a clock the caller gives (``t``, seconds): the live hook passes the loop's
  monotonic time, ``replay`` the recording's timestamps, so a session and its replay report the same
  figures. Inputs are signals (:mod:`~semantic_kernel_realtime.protocol.base`), received audio, audio the
  client sent and tool outputs it sent; nothing here knows a wire protocol. O(1) work per input, bounded memory.
- A turn starts with the user's speech (``SpeechStarted``) or, without speech, with a response; it ends
  when its last response ended and no tool output is awaited: a response that completed after asking
  for tools is followed by the next response of the same turn. Speech starting while a turn has responses
  ends that turn (``interrupted`` when one was still running: a barge-in).
- A service that signals no speech (Gemini Live) starts a turn with its first sign of having heard the user
  after the user spoke: the user's words (``ItemText``), a call, a response. A service that signals no
  response start (Gemini Live) starts a response with its first output while none runs (a call, response
  audio); the ``ResponseEnded`` that follows ends it. Either is assumed only until the service has signalled
  the thing itself once, so a service that does signal them is measured by its signals alone.
- *Speech end* on the client's clock: when the client sent the input audio holding the position where the
  service placed the end of speech (``SpeechStopped.audio_ms``), looked up among the recently sent audio
  (``speech_end_source == "sent_audio"``). When input audio travels as media (a WebRTC track fills gaps
  with silence, so positions do not map to what the client sent) or did not pass the send queue, it is when
  the speech-stopped signal arrived (``"speech_stopped"``). When the service places no end of speech
  (Gemini Live), it is when the client sent the last input chunk with sound in it (:func:`is_silent`) before
  the service's first sign of having heard the user (``"sent_sound"``); the sent audio's sound is then
  needed (:attr:`TurnTracker.wants_sound`), until a speech-stopped position arrives.
- Received audio counts for the current turn once it has a response. Over media, silent track chunks
  are not response audio, and a turn whose responses ended completes once :data:`PLAYED_OUT_MS` of silence
  followed them (the answer has played out; speech has shorter pauses), or when the next turn or the
  session's end comes first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from semantic_kernel_realtime.events import ToolTiming, TurnLatencyEvent, Usage
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    ItemText,
    ResponseEnded,
    ResponseStarted,
    Signal,
    SpeechStarted,
    SpeechStopped,
)

__all__ = ["PLAYED_OUT_MS", "SILENCE_PEAK", "TurnTracker", "is_silent", "sum_usage"]

#: A media audio chunk whose loudest sample is below this (about -54 dBFS) is silence.
SILENCE_PEAK = 64
#: Over media, the answer has played out after this much silence following its last response's end.
PLAYED_OUT_MS = 400
_SENT_KEPT = 4096  # sent audio chunks remembered for mapping speech end (82 s of 20 ms chunks)


def is_silent(pcm16: bytes) -> bool:
    """True when a PCM16 chunk holds no sample louder than :data:`SILENCE_PEAK`."""
    if len(pcm16) < 2:
        return True
    samples = np.frombuffer(pcm16, dtype="<i2", count=len(pcm16) // 2)
    return int(samples.max()) < SILENCE_PEAK and int(samples.min()) > -SILENCE_PEAK


def sum_usage(usages: list[Usage]) -> Usage | None:
    """Field-wise sums (a field stays ``None`` when no usage gave it)."""
    if not usages:
        return None
    totals: dict[str, int | None] = {}
    for f in fields(Usage):
        values = [getattr(u, f.name) for u in usages if getattr(u, f.name) is not None]
        totals[f.name] = sum(values) if values else None
    return Usage(**totals)


@dataclass
class _Turn:
    speech_end: float | None = None
    speech_end_source: str | None = None
    speech_stopped: float | None = None
    transcript: float | None = None
    first_call: float | None = None
    first_response: float | None = None
    first_audio: float | None = None
    last_response_end: float | None = None
    audio_out_bytes: int = 0
    response_ids: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)
    with_calls: set[str] = field(default_factory=set)
    awaiting_follow_up: bool = False
    tools: dict[str, list] = field(default_factory=dict)  # call_id -> [name, start, end]
    usage: list[Usage] = field(default_factory=list)
    interrupted: bool = False
    draining: bool = False  # media: responses ended, the answer still plays
    silent_bytes: int = 0  # media: silence received in a row


#: The key of a response whose start was not signalled and whose id is not known yet (its end names it).
_UNNAMED = ""


class TurnTracker:
    """Measures turns and hands each finished one to ``on_turn`` as a :class:`TurnLatencyEvent`.

    Args:
        on_turn: called with each finished turn.
        input_sample_rate / output_sample_rate: PCM16 mono rates of the sent and received audio.
        media: True when audio travels as media (WebRTC): speech end comes from the speech-stopped signal.
        keep_moments: keep each turn's moments in :attr:`moments`.
    """

    #: The signal classes :meth:`signal` acts on.
    SIGNALS = frozenset({SpeechStarted, SpeechStopped, ItemText, CallCompleted, ResponseStarted, ResponseEnded})

    def __init__(self, on_turn: Callable[[TurnLatencyEvent], None], *, input_sample_rate: int = 24_000,
                 output_sample_rate: int = 24_000, media: bool = False, keep_moments: bool = False) -> None:
        self._on_turn = on_turn
        self._in_bytes_per_ms = input_sample_rate * 2 / 1000
        self._out_bytes_per_ms = output_sample_rate * 2 / 1000
        self._played_out_bytes = PLAYED_OUT_MS * self._out_bytes_per_ms
        self.media = media
        self._sent: deque[tuple[float, int]] = deque(maxlen=_SENT_KEPT)  # (t sent, end position in bytes)
        self._sent_bytes = 0
        self._turn: _Turn | None = None
        self._sound_end: float | None = None  # the last chunk with sound sent since the service last heard the user
        self._speech_signalled = False  # the service has signalled speech (started or stopped) once
        self._speech_placed = False  # ... and placed an end of speech in the input audio
        self._starts_signalled = False  # the service has signalled a response start once
        #: With ``keep_moments``: per finished turn, its moments on the caller's clock (for a timeline).
        self.moments: list[dict[str, float | None]] | None = [] if keep_moments else None
        self._handlers: dict[type, Callable[[float, object], None]] = {
            SpeechStarted: self._speech_started, SpeechStopped: self._speech_stopped, ItemText: self._text,
            CallCompleted: self._call, ResponseStarted: self._response_started, ResponseEnded: self._response_ended,
        }

    @property
    def responding(self) -> bool:
        """True while a response of the current turn runs."""
        return self._turn is not None and bool(self._turn.active)

    @property
    def wants_sound(self) -> bool:
        """True while :meth:`sent_audio` needs to know whether a chunk held sound (the service has placed no
        end of speech yet): a caller may skip :func:`is_silent` otherwise."""
        return not self._speech_placed

    # -- inputs ----------------------------------------------------------------------------------------

    def sent_audio(self, t: float, nbytes: int, *, sound: bool = False) -> None:
        """The client sent ``nbytes`` of input audio at ``t`` (``sound``: not silence, see :func:`is_silent`)."""
        self._sent_bytes += nbytes
        self._sent.append((t, self._sent_bytes))
        if sound and not self._speech_placed:
            self._sound_end = t

    def tool_output(self, t: float, call_id: str) -> None:
        """The client sent the output of a tool call."""
        turn = self._turn
        entry = turn.tools.get(call_id) if turn is not None else None
        if entry is not None and entry[2] is None:
            entry[2] = t

    def counted_audio(self, nbytes: int) -> bool:
        """The hot path for received response audio: True when ``nbytes`` needed no clock reading and were
        counted (or did not count); False when the caller must call :meth:`received_audio` with the time."""
        turn = self._turn
        if turn is None or turn.first_response is None:
            return self._starts_signalled  # else the audio may start a response
        if turn.first_audio is not None and not turn.draining and (turn.active or self._starts_signalled):
            turn.audio_out_bytes += nbytes
            return True
        return False

    def received_audio(self, t: float, nbytes: int, *, silent: bool = False) -> None:
        """``nbytes`` of output audio arrived (``silent``: a media chunk of silence, see :func:`is_silent`)."""
        if not silent and nbytes:
            self._output(t, None)
        turn = self._turn
        if turn is None or turn.first_response is None:
            return
        if silent:
            turn.silent_bytes += nbytes
            if turn.draining and turn.silent_bytes >= self._played_out_bytes:
                self._finish(t, "the answer has played out")
            return
        turn.silent_bytes = 0
        turn.audio_out_bytes += nbytes
        if turn.first_audio is None and nbytes and (turn.speech_end is None or t >= turn.speech_end):
            turn.first_audio = t

    def signal(self, t: float, signal: Signal) -> None:
        handler = self._handlers.get(type(signal))
        if handler is not None:
            handler(t, signal)

    def finish(self, t: float, cause: str = "the session ended") -> None:
        """The session ended: report the current turn if it had a response."""
        self._finish(t, cause)

    # -- signals ---------------------------------------------------------------------------------------

    def _speech_started(self, t: float, signal: object) -> None:
        self._speech_signalled = True
        self._sound_end = None
        turn = self._turn
        if turn is not None and turn.response_ids:
            turn.interrupted = bool(turn.active) or turn.draining or turn.awaiting_follow_up
            self._finish(t, "the user spoke again" + (" before the answer ended" if turn.interrupted else ""))
        if self._turn is None:
            self._turn = _Turn()
        else:  # speech resumed before any response: the turn's speech ends later
            self._turn.speech_end = self._turn.speech_stopped = self._turn.speech_end_source = None

    def _speech_stopped(self, t: float, signal: SpeechStopped) -> None:  # type: ignore[override]
        self._speech_signalled = True
        self._speech_placed = self._speech_placed or signal.audio_ms is not None
        self._sound_end = None
        turn = self._turn
        if turn is None:
            turn = self._turn = _Turn()
        turn.speech_stopped = t
        sent_at = None if self.media or signal.audio_ms is None else self._sent_time(signal.audio_ms)
        if sent_at is not None:
            turn.speech_end, turn.speech_end_source = sent_at, "sent_audio"
        else:
            turn.speech_end, turn.speech_end_source = t, "speech_stopped"

    def _text(self, t: float, signal: ItemText) -> None:  # type: ignore[override]
        if signal.role != "user":
            return
        turn = self._turn
        if turn is None and not self._speech_signalled and self._sound_end is not None:
            turn = self._heard()  # the service heard what the user just said
        if turn is not None and turn.transcript is None:
            turn.transcript = t

    def _call(self, t: float, signal: CallCompleted) -> None:  # type: ignore[override]
        self._output(t, signal.response_id)
        turn = self._turn
        if turn is None:
            return
        call_id = signal.call.call_id or ""
        if call_id and call_id not in turn.tools:
            turn.tools[call_id] = [signal.call.name or "", t, None]
        if turn.first_call is None:
            turn.first_call = t
        if signal.response_id:
            turn.with_calls.add(signal.response_id)

    def _response_started(self, t: float, signal: ResponseStarted) -> None:  # type: ignore[override]
        self._starts_signalled = True
        self._start_response(t, signal.response_id)

    def _start_response(self, t: float, response_id: str) -> None:
        turn = self._turn
        if turn is not None and turn.draining:
            self._finish(t, "the next response started")
        turn = self._heard()
        turn.active.add(response_id)
        turn.response_ids.append(response_id)
        turn.awaiting_follow_up = False
        if turn.first_response is None:
            turn.first_response = t

    def _output(self, t: float, response_id: str | None) -> None:
        """Output of the model (a call, response audio): with a service that signals no response start, the
        first output while no response runs starts one."""
        turn = self._turn
        if self._starts_signalled or (turn is not None and (turn.active or turn.draining)):
            return
        self._start_response(t, response_id or _UNNAMED)

    def _response_ended(self, t: float, signal: ResponseEnded) -> None:  # type: ignore[override]
        turn = self._turn
        if turn is None:
            return
        key = signal.response_id
        if key not in turn.active:
            if _UNNAMED not in turn.active:
                return
            key = _UNNAMED  # the response whose start was its first output: its end names it
            last = len(turn.response_ids) - 1 - turn.response_ids[::-1].index(_UNNAMED)
            turn.response_ids[last] = signal.response_id or _UNNAMED
        turn.active.discard(key)
        turn.last_response_end = t
        if signal.usage is not None:
            turn.usage.append(signal.usage)
        if signal.status == "completed" and signal.response_id in turn.with_calls:
            turn.awaiting_follow_up = True
        if turn.active or turn.awaiting_follow_up:
            return
        if signal.status not in (None, "completed"):
            turn.interrupted = turn.interrupted or signal.status == "cancelled"
            self._finish(t, f"the turn's last response ended {signal.status}")
        elif self.media:
            turn.draining = True
        else:
            self._finish(t, "the turn's last response ended")

    # -- internals ---------------------------------------------------------------------------------------

    def _heard(self) -> _Turn:
        """The service answers what the user said: the current turn (a new one if none), whose speech end is the
        last sound sent when the service placed none."""
        turn = self._turn
        if turn is None:
            turn = self._turn = _Turn()
        if self._sound_end is not None and (turn.speech_end is None or (
                turn.speech_end_source == "sent_sound" and turn.first_response is None)):  # the user spoke on
            turn.speech_end, turn.speech_end_source = self._sound_end, "sent_sound"
        self._sound_end = None
        return turn

    def _sent_time(self, audio_ms: int) -> float | None:
        """When the client sent the input audio holding position ``audio_ms`` (None: no audio sent)."""
        target = audio_ms * self._in_bytes_per_ms
        found = None
        for t, end in reversed(self._sent):
            if end < target:
                break
            found = t
        if found is None and self._sent:
            found = self._sent[-1][0]  # the service counted audio the client did not send (or not via the queue)
        return found

    def _finish(self, t: float, cause: str) -> None:
        turn = self._turn
        if turn is None or turn.first_response is None:
            return  # no response yet: nothing to report (the turn goes on)
        self._turn = None
        end = turn.speech_end
        if self.moments is not None:
            self.moments.append({"speech_end": end, "speech_stopped": turn.speech_stopped,
                                 "transcript": turn.transcript, "first_audio": turn.first_audio,
                                 "first_response": turn.first_response, "last_response_end": turn.last_response_end})

        def since(start: float | None, moment: float | None) -> float | None:
            return round((moment - start) * 1000, 3) if start is not None and moment is not None else None

        self._on_turn(TurnLatencyEvent(
            cause=cause,
            response_ids=turn.response_ids,
            speech_end_source=turn.speech_end_source,
            speech_stopped_ms=since(end, turn.speech_stopped),
            transcript_ms=since(end, turn.transcript),
            first_tool_call_ms=since(end, turn.first_call),
            voice_to_voice_ms=since(end, turn.first_audio),
            time_to_first_audio_ms=since(turn.first_response, turn.first_audio),
            response_ms=since(turn.first_response, turn.last_response_end if turn.last_response_end else t),
            audio_out_ms=round(turn.audio_out_bytes / self._out_bytes_per_ms, 3),
            tools=[ToolTiming(name=name, call_id=call_id, duration_ms=since(start, done))
                   for call_id, (name, start, done) in turn.tools.items()],
            usage=sum_usage(turn.usage),
            interrupted=turn.interrupted,
        ))
