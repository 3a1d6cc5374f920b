"""Replaying a session log: transcript, per-turn timing and timeline from its records alone."""

from __future__ import annotations

import base64
import io
import re

from semantic_kernel_realtime.telemetry import SessionReplay, TranscriptPrinter, format_timing
from semantic_kernel_realtime.telemetry.recording import Record

CHUNK = base64.b64encode(b"\x10\x00" * 480).decode()  # 20 ms
CONNECTION = {"type": "client.connection", "protocol": "openai-ga", "transport": "websocket", "media": False,
              "model": "gpt-realtime", "input_sample_rate": 24000, "output_sample_rate": 24000}


def _session() -> list[Record]:
    records = [Record(0.0, "meta", {"type": "client.session_log", "version": 2, "service": "local"}),
               Record(0.0, "meta", CONNECTION), Record(0.01, "sent", {"type": "session.update"})]
    records += [Record(0.02 + i * 0.02, "sent", {"type": "input_audio_buffer.append", "audio": CHUNK},
                       {"audio_bytes": 960, "level": 0.0005}) for i in range(100)]  # sent 0.02 .. 2.0
    records += [
        Record(0.5, "received", {"type": "input_audio_buffer.speech_started", "audio_start_ms": 400, "item_id": "i1"}),
        Record(2.0, "received", {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 1500, "item_id": "i1"}),
        Record(2.0, "received", {"type": "response.created", "response": {"id": "r1"}}),
        Record(2.1, "received", {"type": "conversation.item.input_audio_transcription.completed",
                                 "item_id": "i1", "content_index": 0, "transcript": "weather in oslo"}),
        Record(2.2, "received", {"type": "response.function_call_arguments.done", "call_id": "c1", "response_id": "r1",
                                 "name": "demo-get_weather", "arguments": '{"location": "Oslo"}', "item_id": "i2"}),
        Record(2.2, "received", {"type": "response.done", "response": {"id": "r1", "status": "completed", "output": [],
                                                                       "usage": {"input_tokens": 5}}}),
        Record(2.25, "sent", {"type": "conversation.item.create",
                              "item": {"type": "function_call_output", "call_id": "c1", "output": "cold"}},
               {"call_id": "c1", "name": "demo-get_weather", "output": "cold"}),
        Record(2.3, "received", {"type": "response.created", "response": {"id": "r2"}}),
        Record(2.35, "received", {"type": "response.output_audio_transcript.delta", "item_id": "i3", "delta": "It"}),
        Record(2.35, "received", {"type": "response.output_audio_transcript.delta", "item_id": "i3",
                                  "delta": " is cold."}),
        Record(2.4, "received", {"type": "response.output_audio.delta", "item_id": "i3", "delta": CHUNK}),
        Record(2.41, "received", {"type": "response.output_audio_transcript.done", "item_id": "i3",
                                  "transcript": "It is cold."}),
        Record(2.5, "received", {"type": "response.done", "response": {"id": "r2", "status": "completed",
                                                                       "output": [], "usage": {"input_tokens": 7}}}),
    ]
    return records


def test_turns_are_measured_from_when_the_speech_end_was_sent() -> None:
    [turn] = SessionReplay(_session()).turns()
    assert turn.speech_end_source == "sent_audio"
    assert abs(turn.voice_to_voice_ms - 900) < 1e-6 and abs(turn.speech_stopped_ms - 500) < 1e-6
    assert abs(turn.transcript_ms - 600) < 1e-6 and abs(turn.first_tool_call_ms - 700) < 1e-6
    assert round(turn.tools[0].duration_ms) == 50 and turn.audio_out_ms == 20 and turn.usage.input_tokens == 12
    table = format_timing([turn])
    assert re.search(r"speech end -> first response audio +900 ms", table), table
    assert re.search(r"tool time \(call -> result sent\) +50 ms", table), table


def test_the_transcript_and_the_timeline() -> None:
    replay = SessionReplay(_session())
    printer = TranscriptPrinter(out=io.StringIO(), codec=replay.codec_class)
    for step in replay.steps():
        for event in step.events:
            printer.handle(event)
        if step.direction == "sent" and "output" in step.note:
            printer.tool_result(step.note["output"])
    printer.finish()
    assert printer.lines == ["user: weather in oslo", 'tool call: demo-get_weather({"location": "Oslo"})',
                             "tool result: cold", "assistant: It is cold."]
    tl = replay.timeline()
    assert [(round(s.start, 2), round(s.end, 2)) for s in tl.speech] == [(0.4, 1.5)]
    assert tl.speech_started == [0.5] and tl.speech_stopped == [2.0] and tl.transcripts == [2.1]
    assert [(s.start, s.end, s.label) for s in tl.tools] == [(2.2, 2.25, "demo-get_weather")]
    assert [(s.start, s.end) for s in tl.responses] == [(2.0, 2.2), (2.3, 2.5)]
    assert tl.audio_out == [(2.4, 960)] and len(tl.input_levels) == 100
    assert tl.turns[0]["speech_end"] == 1.5 and tl.turns[0]["first_audio"] == 2.4


