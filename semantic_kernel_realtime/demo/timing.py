"""The timing table of a session, computed from its log alone (so ``replay`` prints the same table).

Clock: the log's monotonic timestamps. "Speech end" is when the client *sent* the audio at the VAD's
``audio_end_ms`` (input audio is streamed in real time, so that is when the user stopped talking);
latencies are measured from there. Tool time runs from the completed call to its output being sent.

The log holds wire messages, so reading it is per protocol (the meta record's ``provider``; a log without
one is OpenAI's): :data:`TIMELINES`. Gemini Live says nothing about where speech ended, so there "speech
end" is when the client sent the last audio chunk with sound in it before the service first answered
(the same moment, measured on the client's side); its VAD row stays empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pybase64 import b64decode

from semantic_kernel_realtime.demo.session_log import MEDIA_AUDIO, Record

BYTES_PER_MS = 48  # PCM16 mono at 24 kHz
OUTPUT_AUDIO = ("response.output_audio.delta", "response.audio.delta")
#: A sent chunk whose loudest sample is below this (about -54 dBFS) holds no speech.
SILENCE_PEAK = 64


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
    """The moments of a session log, read with its provider's :data:`TIMELINES` entry."""
    records = list(records)
    meta = next((r.event for r in records if r.direction == "meta"), {})
    return TIMELINES.get(str(meta.get("provider") or "openai"), openai_timeline)(records)


def openai_timeline(records: Iterable[Record]) -> Timeline:
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


def _has_sound(b64: object) -> bool:
    if not isinstance(b64, str) or not b64:
        return False
    samples = np.frombuffer(b64decode(b64), dtype="<i2")
    return bool(len(samples)) and int(np.abs(samples.astype(np.int32)).max()) >= SILENCE_PEAK


def gemini_timeline(records: Iterable[Record]) -> Timeline:
    """Moments of a Gemini Live log: ``realtimeInput`` audio sent, transcriptions, ``toolCall`` /
    ``toolResponse``, ``modelTurn`` audio, ``turnComplete``; speech end from the sound the client sent."""
    tl = Timeline()
    position = 0
    first_sound: float | None = None
    last_sound: float | None = None
    calls: dict[str, float] = {}
    turn_start: float | None = None
    answering = False  # the service has answered the current user turn
    for r in records:
        event = r.event
        if r.direction == "sent":
            if tl.session_open is None:
                tl.session_open = r.t
            audio = (event.get("realtimeInput") or {}).get("audio") if isinstance(event.get("realtimeInput"),
                                                                                   dict) else None
            if isinstance(audio, dict):
                size = _b64_bytes(audio.get("data"))
                tl.audio_in.append((r.t, position, size))
                position += size
                if _has_sound(audio.get("data")):
                    if answering or first_sound is None:
                        first_sound = r.t  # the user speaks (again)
                    last_sound, answering = r.t, False
            response = event.get("toolResponse")
            for answer in (response.get("functionResponses") or []) if isinstance(response, dict) else ():
                key = str(answer.get("id") or answer.get("name"))
                if key in calls:
                    tl.tools.append(Span(calls.pop(key), r.t, key))
            continue
        if r.direction != "received":
            continue
        content = event.get("serverContent") if isinstance(event.get("serverContent"), dict) else {}
        call = event.get("toolCall") if isinstance(event.get("toolCall"), dict) else None
        parts = (content.get("modelTurn") or {}).get("parts") if isinstance(content.get("modelTurn"), dict) else None
        if (call is not None or parts or "inputTranscription" in content) and not answering:
            answering = True  # the first answer to what the user said: the speech ended before it
            if first_sound is not None and last_sound is not None:
                tl.speech.append(Span(first_sound, last_sound, "user speech"))
            if tl.speech_end is None:
                tl.speech_end = last_sound
        if "inputTranscription" in content and tl.transcript_done is None:
            tl.transcript_done = r.t
        for raw in (call.get("functionCalls") or []) if call is not None else ():
            if isinstance(raw, dict):
                calls.setdefault(str(raw.get("id") or raw.get("name")), r.t)
        for part in parts if isinstance(parts, list) else ():
            inline = part.get("inlineData") if isinstance(part, dict) else None
            if isinstance(inline, dict):
                tl.audio_out.append((r.t, _b64_bytes(inline.get("data"))))
        if call is not None or parts:
            turn_start = r.t if turn_start is None else turn_start
        if content.get("turnComplete"):
            tl.responses.append(Span(turn_start if turn_start is not None else r.t, r.t, "turn"))
            tl.answer_done, turn_start = r.t, None
    return tl


#: Provider (the log's meta ``provider``) -> how its wire messages become a :class:`Timeline`.
TIMELINES: dict[str, Callable[[Iterable[Record]], Timeline]] = {"openai": openai_timeline,
                                                                "gemini": gemini_timeline}


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
