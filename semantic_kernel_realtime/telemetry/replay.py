"""Replay a session log: re-decode it with its session's codec and measure it as a live session is measured.

Rules:
- The codec comes from the log's ``client.connection`` record (its protocol name, looked up in
  :data:`CODECS`: OpenAI GA, Gemini Live); a log without one is read as OpenAI GA. Received messages go
  through a fresh codec instance exactly as live messages do; media audio becomes the same track-audio
  events a live WebRTC session receives. Sent messages are read through their protocol-neutral ``note``
  only (input audio's size and whether it held sound, a tool output's call and output), so tool results and
  speech timing read the same for every protocol.
- :meth:`SessionReplay.turns` feeds the same :class:`~.turns.TurnTracker` the live telemetry uses, on the
  log's clock, so a replay reports the figures a ``TurnLatencyEvent`` reported live (to within the moments
  the two hooks read the clock). :meth:`SessionReplay.timeline` collects what ``--plot`` draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from pybase64 import b64decode
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime.events import CONNECTION, MEDIA_AUDIO, SESSION_LOG, TRACK_AUDIO, TurnLatencyEvent
from semantic_kernel_realtime.protocol import OpenAICodec, audio_bytes, pcm_audio_event
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    Codec,
    ItemText,
    ResponseEnded,
    ResponseStarted,
    Signal,
    SpeechStarted,
    SpeechStopped,
)
from semantic_kernel_realtime.protocol.gemini import GeminiCodec
from semantic_kernel_realtime.telemetry.recording import Record
from semantic_kernel_realtime.telemetry.turns import SILENCE_PEAK, TurnTracker, is_silent

__all__ = ["CODECS", "SessionReplay", "Span", "Step", "Timeline", "format_timing"]

#: Protocol name (``Capabilities.name``, as the ``client.connection`` record holds it) -> codec class.
CODECS: dict[str, type[Codec]] = {codec.capabilities.name: codec for codec in (OpenAICodec, GeminiCodec)}
#: The RMS level (0..1) under which a sent chunk of a log whose notes do not say ``silent`` counts as silence.
_SILENT_LEVEL = SILENCE_PEAK / 32768
DEFAULT_CODEC: type[Codec] = OpenAICodec


@dataclass(frozen=True)
class Step:
    """One record, with the events and signals it decodes to (received) or its note (sent)."""

    record: Record
    events: tuple[Any, ...] = ()
    signals: tuple[Signal, ...] = ()

    @property
    def t(self) -> float:
        return self.record.t

    @property
    def direction(self) -> str:
        return self.record.direction

    @property
    def note(self) -> dict[str, Any]:
        return self.record.note


@dataclass
class Span:
    start: float
    end: float
    label: str = ""


@dataclass
class Timeline:
    """What a session's plot shows, in seconds on the log's clock."""

    input_levels: list[tuple[float, float]] = field(default_factory=list)  # (t sent, RMS 0..1)
    speech: list[Span] = field(default_factory=list)  # user speech, mapped to when its audio was sent
    speech_started: list[float] = field(default_factory=list)  # received
    speech_stopped: list[float] = field(default_factory=list)  # received
    transcripts: list[float] = field(default_factory=list)
    tools: list[Span] = field(default_factory=list)  # call completed -> output sent
    responses: list[Span] = field(default_factory=list)
    audio_out: list[tuple[float, int]] = field(default_factory=list)  # (t received, bytes), silence left out
    output_bytes_per_s: int = 48_000
    turns: list[dict[str, float | None]] = field(default_factory=list)  # TurnTracker moments

    @property
    def audio_out_seconds(self) -> float:
        return sum(n for _, n in self.audio_out) / self.output_bytes_per_s


class SessionReplay:
    """A session log, re-decoded (see the module rules)."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.records = list(records)

    @property
    def header(self) -> dict[str, Any]:
        return next((r.event for r in self.records if r.direction == "meta" and r.type == SESSION_LOG), {})

    @property
    def connection(self) -> dict[str, Any]:
        """The first connection's record (protocol, transport, rates), empty for an old log."""
        return next((r.event for r in self.records if r.direction == "meta" and r.type == CONNECTION), {})

    @property
    def codec_class(self) -> type[Codec]:
        return CODECS.get(str(self.connection.get("protocol")), DEFAULT_CODEC)

    @property
    def wire_events(self) -> int:
        return sum(r.direction in ("sent", "received") for r in self.records)

    def steps(self) -> Iterator[Step]:
        codec_class = self.codec_class
        codec = codec_class()
        for record in self.records:
            if record.direction == "meta":
                if record.type == CONNECTION:
                    codec_class = CODECS.get(str(record.event.get("protocol")), DEFAULT_CODEC)
                    codec = codec_class(model=record.event.get("model"))
                yield Step(record)
            elif record.direction == "received" and record.event:
                if record.type == MEDIA_AUDIO:
                    audio = record.event.get("audio")
                    pcm = b64decode(audio) if isinstance(audio, str) and audio else b""
                    yield Step(record, (pcm_audio_event(TRACK_AUDIO, pcm),))
                    continue
                events = tuple(codec.decode(orjson.dumps(record.event)))
                yield Step(record, events, tuple(s for e in events for s in codec_class.signals(e)))
            else:
                yield Step(record)

    def turns(self, moments: list[dict[str, float | None]] | None = None) -> list[TurnLatencyEvent]:
        """Each turn's latency, measured on the log's clock (``moments`` gets each turn's moments)."""
        found: list[TurnLatencyEvent] = []
        connection = self.connection
        tracker = TurnTracker(found.append, input_sample_rate=int(connection.get("input_sample_rate") or 24_000),
                              output_sample_rate=int(connection.get("output_sample_rate") or 24_000),
                              media=bool(connection.get("media")), keep_moments=True)
        t = 0.0
        for step in self.steps():
            t = step.t
            if step.direction == "sent":
                note = step.note
                if isinstance(note.get("audio_bytes"), int) and not tracker.media:
                    tracker.sent_audio(t, note["audio_bytes"], sound=_sound(note))
                if isinstance(note.get("call_id"), str):
                    tracker.tool_output(t, note["call_id"])
            elif step.direction == "received":
                for signal in step.signals:
                    tracker.signal(t, signal)
                for event in step.events:
                    if isinstance(event, RealtimeAudioEvent):
                        nbytes, silent = _audio(event, step.note)
                        tracker.received_audio(t, nbytes, silent=silent)
        tracker.finish(t)
        if moments is not None:
            moments.extend(tracker.moments or [])
        return found

    def timeline(self) -> Timeline:
        """What ``--plot`` draws (speech mapped to the time its audio was sent, as turns are)."""
        connection = self.connection
        bytes_per_ms = int(connection.get("input_sample_rate") or 24_000) * 2 / 1000
        media = bool(connection.get("media"))
        tl = Timeline(output_bytes_per_s=int(connection.get("output_sample_rate") or 24_000) * 2)
        sent: list[tuple[float, int]] = []  # (t, end position in bytes)
        position, started_ms = 0, None
        calls: dict[str, float] = {}
        created: dict[str, float] = {}
        first_output: float | None = None  # since the last response ended: where an unsignalled start was
        for step in self.steps():
            t, note = step.t, step.note
            if step.direction == "sent":
                if isinstance(note.get("audio_bytes"), int):
                    position += note["audio_bytes"]
                    sent.append((t, position))
                    tl.input_levels.append((t, float(note.get("level") or 0.0)))
                if isinstance(note.get("call_id"), str) and note["call_id"] in calls:
                    tl.tools.append(Span(calls.pop(note["call_id"]), t, str(note.get("name") or "")))
                continue
            for signal in step.signals:
                kind = type(signal)
                if kind is SpeechStarted:
                    tl.speech_started.append(t)
                    started_ms = signal.audio_ms  # type: ignore[union-attr]
                elif kind is SpeechStopped:
                    tl.speech_stopped.append(t)
                    end_ms = signal.audio_ms  # type: ignore[union-attr]
                    if not media and started_ms is not None and end_ms is not None and sent:
                        tl.speech.append(Span(_sent_at(sent, started_ms * bytes_per_ms),
                                              _sent_at(sent, end_ms * bytes_per_ms), "user speech"))
                elif kind is ItemText and signal.role == "user":  # type: ignore[union-attr]
                    tl.transcripts.append(t)
                elif kind is CallCompleted:
                    calls.setdefault(signal.call.call_id or "", t)  # type: ignore[union-attr]
                    first_output = t if first_output is None else first_output
                elif kind is ResponseStarted:
                    created[signal.response_id] = t  # type: ignore[union-attr]
                elif kind is ResponseEnded:  # a start the service did not signal (Gemini): its first output
                    rid = signal.response_id or ""  # type: ignore[union-attr]
                    tl.responses.append(Span(created.pop(rid, t if first_output is None else first_output), t, rid))
                    first_output = None
            for event in step.events:
                if isinstance(event, RealtimeAudioEvent):
                    nbytes, silent = _audio(event, note)
                    if nbytes and not silent:
                        tl.audio_out.append((t, nbytes))
                        first_output = t if first_output is None else first_output
        self.turns(tl.turns)
        return tl


