"""OpenAI GA events -> protocol-neutral signals (usage, voice activity, session configured, interruptions),
and the codec's requests for the layers above."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_kernel_realtime.events import Usage
from semantic_kernel_realtime.protocol import Decoder
from semantic_kernel_realtime.protocol.base import (
    ItemAdded,
    ItemTruncated,
    OutputAudioCleared,
    ResponseEnded,
    ResponseStarted,
    ServiceError,
    SessionConfigured,
    SpeechStarted,
    SpeechStopped,
)
from semantic_kernel_realtime.protocol.openai import OpenAICodec
from semantic_kernel_realtime.protocol.openai.signals import SIGNAL_TYPES, signals, usage_of
from tests.openai_schema import FIXTURES, validate_client_event


def _decoded_signals(message: dict) -> list:
    """The signals of a message as the decoder takes it (a dict)."""
    return [s for event in Decoder().decode(message) for s in signals(event)]


def _signals(event: dict) -> list:
    """The signals of a message as the codec receives it (JSON text)."""
    return [s for e in OpenAICodec().decode(json.dumps(event)) for s in OpenAICodec.signals(e)]


def test_usage_of_response_done_with_the_audio_and_text_split() -> None:
    [ended] = _decoded_signals({"type": "response.done", "event_id": "e", "response": {
        "id": "r1", "status": "completed", "usage": {
            "total_tokens": 60, "input_tokens": 40, "output_tokens": 20,
            "input_token_details": {"text_tokens": 10, "audio_tokens": 30, "cached_tokens": 8},
            "output_token_details": {"text_tokens": 5, "audio_tokens": 15}}}})
    assert ended == ResponseEnded("r1", "completed", Usage(
        input_tokens=40, output_tokens=20, total_tokens=60, input_text_tokens=10, input_audio_tokens=30,
        input_cached_tokens=8, output_text_tokens=5, output_audio_tokens=15))
    assert usage_of(None) is None and usage_of({"input_tokens": "many"}) == Usage()


def test_voice_activity_and_the_confirmed_session() -> None:
    assert _decoded_signals({"type": "input_audio_buffer.speech_started", "event_id": "e", "audio_start_ms": 480,
                             "item_id": "i"}) == [SpeechStarted(480, "i")]
    assert _decoded_signals({"type": "input_audio_buffer.speech_stopped", "event_id": "e", "audio_end_ms": 1920,
                             "item_id": "i"}) == [SpeechStopped(1920)]
    [configured] = _decoded_signals({"type": "session.updated", "event_id": "e", "session": {
        "type": "realtime", "model": "gpt-realtime", "output_modalities": ["audio"], "instructions": "Be brief.",
        "audio": {"output": {"voice": "marin"}}, "tools": [{"type": "function", "name": "f"}]}})
    assert configured == SessionConfigured("gpt-realtime", "marin", ("audio",), ({"type": "function", "name": "f"},),
                                           "Be brief.")
    [beta] = _decoded_signals({"type": "session.created", "event_id": "e",
                               "session": {"modalities": ["text", "audio"], "voice": "alloy"}})
    assert beta.voice == "alloy" and beta.output_modalities == ("text", "audio") and beta.model is None


def test_every_recorded_speech_and_session_event_gives_its_signal() -> None:
    if not (FIXTURES / "openai").is_dir():
        pytest.skip(f"shared fixtures missing: {FIXTURES}")
    seen = set()
    for name in ("live-beta-voice-session.sk-adr-0065.jsonl", "spec-ga-server-event-examples.openapi.jsonl"):
        for line in (FIXTURES / "openai" / name).read_text().splitlines():
            message = orjson.loads(line)
            for signal in _decoded_signals({k: v for k, v in message.items() if not k.startswith("_")}):
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


@pytest.mark.parametrize("response, in_conversation", [
    ({"id": "r1", "conversation_id": "conv_1"}, True),
    ({"id": "r1"}, True),
    ({"id": "r1", "conversation_id": None}, False),
])
def test_response_created_says_whether_the_response_is_in_the_conversation(response, in_conversation):
    assert _signals({"type": "response.created", "response": response}) == [ResponseStarted("r1", in_conversation)]


def test_interruption_signals():
    assert _signals({"type": "input_audio_buffer.speech_started", "audio_start_ms": 900, "item_id": "u1"}) == [
        SpeechStarted(900, "u1")]
    assert _signals({"type": "conversation.item.truncated", "item_id": "a1", "content_index": 0,
                     "audio_end_ms": 600}) == [ItemTruncated("a1", 0, 600)]
    assert _signals({"type": "output_audio_buffer.cleared", "response_id": "r1"}) == [OutputAudioCleared("r1")]
    assert _signals({"type": "output_audio_buffer.audio_cleared", "response_id": "r1"}) == [OutputAudioCleared("r1")]
    assert _signals({"type": "conversation.item.truncated", "item_id": "a1", "audio_end_ms": "600"}) == []


def test_a_responses_output_items_only_update_conversation_items():
    item = {"id": "a1", "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]}
    [output] = _signals({"type": "response.output_item.done", "response_id": "r1", "output_index": 0, "item": item})
    [added] = _signals({"type": "conversation.item.added", "previous_item_id": "u1", "item": item})
    assert isinstance(output, ItemAdded) and output.update_only and output.item.text == "Hi"
    assert isinstance(added, ItemAdded) and not added.update_only and added.previous_item_id == "u1"


def test_errors_name_the_client_event_they_answer():
    assert _signals({"type": "error", "error": {"type": "invalid_request_error",
                                                "code": "conversation_already_has_active_response",
                                                "message": "busy", "event_id": "event_7"}}) == [
        ServiceError("busy", "conversation_already_has_active_response", "event_7")]


WRONG = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                   max_size=3),
                     max_leaves=8)
FIELDS = ["response", "item", "item_id", "response_id", "audio_end_ms", "content_index", "audio_start_ms",
          "error", "transcript", "text", "previous_item_id", "call_id", "name", "arguments", "delta"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SIGNAL_TYPES)), st.dictionaries(st.sampled_from(FIELDS), WRONG, max_size=5))
def test_signals_never_raise_whatever_the_shape(event_type, fields):
    _signals({**fields, "type": event_type})


def test_response_requests_and_truncation_are_valid_client_events():
    plain = json.loads(OpenAICodec().encode(OpenAICodec.response_request()))
    tagged = json.loads(OpenAICodec().encode(OpenAICodec.response_request(event_id="event_1", allow_tools=False)))
    cut = json.loads(OpenAICodec().encode(OpenAICodec.truncate_request("a1", 0, 600)))
    for event in (plain, tagged, cut):
        validate_client_event(event)
    assert plain == {"type": "response.create"}
    assert tagged == {"type": "response.create", "event_id": "event_1", "response": {"tool_choice": "none"}}
    assert cut == {"type": "conversation.item.truncate", "item_id": "a1", "content_index": 0, "audio_end_ms": 600}


def test_a_call_with_a_mistyped_response_id_keeps_none_in_its_metadata():
    [event] = OpenAICodec().decode(json.dumps({
        "type": "response.function_call_arguments.done", "response_id": {"deep": [1]}, "item_id": "fc",
        "call_id": "c1", "name": "t-f", "arguments": "{}"}))
    assert event.function_call.metadata["response_id"] is None
