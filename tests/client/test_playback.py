"""Barge-in against the playback-position contract, with the connection's own OutputAudio and a test clock."""

from __future__ import annotations

from semantic_kernel_realtime.client.playback import BargeIn, Playback
from semantic_kernel_realtime.events import ObserverErrorEvent, StopPlaybackEvent
from semantic_kernel_realtime.protocol.base import (
    OutputAudio,
    OutputAudioCleared,
    ResponseEnded,
    ResponseInterrupted,
    ResponseStarted,
    SpeechStarted,
)
from semantic_kernel_realtime.protocol.gemini import GeminiCodec
from semantic_kernel_realtime.protocol.openai import OpenAICodec


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _barge_in(service_plays_out: bool = False, playback: Playback | None = None, codec=OpenAICodec):
    sent, queued, clock = [], [], Clock()
    audio = OutputAudio()
    barge = BargeIn(playback or Playback(), audio, codec, sent.append, queued.append,
                    service_plays_out=service_plays_out, clock=clock)
    return barge, audio, sent, queued, clock


def _truncations(sent):
    return [(e.service_event["item_id"], e.service_event["audio_end_ms"]) for e in sent]


def test_a_reporting_player_is_truncated_where_it_played_and_told_to_stop():
    playback = Playback()
    stops = []
    playback.on_stop(lambda: stops.append("stop"))
    barge, audio, sent, queued, _ = _barge_in(playback=playback)
    audio.add("a1", 48 * 3000)  # 3 s received
    playback.played(24 * 600)  # 600 ms played
    barge.observe(SpeechStarted(0, "u1"))
    assert _truncations(sent) == [("a1", 600)]
    assert stops == ["stop"]
    [stop] = queued
    assert isinstance(stop, StopPlaybackEvent) and (stop.item_id, stop.audio_end_ms) == ("a1", 600)
    assert barge.gate(print) is None  # the rest of a1 is not played
    audio.add("a2", 480)
    assert barge.gate(print) is print  # the next item is


def test_later_items_not_started_are_cut_at_zero_and_nothing_happens_when_all_was_played():
    playback = Playback()
    barge, audio, sent, queued, _ = _barge_in(playback=playback)
    audio.add("a1", 48 * 100)
    audio.add("a2", 48 * 100)
    playback.played(24 * 50)
    barge.observe(SpeechStarted())
    assert _truncations(sent) == [("a1", 50), ("a2", 0)]
    sent.clear()
    barge.observe(SpeechStarted())  # the player dropped the rest: nothing left to interrupt
    assert sent == [] and len(queued) == 1
    audio.add("a3", 48 * 100)
    playback.played(24 * 100)
    barge.observe(SpeechStarted())
    assert sent == []


def test_a_player_that_reports_nothing_is_taken_to_play_in_real_time():
    barge, audio, sent, _, clock = _barge_in()
    audio.add("a1", 48 * 3000)  # arrives at once at t=100 s
    clock.now += 0.75
    barge.observe(SpeechStarted())
    assert _truncations(sent) == [("a1", 750)]
    barge2, audio2, sent2, _, clock2 = _barge_in()
    audio2.add("a1", 48 * 500)
    clock2.now += 2
    barge2.observe(SpeechStarted())
    assert sent2 == []  # all played by now


def test_where_the_service_plays_out_it_truncates_and_the_client_only_stops_the_player():
    playback = Playback()
    stops = []
    playback.on_stop(lambda: stops.append(1))
    barge, audio, sent, queued, _ = _barge_in(service_plays_out=True, playback=playback)
    barge.observe(SpeechStarted(0, "u1"))
    assert sent == [] and queued == [] and stops == []
    barge.observe(OutputAudioCleared("r1"))
    assert sent == [] and stops == [1]
    assert isinstance(queued[0], StopPlaybackEvent) and queued[0].audio_end_ms is None


def test_interrupt_off_and_a_failing_stop_handler():
    playback = Playback()
    playback.interrupt = False
    barge, audio, sent, queued, _ = _barge_in(playback=playback)
    audio.add("a1", 4800)
    barge.observe(SpeechStarted())
    assert sent == queued == []
    playback.interrupt = True

    def broken():
        raise OSError("device gone")

    playback.on_stop(broken)
    barge.observe(SpeechStarted())
    assert [type(e) for e in queued] == [ObserverErrorEvent, StopPlaybackEvent]
    assert "device gone" in queued[0].cause


def test_a_service_that_cuts_its_own_response_gets_no_truncation_and_the_player_is_stopped():
    playback = Playback()
    stops = []
    playback.on_stop(lambda: stops.append("stop"))
    barge, audio, sent, queued, _ = _barge_in(playback=playback, codec=GeminiCodec)
    audio.add("gemini_item_2", 48 * 3000)
    playback.played(24 * 600)
    barge.observe(ResponseInterrupted("gemini_turn_1"))
    assert sent == [] and stops == ["stop"]
    [stop] = queued
    assert isinstance(stop, StopPlaybackEvent) and (stop.item_id, stop.audio_end_ms) == ("gemini_item_2", None)
    assert "600 ms into item gemini_item_2" in stop.cause
    assert barge.gate(print) is None  # what still arrives of the interrupted answer is not played
    audio.add("gemini_item_4", 480)
    assert barge.gate(print) is print  # the next answer is
    playback.played(24 * 10)
    barge.observe(ResponseInterrupted(None))  # the player dropped the rest and played all of the new one
    assert len(queued) == 1