def _audio(event: RealtimeAudioEvent, note: dict[str, Any]) -> tuple[int, bool]:
    """(bytes, silent) of a replayed audio event; sizes of audio left out come from the note."""
    pcm = audio_bytes(event.audio)
    if pcm:
        return len(pcm), event.service_type == TRACK_AUDIO and is_silent(pcm)
    omitted = note.get("omitted_bytes")
    return (omitted if isinstance(omitted, int) else 0), bool(note.get("silent"))


def _sound(note: dict[str, Any]) -> bool:
    """Whether a sent chunk held sound: its note's ``silent`` (or, in an older log, its RMS level)."""
    silent = note.get("silent")
    if isinstance(silent, bool):
        return not silent
    level = note.get("level")
    return isinstance(level, (int, float)) and level >= _SILENT_LEVEL


def _sent_at(sent: Sequence[tuple[float, int]], position: float) -> float:
    for t, end in sent:
        if end >= position:
            return t
    return sent[-1][0]


def _ms(value: float | None) -> str:
    return f"{value:7.0f} ms" if value is not None else "      –   "


def timing_rows(turn: TurnLatencyEvent) -> list[tuple[str, str]]:
    tool = sum(t.duration_ms for t in turn.tools if t.duration_ms is not None) if turn.tools else None
    return [
        ("speech end -> VAD speech stopped", _ms(turn.speech_stopped_ms)),
        ("speech end -> user transcript", _ms(turn.transcript_ms)),
        ("speech end -> tool call", _ms(turn.first_tool_call_ms)),
        ("tool time (call -> result sent)", _ms(tool)),
        ("speech end -> first response audio", _ms(turn.voice_to_voice_ms)),
        ("response start -> first audio", _ms(turn.time_to_first_audio_ms)),
        ("responses (first start -> last end)", _ms(turn.response_ms)),
        ("response audio length", _ms(turn.audio_out_ms)),
    ]


def format_timing(turns: Sequence[TurnLatencyEvent]) -> str:
    """The timing table of each turn (client clock), as the demo and ``replay`` print it."""
    if not turns:
        return "timing: no complete turn"
    lines = []
    for number, turn in enumerate(turns, 1):
        rows = timing_rows(turn)
        width = max(len(label) for label, _ in rows)
        heading = "timing:" if len(turns) == 1 else f"timing, turn {number}:"
        lines += [heading] + [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)
