"""TurnTracker: per-turn latency from protocol-neutral facts on a clock the test controls."""

from __future__ import annotations

from semantic_kernel.contents.function_call_content import FunctionCallContent

from semantic_kernel_realtime.events import Usage
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    ItemText,
    ResponseEnded,
    ResponseStarted,
    SpeechStarted,
    SpeechStopped,
)
from semantic_kernel_realtime.telemetry.turns import TurnTracker, is_silent, sum_usage

CHUNK = 960  # 20 ms at 24 kHz
LOUD = (1000).to_bytes(2, "little", signed=True) * 480


def _tracker(**kwargs):
    turns = []
    return TurnTracker(turns.append, **kwargs), turns


def _speak(tracker: TurnTracker, seconds: float, start: float = 0.0) -> None:
    """The client sends ``seconds`` of audio in real time, one 20 ms chunk every 20 ms."""
    for i in range(int(seconds / 0.02)):
        tracker.sent_audio(start + (i + 1) * 0.02, CHUNK)


def test_a_spoken_tool_turn_is_measured_from_when_the_speech_end_was_sent() -> None:
    tracker, turns = _tracker()
    _speak(tracker, 3.0)
    tracker.signal(0.5, SpeechStarted(400))
    tracker.signal(2.1, SpeechStopped(1500))  # the service heard speech end at 1.5 s of audio: sent at ~1.5 s
    tracker.signal(2.1, ResponseStarted("r1"))
    tracker.signal(2.2, ItemText("u1", "user", "weather in oslo"))
    call = FunctionCallContent(id="i2", call_id="c1", name="demo-get_weather", arguments="{}")
    tracker.signal(2.3, CallCompleted(call, "r1"))
    tracker.signal(2.3, ResponseEnded("r1", "completed", Usage(input_tokens=10, output_tokens=2)))
    assert turns == []  # a response that asked for a tool: the turn goes on
    tracker.tool_output(2.35, "c1")
    tracker.signal(2.4, ResponseStarted("r2"))
    tracker.received_audio(2.6, CHUNK)
    tracker.received_audio(2.62, CHUNK)
    tracker.signal(2.9, ResponseEnded("r2", "completed", Usage(input_tokens=20, output_tokens=30,
                                                               output_audio_tokens=25)))
    [turn] = turns
    assert turn.speech_end_source == "sent_audio"
    assert abs(turn.speech_stopped_ms - 600) < 1e-6 and abs(turn.voice_to_voice_ms - 1100) < 1e-6
    assert abs(turn.transcript_ms - 700) < 1e-6 and abs(turn.first_tool_call_ms - 800) < 1e-6
    assert abs(turn.time_to_first_audio_ms - 500) < 1e-6 and abs(turn.response_ms - 800) < 1e-6
    assert turn.audio_out_ms == 40 and turn.response_ids == ["r1", "r2"] and not turn.interrupted
    assert [(t.name, t.call_id, round(t.duration_ms)) for t in turn.tools] == [("demo-get_weather", "c1", 50)]
    assert turn.usage == Usage(input_tokens=30, output_tokens=32, output_audio_tokens=25)


def test_speech_during_a_response_ends_the_turn_as_interrupted() -> None:
    tracker, turns = _tracker()
    _speak(tracker, 4.0)
    tracker.signal(0.2, SpeechStarted(100))
    tracker.signal(1.0, SpeechStopped(600))
    tracker.signal(1.0, ResponseStarted("r1"))
    tracker.received_audio(1.3, CHUNK)
    tracker.signal(2.0, SpeechStarted(1800))  # barge-in
    [turn] = turns
    assert turn.interrupted and turn.response_ids == ["r1"] and abs(turn.voice_to_voice_ms - 700) < 1e-6
    tracker.signal(2.05, ResponseEnded("r1", "cancelled"))  # the old response's end belongs to no turn now
    tracker.signal(2.8, SpeechStopped(2500))
    tracker.signal(2.8, ResponseStarted("r2"))
    tracker.signal(3.0, ResponseEnded("r2", "completed"))
    assert len(turns) == 2 and turns[1].response_ids == ["r2"] and not turns[1].interrupted


def test_a_text_turn_has_no_speech_figures_and_a_failed_response_ends_it() -> None:
    tracker, turns = _tracker()
    tracker.signal(1.0, ResponseStarted("r1"))
    tracker.received_audio(1.2, CHUNK)
    tracker.signal(1.5, ResponseEnded("r1", "failed"))
    [turn] = turns
    assert turn.speech_end_source is None and turn.voice_to_voice_ms is None and turn.speech_stopped_ms is None
    assert abs(turn.time_to_first_audio_ms - 200) < 1e-6 and "failed" in turn.cause


def test_over_media_speech_end_is_the_signal_and_the_turn_ends_when_the_answer_has_played() -> None:
    tracker, turns = _tracker(media=True)
    tracker.signal(1.0, SpeechStarted(500))
    tracker.signal(2.0, SpeechStopped(1500))
    tracker.signal(2.0, ResponseStarted("r1"))
    tracker.received_audio(2.1, CHUNK, silent=True)  # the track's silence is not the answer
    tracker.received_audio(2.5, CHUNK)
    tracker.signal(2.6, ResponseEnded("r1", "completed"))
    tracker.received_audio(2.62, CHUNK)  # still playing
    for i in range(19):  # a pause inside the answer (380 ms) is not its end
        tracker.received_audio(2.64 + i * 0.02, CHUNK, silent=True)
    tracker.received_audio(3.02, CHUNK)
    assert turns == []
    for i in range(20):
        tracker.received_audio(3.04 + i * 0.02, CHUNK, silent=True)
    [turn] = turns
    assert turn.speech_end_source == "speech_stopped" and turn.speech_stopped_ms == 0
    assert abs(turn.voice_to_voice_ms - 500) < 1e-6 and turn.audio_out_ms == 60


def test_the_session_end_reports_a_turn_with_a_response_and_memory_stays_bounded() -> None:
    tracker, turns = _tracker()
    _speak(tracker, 200.0)  # far more chunks than are kept
    assert len(tracker._sent) == 4096
    tracker.signal(199.0, SpeechStopped(198_000))
    tracker.finish(199.5)
    assert turns == []  # no response: nothing to report
    tracker.signal(199.6, ResponseStarted("r1"))
    tracker.finish(199.9)
    [turn] = turns
    assert turn.cause == "the session ended" and abs(turn.speech_stopped_ms - 1000) < 1e-6


def test_silence_and_usage_sums() -> None:
    assert is_silent(bytes(CHUNK)) and is_silent(b"\x01") and not is_silent(LOUD)
    assert sum_usage([]) is None
    assert sum_usage([Usage(input_tokens=1), Usage(input_tokens=2, output_tokens=3)]) == Usage(input_tokens=3,
                                                                                               output_tokens=3)
