"""OpenAI GA events -> protocol-neutral signals, and the codec's requests for the layers above."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_kernel_realtime.protocol.base import (
    ItemAdded,
    ItemTruncated,
    OutputAudioCleared,
    ResponseStarted,
    ServiceError,
    SpeechStarted,
)
from semantic_kernel_realtime.protocol.openai import OpenAICodec
from semantic_kernel_realtime.protocol.openai.signals import SIGNAL_TYPES
from tests.openai_schema import validate_client_event


def _signals(event: dict) -> list:
    return [s for e in OpenAICodec().decode(json.dumps(event)) for s in OpenAICodec.signals(e)]


@pytest.mark.parametrize("response, in_conversation", [
    ({"id": "r1", "conversation_id": "conv_1"}, True),
    ({"id": "r1"}, True),
    ({"id": "r1", "conversation_id": None}, False),
])
def test_response_created_says_whether_the_response_is_in_the_conversation(response, in_conversation):
    assert _signals({"type": "response.created", "response": response}) == [ResponseStarted("r1", in_conversation)]


def test_interruption_signals():
    assert _signals({"type": "input_audio_buffer.speech_started", "audio_start_ms": 900, "item_id": "u1"}) == [
        SpeechStarted("u1", 900)]
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