def test_a_codec_without_truncation_only_stops_the_player_when_the_user_speaks():
    assert not hasattr(GeminiCodec, "truncate_request")
    playback = Playback()
    barge, audio, sent, queued, _ = _barge_in(playback=playback, codec=GeminiCodec)
    audio.add("gemini_item_2", 48 * 1000)
    playback.played(24 * 100)
    barge.observe(SpeechStarted(900))
    assert sent == []
    [stop] = queued
    assert (stop.item_id, stop.audio_end_ms) == ("gemini_item_2", None)


def test_interrupt_off_and_service_playout_ignore_a_service_interruption():
    playback = Playback()
    playback.interrupt = False
    barge, audio, sent, queued, _ = _barge_in(playback=playback, codec=GeminiCodec)
    audio.add("a1", 4800)
    barge.observe(ResponseInterrupted("t1"))
    assert sent == queued == []
    barge, audio, sent, queued, _ = _barge_in(service_plays_out=True, codec=GeminiCodec)
    audio.add("a1", 4800)
    barge.observe(ResponseInterrupted("t1"))
    assert sent == queued == []


# -- interruptions by the application (client.interrupt(): a guardrail, a stop button) -----------------------


def _types(sent):
    return [e.service_type for e in sent]


def test_an_application_interrupt_cancels_and_cuts_at_the_played_position_once_the_response_ended():
    playback = Playback()
    stops = []
    playback.on_stop(lambda: stops.append("stop"))
    barge, audio, sent, queued, _ = _barge_in(playback=playback)
    barge.observe(ResponseStarted("r1"))
    audio.add("a1", 48 * 1000)
    playback.played(24 * 300)
    barge.interrupt("a1")
    assert _types(sent) == ["response.cancel"] and stops == ["stop"]  # the cut waits: the item is still open
    [stop] = queued
    assert (stop.item_id, stop.audio_end_ms) == ("a1", 300)
    audio.add("a1", 48 * 500)  # more of it still arrives: not played
    assert barge.gate(print) is None
    barge.observe(ResponseEnded("r1", "cancelled"))
    assert _truncations(sent[1:]) == [("a1", 300)]
    audio.add("a2", 480)
    assert barge.gate(print) is print


def test_an_item_whose_words_came_first_is_cut_at_zero_and_muted_before_its_audio_arrives():
    barge, audio, sent, queued, _ = _barge_in(playback=Playback())
    audio.add("a0", 48 * 100)  # an earlier answer, all played by now
    barge._playback.played(24 * 100)
    barge.observe(ResponseStarted("r2"))
    barge.interrupt("a1")
    assert _types(sent) == ["response.cancel"] and queued[0].item_id == "a1"
    audio.add("a1", 48 * 200)
    assert barge.gate(print) is None  # its first audio is not played either
    barge.observe(ResponseEnded("r2", "cancelled"))
    assert _truncations(sent[1:]) == [("a1", 0)]


def test_an_interrupt_after_the_response_ended_cuts_at_once_and_one_with_nothing_to_stop_sends_nothing():
    barge, audio, sent, queued, clock = _barge_in()
    barge.observe(ResponseStarted("r1"))
    audio.add("a1", 48 * 2000)
    barge.observe(ResponseEnded("r1", "completed"))
    clock.now += 0.5  # no reports: played in real time
    barge.interrupt()
    assert _truncations(sent) == [("a1", 500)] and len(queued) == 1
    sent.clear()
    clock.now += 5
    barge.interrupt()
    assert sent == [] and len(queued) == 1


def test_where_the_service_plays_out_an_interrupt_asks_it_to_cancel_and_drop_its_audio():
    barge, audio, sent, queued, _ = _barge_in(service_plays_out=True)
    barge.observe(ResponseStarted("r1"))
    barge.interrupt("a1")
    assert _types(sent) == ["response.cancel", "output_audio_buffer.clear"] and queued == []
    barge.observe(OutputAudioCleared("r1"))  # the service dropped it: now the player stops
    assert isinstance(queued[0], StopPlaybackEvent)


def test_gemini_is_cancelled_without_knowing_whether_it_responds_and_nothing_is_truncated():
    barge, audio, sent, queued, _ = _barge_in(codec=GeminiCodec)
    audio.add("gemini_item_1", 48 * 1000)
    barge.interrupt("gemini_item_1")
    assert [e.service_event for e in sent] == [{"turnComplete": False}]
    [stop] = queued
    assert (stop.item_id, stop.audio_end_ms) == ("gemini_item_1", None)
    assert barge.gate(print) is None
