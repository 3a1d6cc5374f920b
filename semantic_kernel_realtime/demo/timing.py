"""The timing table of a session, computed from its log alone (so ``replay`` prints the same table).

Clock: the log's monotonic timestamps. "Speech end" is when the client *sent* the audio at the VAD's
``audio_end_ms`` (input audio is streamed in real time, so that is when the user stopped talking);
latencies are measured from there. Tool time runs from the completed call to its output being sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from semantic_kernel_realtime.demo.session_log import MEDIA_AUDIO, Record

BYTES_PER_MS = 48  # PCM16 mono at 24 kHz
OUTPUT_AUDIO = ("response.output_audio.delta", "response.audio.delta")


def _b64_bytes(text: object) -> int:
    if not isinstance(text, str):
        return 0
    return len(text) * 3 // 4 - text.count("=", -2)


@dataclass
class Span:
    start: float
    end: float
    label: str = ""


@dataclass
class Timeline:
    """Moments and spans of one session, in seconds on the log's clock (None when absent)."""

    session_open: float | None = None
    audio_in: list[tuple[float, int, int]] = field(default_factory=list)  # (t, start byte, n bytes) sent
    speech: list[Span] = field(default_factory=list)  # user speech per VAD, mapped to send time
    vad_events: list[tuple[float, str]] = field(default_factory=list)  # (t received, type)
    speech_end: float | None = None
    speech_stopped: float | None = None
    transcript_done: float | None = None
    tools: list[Span] = field(default_factory=list)  # call completed -> output sent
    audio_out: list[tuple[float, int]] = field(default_factory=list)  # (t received, n bytes)
    responses: list[Span] = field(default_factory=list)  # response.created -> response.done
    answer_done: float | None = None

    @property
    def first_answer_audio(self) -> float | None:
        after = self.speech_end if self.speech_end is not None else float("-inf")
        return next((t for t, _ in self.audio_out if t >= after), None)

    @property
    def answer_audio_seconds(self) -> float:
        return sum(n for _, n in self.audio_out) / BYTES_PER_MS / 1000


def _sent_time_of(audio_in: Sequence[tuple[float, int, int]], position_ms: float) -> float | None:
    """When the chunk holding ``position_ms`` of the input audio was sent."""
    target = position_ms * BYTES_PER_MS
    for t, start, size in audio_in:
        if start + size >= target:
            return t
    return audio_in[-1][0] if audio_in else None


def timeline(records: Iterable[Record]) -> Timeline:
    tl = Timeline()
    position = 0
    calls: dict[str, float] = {}
    created: dict[str, float] = {}
    started_ms: float | None = None
    for r in records:
        etype, event = r.type, r.event
        if r.direction == "sent":
            if tl.session_open is None:
                tl.session_open = r.t
            if etype in ("input_audio_buffer.append", MEDIA_AUDIO):
                size = _b64_bytes(event.get("audio"))
                tl.audio_in.append((r.t, position, size))
                position += size
            elif etype == "conversation.item.create":
                item = event.get("item") or {}
                if item.get("type") == "function_call_output" and item.get("call_id") in calls:
                    tl.tools.append(Span(calls.pop(item["call_id"]), r.t, str(item.get("call_id"))))
            continue
        if r.direction != "received":
            continue
        if etype == "input_audio_buffer.speech_started":
            tl.vad_events.append((r.t, etype))
            started_ms = event.get("audio_start_ms")
        elif etype == "input_audio_buffer.speech_stopped":
            tl.vad_events.append((r.t, etype))
            end_ms = event.get("audio_end_ms")
            if isinstance(end_ms, (int, float)):
                tl.speech_end = _sent_time_of(tl.audio_in, end_ms)
                begin = _sent_time_of(tl.audio_in, started_ms) if isinstance(started_ms, (int, float)) else None
                if begin is not None and tl.speech_end is not None:
                    tl.speech.append(Span(begin, tl.speech_end, "user speech"))
            tl.speech_stopped = r.t
        elif etype == "input_audio_buffer.committed":
            tl.vad_events.append((r.t, etype))
        elif etype == "conversation.item.input_audio_transcription.completed":
            tl.transcript_done = r.t
        elif etype == "response.function_call_arguments.done":
            calls.setdefault(str(event.get("call_id")), r.t)
        elif etype in OUTPUT_AUDIO or etype == MEDIA_AUDIO:
            tl.audio_out.append((r.t, _b64_bytes(event.get("delta", event.get("audio")))))
        elif etype == "response.created":
            created[str((event.get("response") or {}).get("id"))] = r.t
        elif etype == "response.done":
            rid = str((event.get("response") or {}).get("id"))
            tl.responses.append(Span(created.pop(rid, r.t), r.t, rid))
            tl.answer_done = r.t
        elif etype == "output_audio_buffer.stopped" and tl.answer_done is not None:
            tl.answer_done = r.t  # WebRTC: the answer is done when its audio has played out
    return tl


def _ms(a: float | None, b: float | None) -> str:
    return f"{(b - a) * 1000:7.0f} ms" if a is not None and b is not None else "      –   "


def timing_rows(tl: Timeline) -> list[tuple[str, str]]:
    tool = sum(s.end - s.start for s in tl.tools) if tl.tools else None
    return [
        ("speech end -> VAD speech_stopped", _ms(tl.speech_end, tl.speech_stopped)),
        ("speech end -> user transcript", _ms(tl.speech_end, tl.transcript_done)),
        ("speech end -> tool call", _ms(tl.speech_end, tl.tools[0].start if tl.tools else None)),
        ("tool time (call -> result sent)", _ms(0.0, tool) if tool is not None else _ms(None, None)),
        ("speech end -> first response audio", _ms(tl.speech_end, tl.first_answer_audio)),
        ("response audio length", f"{tl.answer_audio_seconds * 1000:7.0f} ms"),
        ("total (session open -> answer done)", _ms(tl.session_open, tl.answer_done)),
    ]


def format_timing(records: Iterable[Record]) -> str:
    rows = timing_rows(timeline(records))
    width = max(len(label) for label, _ in rows)
    return "\n".join(["timing:"] + [f"  {label:<{width}}  {value}" for label, value in rows])
