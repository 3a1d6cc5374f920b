"""Typed request builders -> GA client events that the openai types accept; the raw passthrough's reach."""

from __future__ import annotations

import pytest
from semantic_kernel.contents.realtime_events import RealtimeEvent

from semantic_kernel_realtime.protocol import (
    EncodeError,
    buffer_clear,
    buffer_commit,
    encode_event,
    item_delete,
    item_retrieve,
    item_truncate,
    mcp_approval,
    response_cancel,
    response_create,
)
from tests.openai_schema import validate_client_event

SYSTEM = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "S"}]}
USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What was said?"}]}
CASES = {
    "out of band": (
        response_create(conversation="none", metadata={"topic": "summary"}, instructions="Summarise.",
                        input=["What was said?", SYSTEM],
                        output_modalities=["text"], tool_choice="none", max_output_tokens=200, voice="marin"),
        {"type": "response.create", "response": {
            "conversation": "none", "metadata": {"topic": "summary"}, "instructions": "Summarise.",
            "input": [USER, SYSTEM],
            "output_modalities": ["text"], "tool_choice": "none", "max_output_tokens": 200,
            "audio": {"output": {"voice": "marin"}}}}),
    "plain response": (response_create(event_id="evt_1"), {"type": "response.create", "event_id": "evt_1"}),
    "cancel": (response_cancel("resp_1"), {"type": "response.cancel", "response_id": "resp_1"}),
    "cancel active": (response_cancel(), {"type": "response.cancel"}),
    "retrieve": (item_retrieve("item_1"), {"type": "conversation.item.retrieve", "item_id": "item_1"}),
    "delete": (item_delete("item_1"), {"type": "conversation.item.delete", "item_id": "item_1"}),
    "truncate": (item_truncate("item_1", 1500), {"type": "conversation.item.truncate", "item_id": "item_1",
                                                 "content_index": 0, "audio_end_ms": 1500}),
    "commit": (buffer_commit(), {"type": "input_audio_buffer.commit"}),
    "clear": (buffer_clear(), {"type": "input_audio_buffer.clear"}),
    "mcp approval": (mcp_approval("mcpr_1", True, reason="ok", item_id="item_a"), {
        "type": "conversation.item.create",
        "item": {"type": "mcp_approval_response", "id": "item_a", "approval_request_id": "mcpr_1", "approve": True,
                 "reason": "ok"}}),
}


@pytest.mark.parametrize("name", CASES)
def test_each_request_is_a_valid_ga_client_event(name):
    event, wire = CASES[name]
    encoded = encode_event(event)
    assert encoded == wire
    validate_client_event(encoded)


@pytest.mark.parametrize("call", [lambda: item_delete(""), lambda: item_truncate("i", -1),
                                  lambda: response_create(conversation="other"), lambda: mcp_approval("", True)])
def test_bad_arguments_fail_at_the_call(call):
    with pytest.raises(EncodeError):
        call()


def test_a_newer_client_event_type_passes_raw_and_server_types_do_not():
    assert encode_event(RealtimeEvent(service_type="session.ping", service_event={"x": 1})) == \
        {"type": "session.ping", "x": 1}
    for wrong in ("session.created", "Not An Event", "response", ""):
        with pytest.raises(EncodeError):
            encode_event(RealtimeEvent(service_type=wrong))