def test_a_log_without_notes_or_connection_still_replays() -> None:
    old = [Record(r.t, r.direction, r.event) for r in _session() if r.type != "client.connection"]
    replay = SessionReplay(old)
    assert replay.codec_class.capabilities.name == "openai-ga" and replay.wire_events == 114
    [turn] = replay.turns()
    assert turn.speech_end_source == "speech_stopped" and abs(turn.voice_to_voice_ms - 400) < 1e-6
    assert format_timing([]) == "timing: no complete turn"


GEMINI = {"type": "client.connection", "protocol": "gemini-live", "transport": "websocket", "media": False,
          "model": "gemini-live-2.5-flash-preview", "input_sample_rate": 16000, "output_sample_rate": 24000}
LOUD = base64.b64encode((3000).to_bytes(2, "little", signed=True) * 320).decode()  # 20 ms at 16 kHz
QUIET = base64.b64encode(bytes(640)).decode()


def _gemini_session() -> list[Record]:
    """A Gemini Live log: sound sent until 1.5 s, silence until 2.5 s; the words, a call, the tool turn's end, the
    tool's output, the answer's words and audio, its end. No speech positions, no response starts."""
    records = [Record(0.0, "meta", {"type": "client.session_log", "version": 2, "service": "local"}),
               Record(0.0, "meta", GEMINI), Record(0.01, "sent", {"setup": {"model": "models/x"}}),
               Record(0.05, "received", {"setupComplete": {}})]
    for i in range(125):  # sent 0.02 .. 2.5
        loud = i < 75
        records.append(Record(0.02 + i * 0.02, "sent",
                              {"realtimeInput": {"audio": {"data": LOUD if loud else QUIET,
                                                           "mimeType": "audio/pcm;rate=16000"}}},
                              {"audio_bytes": 640, "level": 0.09 if loud else 0.0, "silent": not loud}))
    records += [
        Record(2.6, "received", {"serverContent": {"inputTranscription": {"text": "weather in oslo",
                                                                          "finished": True}}}),
        Record(2.7, "received", {"toolCall": {"functionCalls": [{"id": "c1", "name": "demo-get_weather",
                                                                 "args": {"location": "Oslo"}}]}}),
        Record(2.7, "received", {"serverContent": {"turnComplete": True},
                                 "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 6}}),
        Record(2.75, "sent", {"toolResponse": {"functionResponses": [{"id": "c1", "name": "demo-get_weather",
                                                                      "response": {"output": "cold"}}]}},
               {"call_id": "c1", "name": "demo-get_weather", "output": "cold"}),
        Record(2.9, "received", {"serverContent": {"outputTranscription": {"text": "It is cold."}}}),
        Record(3.0, "received", {"serverContent": {"modelTurn": {"parts": [{"inlineData": {
            "mimeType": "audio/pcm;rate=24000", "data": CHUNK}}]}}}),
        Record(3.2, "received", {"serverContent": {"turnComplete": True},
                                 "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 9}}),
    ]
    return records


def test_a_gemini_log_replays_with_the_gemini_codec_and_speech_end_from_the_sound_sent() -> None:
    replay = SessionReplay(_gemini_session())
    assert replay.codec_class.capabilities.name == "gemini-live"
    [turn] = replay.turns()
    assert turn.speech_end_source == "sent_sound" and turn.speech_stopped_ms is None  # sound last sent at 1.5 s
    assert abs(turn.transcript_ms - 1100) < 1e-6 and abs(turn.first_tool_call_ms - 1200) < 1e-6
    assert abs(turn.voice_to_voice_ms - 1500) < 1e-6 and abs(turn.time_to_first_audio_ms - 300) < 1e-6
    assert round(turn.tools[0].duration_ms) == 50 and turn.usage.input_tokens == 12 and turn.audio_out_ms == 20
    table = format_timing([turn])
    assert re.search(r"speech end -> VAD speech stopped +– ", table), table
    assert re.search(r"speech end -> first response audio +1500 ms", table), table
    printer = TranscriptPrinter(out=io.StringIO(), codec=replay.codec_class)
    for step in replay.steps():
        for event in step.events:
            printer.handle(event)
        if step.direction == "sent" and "output" in step.note:
            printer.tool_result(step.note["output"])
    printer.finish()
    assert printer.lines == ["user: weather in oslo", 'tool call: demo-get_weather({"location":"Oslo"})',
                             "tool result: cold", "assistant: It is cold."]
    tl = replay.timeline()
    assert [(s.start, s.end) for s in tl.responses] == [(2.7, 2.7), (3.0, 3.2)]  # from their first output
    assert tl.transcripts == [2.6] and tl.turns[0]["speech_end"] == 1.5


def test_an_empty_user_transcript_is_said_so() -> None:
    records = [Record(0.0, "received", {"type": "conversation.item.input_audio_transcription.completed",
                                        "item_id": "i1", "content_index": 0, "transcript": " "})]
    printer = TranscriptPrinter(out=io.StringIO())
    for step in SessionReplay(records).steps():
        for event in step.events:
            printer.handle(event)
    assert printer.lines == ["user: (no words recognised)"]
