"""OpenAI GA events -> the protocol-neutral signals telemetry reads: usage, voice activity, session configured."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_kernel_realtime.events import Usage
from semantic_kernel_realtime.protocol import Decoder
from semantic_kernel_realtime.protocol.base import ResponseEnded, SessionConfigured, SpeechStarted, SpeechStopped
from semantic_kernel_realtime.protocol.openai.signals import SIGNAL_TYPES, signals, usage_of
from tests.openai_schema import FIXTURES


def _signals(message: dict) -> list:
    return [s for event in Decoder().decode(message) for s in signals(event)]


def test_usage_of_response_done_with_the_audio_and_text_split() -> None:
    [ended] = _signals({"type": "response.done", "event_id": "e", "response": {
        "id": "r1", "status": "completed", "usage": {
            "total_tokens": 60, "input_tokens": 40, "output_tokens": 20,
            "input_token_details": {"text_tokens": 10, "audio_tokens": 30, "cached_tokens": 8},
            "output_token_details": {"text_tokens": 5, "audio_tokens": 15}}}})
    assert ended == ResponseEnded("r1", "completed", Usage(
        input_tokens=40, output_tokens=20, total_tokens=60, input_text_tokens=10, input_audio_tokens=30,
        input_cached_tokens=8, output_text_tokens=5, output_audio_tokens=15))
    assert usage_of(None) is None and usage_of({"input_tokens": "many"}) == Usage()


def test_voice_activity_and_the_confirmed_session() -> None:
    assert _signals({"type": "input_audio_buffer.speech_started", "event_id": "e", "audio_start_ms": 480,
                     "item_id": "i"}) == [SpeechStarted(480)]
    assert _signals({"type": "input_audio_buffer.speech_stopped", "event_id": "e", "audio_end_ms": 1920,
                     "item_id": "i"}) == [SpeechStopped(1920)]
    [configured] = _signals({"type": "session.updated", "event_id": "e", "session": {
        "type": "realtime", "model": "gpt-realtime", "output_modalities": ["audio"], "instructions": "Be brief.",
        "audio": {"output": {"voice": "marin"}}, "tools": [{"type": "function", "name": "f"}]}})
    assert configured == SessionConfigured("gpt-realtime", "marin", ("audio",), ({"type": "function", "name": "f"},),
                                           "Be brief.")
    [beta] = _signals({"type": "session.created", "event_id": "e",
                       "session": {"modalities": ["text", "audio"], "voice": "alloy"}})
    assert beta.voice == "alloy" and beta.output_modalities == ("text", "audio") and beta.model is None


def test_every_recorded_speech_and_session_event_gives_its_signal() -> None:
    if not (FIXTURES / "openai").is_dir():
        pytest.skip(f"shared fixtures missing: {FIXTURES}")
    seen = set()
    for name in ("live-beta-voice-session.sk-adr-0065.jsonl", "spec-ga-server-event-examples.openapi.jsonl"):
        for line in (FIXTURES / "openai" / name).read_text().splitlines():
            message = orjson.loads(line)
            for signal in _signals({k: v for k, v in message.items() if not k.startswith("_")}):
                seen.add(type(signal))
    assert {SpeechStarted, SpeechStopped, SessionConfigured, ResponseEnded} <= seen


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SIGNAL_TYPES)),
       st.dictionaries(st.sampled_from(["audio_start_ms", "audio_end_ms", "session", "response", "item_id"]),
                       st.recursive(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True),
                                              st.integers(-2**70, 2**70), st.text(max_size=5)),
                                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.sampled_from(
                                                                ["id", "usage", "status", "audio", "output", "voice",
                                                                 "tools", "output_modalities", "input_tokens",
                                                                 "input_token_details", "model"]), inner, max_size=4)),
                                    max_leaves=10), max_size=4))
def test_signals_of_any_shape_never_raise(etype, fields) -> None:
    for event in Decoder().decode({"type": etype, "event_id": "e", **fields}):
        for signal in signals(event):
            if isinstance(signal, (SpeechStarted, SpeechStopped)):
                assert signal.audio_ms is None or (type(signal.audio_ms) is int and signal.audio_ms >= 0)
