"""The engine's idle timeout and transcription sessions, driven directly (events to a recorder)."""

from __future__ import annotations

import asyncio

import pytest

from semantic_kernel_realtime.server.engine import SessionEngine
from tests.server.fixtures import read_wav
from tests.server.test_engine import FixedTranscriber, Recorder, make

TIMEOUT = "input_audio_buffer.timeout_triggered"


def _text_turn(engine, text="hello"):
    engine.receive({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
    engine.receive({"type": "response.create"})


async def test_idle_timeout_triggers_after_the_set_silence_and_answers():
    engine, rec = make(session={"type": "realtime", "output_modalities": ["text"], "audio": {"input": {
        "turn_detection": {"type": "server_vad", "idle_timeout_ms": 300}}}})
    _text_turn(engine)
    await rec.wait_for("response.done")
    engine.push_audio(bytes(48 * 100))  # silence does not count as speech
    triggered = await rec.wait_for(TIMEOUT, timeout=3)
    # counted from the engine's own emissions, so a test task that wakes late cannot shorten it
    assert rec.emitted_at(TIMEOUT) - rec.emitted_at("response.done") >= 0.295
    assert triggered["audio_end_ms"] >= triggered["audio_start_ms"] >= 0
    committed = await rec.wait_for("input_audio_buffer.committed")
    assert committed["item_id"] == triggered["item_id"]
    await rec.wait_for("response.done", count=2)  # the model prompts the user to go on
    await engine.close()


async def test_no_idle_timeout_without_the_setting_or_after_speech():
    engine, rec = make(session={"type": "realtime", "output_modalities": ["text"]})
    _text_turn(engine)
    await rec.wait_for("response.done")
    await asyncio.sleep(0.5)
    assert not rec.of(TIMEOUT)
    await engine.close()

    engine, rec = make(session={"type": "realtime", "output_modalities": ["text"], "audio": {"input": {
        "turn_detection": {"type": "server_vad", "idle_timeout_ms": 1000, "create_response": False}}}})
    _text_turn(engine)
    await rec.wait_for("response.done")
    engine.push_audio(read_wav("weather-in-paris.pcm16-24k.wav"))  # the user speaks: no timeout
    await rec.wait_for("input_audio_buffer.speech_started")
    await asyncio.sleep(1.2)
    assert not rec.of(TIMEOUT)
    await engine.close()


async def test_a_transcription_session_transcribes_turns_and_never_responds():
    engine, rec = make(transcriber=FixedTranscriber("the sun rises"))
    engine.receive({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "gpt-4o-transcribe"},
        "turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}}}})
    updated = rec.of("session.updated")[-1]["session"]
    assert updated["type"] == "transcription" and updated["object"] == "realtime.transcription_session"
    engine.push_audio(read_wav("weather-in-paris.pcm16-24k.wav") + bytes(48 * 800))
    completed = await rec.wait_for("conversation.item.input_audio_transcription.completed")
    segment = rec.of("conversation.item.input_audio_transcription.segment")[0]
    assert completed["transcript"] == segment["text"] == "the sun rises"
    engine.receive({"type": "response.create"})
    assert rec.events[-1]["type"] == "error"
    await asyncio.sleep(0.2)
    assert not [e for e in rec.events if e["type"].startswith("response.")]
    await engine.close()


async def test_the_session_type_changes_only_while_the_session_is_fresh():
    engine, rec = make()
    _text_turn(engine)
    await rec.wait_for("response.done")
    engine.receive({"type": "session.update", "session": {"type": "transcription"}})
    assert rec.events[-1]["type"] == "error" and rec.events[-1]["error"]["param"] == "session.type"
    await engine.close()


@pytest.mark.parametrize("kind", ["realtime", "transcription"])
async def test_a_session_opened_with_a_type_keeps_it(kind):
    rec = Recorder()
    engine = SessionEngine(rec, session={"type": kind})
    engine.start()
    assert rec.events[0]["session"]["type"] == kind
    await engine.close()
