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


def _speak_with_sound(tracker: TurnTracker, sound_s: float, silence_s: float, start: float = 0.0) -> float:
    """The client sends ``sound_s`` of loud audio then ``silence_s`` of silence in 20 ms chunks; returns when the
    last chunk with sound was sent."""
    loud = int(sound_s / 0.02)
    for i in range(loud + int(silence_s / 0.02)):
        tracker.sent_audio(start + (i + 1) * 0.02, CHUNK, sound=i < loud)
    return start + loud * 0.02


def test_a_service_that_signals_no_speech_and_no_response_start_is_measured_from_the_last_sound_sent() -> None:
    """Gemini Live: no speech started/stopped, no response start; the user's words, a call, the tool turn's end,
    then the answer's audio and its end."""
    tracker, turns = _tracker()
    assert tracker.wants_sound
    speech_end = _speak_with_sound(tracker, 1.5, 1.0, start=0.2)  # sound until 1.7 s, silence until 2.7 s
    tracker.signal(3.0, ItemText("gemini_item_2", "user", "weather in oslo"))
    call = FunctionCallContent(id="c1", call_id="c1", name="demo-get_weather", arguments="{}",
                               metadata={"response_id": "gemini_turn_1"})
    tracker.signal(3.1, CallCompleted(call, "gemini_turn_1"))
    tracker.signal(3.1, ResponseEnded("gemini_turn_1", "completed", Usage(input_tokens=9)))
    assert turns == []  # it asked for a tool: the answer follows
    tracker.tool_output(3.15, "c1")
    assert not tracker.counted_audio(CHUNK)  # the answer's first audio needs the clock: it starts a response
    tracker.received_audio(3.4, CHUNK)
    assert tracker.counted_audio(CHUNK) and tracker.responding
    tracker.signal(3.6, ResponseEnded("gemini_turn_3", "completed", Usage(input_tokens=12, output_tokens=4)))
    [turn] = turns
    assert turn.speech_end_source == "sent_sound" and turn.speech_stopped_ms is None
    assert abs(turn.transcript_ms - (3.0 - speech_end) * 1000) < 1e-6
    assert abs(turn.first_tool_call_ms - (3.1 - speech_end) * 1000) < 1e-6
    assert abs(turn.voice_to_voice_ms - (3.4 - speech_end) * 1000) < 1e-6
    assert abs(turn.time_to_first_audio_ms - 300) < 1e-6 and abs(turn.response_ms - 500) < 1e-6
    assert turn.response_ids == ["gemini_turn_1", "gemini_turn_3"] and turn.audio_out_ms == 40
    assert [(t.call_id, round(t.duration_ms)) for t in turn.tools] == [("c1", 50)]
    assert turn.usage == Usage(input_tokens=21, output_tokens=4) and not turn.interrupted


def test_without_speech_signals_the_next_utterance_is_the_next_turn_and_a_barge_in_cancels_the_answer() -> None:
    tracker, turns = _tracker()
    _speak_with_sound(tracker, 1.0, 0.5)  # sound until 1.0 s
    tracker.received_audio(1.5, CHUNK)  # the answer starts: its first audio (no transcript asked for)
    _speak_with_sound(tracker, 0.4, 0.2, start=1.6)  # the user speaks over it: sound until 2.0 s
    tracker.signal(2.1, ResponseEnded("t1", "cancelled"))  # the service was interrupted
    [first] = turns
    assert first.interrupted and first.response_ids == ["t1"] and abs(first.voice_to_voice_ms - 500) < 1e-6
    tracker.signal(2.5, ItemText("u2", "user", "stop"))  # the service heard the new utterance
    tracker.received_audio(2.7, CHUNK)
    tracker.signal(2.9, ResponseEnded("t2", "completed"))
    assert len(turns) == 2
    assert turns[1].speech_end_source == "sent_sound" and abs(turns[1].transcript_ms - 500) < 1e-6
    assert abs(turns[1].voice_to_voice_ms - 700) < 1e-6 and turns[1].response_ids == ["t2"]
    tracker.signal(3.5, ItemText("u2", "user", "stop"))  # words settled again after the turn: no new turn
    tracker.finish(4.0)
    assert len(turns) == 2


def test_a_service_that_places_speech_end_is_measured_by_its_signals_alone() -> None:
    """Once the service says where speech ended, sound no longer counts: a typed turn later has no speech."""
    tracker, turns = _tracker()
    _speak_with_sound(tracker, 1.0, 0.6)
    tracker.signal(0.3, SpeechStarted(200))
    tracker.signal(1.6, SpeechStopped(1000))
    assert not tracker.wants_sound
    tracker.signal(1.6, ResponseStarted("r1"))
    tracker.signal(1.9, ResponseEnded("r1", "completed"))
    _speak_with_sound(tracker, 0.5, 0.0, start=2.0)  # noise the service's VAD did not take for speech
    tracker.signal(3.0, ResponseStarted("r2"))  # a typed question's answer
    tracker.received_audio(3.2, CHUNK)
    tracker.signal(3.3, ResponseEnded("r2", "completed"))
    assert [t.speech_end_source for t in turns] == ["sent_audio", None]
    assert turns[1].voice_to_voice_ms is None
