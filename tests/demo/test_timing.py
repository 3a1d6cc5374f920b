"""demo.timing, demo.agent and demo.session_log on small synthetic logs."""

from __future__ import annotations

import base64
import io

from semantic_kernel_realtime.demo.agent import DemoPlugin
from semantic_kernel_realtime.demo.replay import replay_transcript
from semantic_kernel_realtime.demo.session_log import Record, SessionLog, read_log
from semantic_kernel_realtime.demo.timing import format_timing, timeline
from semantic_kernel_realtime.demo.transcript import TranscriptPrinter

CHUNK = base64.b64encode(b"\0" * 960).decode()  # 20 ms


def _session() -> list[Record]:
    records = [Record(0.0, "meta", {"type": "client.session_log"}), Record(0.01, "sent", {"type": "session.update"})]
    records += [Record(0.02 + i * 0.02, "sent", {"type": "input_audio_buffer.append", "audio": CHUNK})
                for i in range(100)]  # 2 s of audio, sent 0.02 .. 2.0
    records += [
        Record(0.5, "received", {"type": "input_audio_buffer.speech_started", "audio_start_ms": 400}),
        Record(2.0, "received", {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 1500}),
        Record(2.0, "received", {"type": "response.created", "response": {"id": "r1"}}),
        Record(2.1, "received", {"type": "conversation.item.input_audio_transcription.completed",
                                 "item_id": "i1", "transcript": "weather in oslo"}),
        Record(2.2, "received", {"type": "response.function_call_arguments.done", "call_id": "c1",
                                 "name": "demo-get_weather", "arguments": '{"location": "Oslo"}', "item_id": "i2"}),
        Record(2.2, "received", {"type": "response.done", "response": {"id": "r1", "output": []}}),
        Record(2.25, "sent", {"type": "conversation.item.create",
                              "item": {"type": "function_call_output", "call_id": "c1", "output": "cold"}}),
        Record(2.3, "received", {"type": "response.created", "response": {"id": "r2"}}),
        Record(2.35, "received", {"type": "response.output_audio_transcript.delta", "item_id": "i3", "delta": "It"}),
        Record(2.35, "received", {"type": "response.output_audio_transcript.delta", "item_id": "i3",
                                  "delta": " is cold."}),
        Record(2.4, "received", {"type": "response.output_audio.delta", "item_id": "i3", "delta": CHUNK}),
        Record(2.41, "received", {"type": "response.output_audio_transcript.done", "item_id": "i3"}),
        Record(2.5, "received", {"type": "response.done", "response": {"id": "r2", "output": []}}),
    ]
    return records


def test_timeline_maps_speech_end_to_the_send_time_and_measures_from_it() -> None:
    tl = timeline(_session())
    assert abs(tl.speech_end - 1.5) < 0.021  # the chunk holding 1500 ms was sent at ~1.5 s
    assert abs(tl.tools[0].end - tl.tools[0].start - 0.05) < 1e-9
    assert tl.first_answer_audio == 2.4 and tl.answer_done == 2.5
    assert abs(tl.answer_audio_seconds - 0.02) < 1e-9
    table = format_timing(_session())
    assert "tool time (call -> result sent)" in table and "50 ms" in table
    assert "900 ms" in table  # speech end -> first response audio


def test_replay_transcript_from_records() -> None:
    printer = TranscriptPrinter(out=io.StringIO())
    replay_transcript(_session(), printer)
    assert printer.lines == ["user: weather in oslo", 'tool call: demo-get_weather({"location": "Oslo"})',
                             "tool result: cold", "assistant: It is cold."]


def test_session_log_round_trip(tmp_path) -> None:
    with SessionLog(tmp_path / "s.jsonl", {"service": "local"}) as log:
        log.write_text("sent", '{"type": "session.update"}')
        log.write_text("received", "not json")
    records = list(read_log(tmp_path / "s.jsonl"))
    assert [r.direction for r in records] == ["meta", "sent", "received"]
    assert records[0].event["service"] == "local" and records[2].type == "client.unparsable"


def test_demo_functions_are_deterministic_and_say_the_data_is_fake() -> None:
    plugin = DemoPlugin()
    assert plugin.get_weather("Paris") == plugin.get_weather(" paris ").replace("paris", "Paris")
    assert "demo data" in plugin.get_weather("Paris") and "Paris" in plugin.get_weather("Paris")
    assert "demo clock" in plugin.get_time("Tokyo")
