"""validation.py: the strict GA judge and its error vocabulary."""

import json

import pytest

from semantic_kernel_realtime.server.validation import (
    EventValidationError,
    client_event_types,
    parse_client_message,
    server_event_types,
    validate_client_event,
    validate_server_event,
    without_nulls,
)


def error_of(obj):
    with pytest.raises(EventValidationError) as info:
        validate_client_event(obj)
    return info.value


def test_knows_every_ga_event_type():
    assert "session.update" in client_event_types() and len(client_event_types()) == 11
    assert {"response.output_audio.delta", "output_audio_buffer.cleared"} <= server_event_types()


def test_valid_client_events_pass():
    validate_client_event({"type": "session.update", "session": {
        "type": "realtime", "audio": {"input": {"turn_detection": None}, "output": {"voice": "cedar"}},
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object", "anything": 1}}]}})
    validate_client_event({"type": "response.create", "response": {"output_modalities": ["text"],
                                                                    "metadata": {"k": "v"}}})
    validate_client_event({"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e"})


@pytest.mark.parametrize(
    ("obj", "code", "param"),
    [
        ([1, 2], "invalid_event", None),
        ({"event_id": "e"}, "invalid_event", "type"),
        ({"type": 5}, "invalid_value", "type"),
        ({"type": "response.audio.delta"}, "invalid_value", "type"),
        ({"type": "input_audio_buffer.append"}, "missing_required_parameter", "audio"),
        ({"type": "input_audio_buffer.append", "audio": 12}, "invalid_type", "audio"),
        ({"type": "input_audio_buffer.append", "audio": "", "extra": 1}, "unknown_parameter", "extra"),
        ({"type": "session.update", "session": {"type": "realtime", "tools": [{"type": "function", "meta": 1}]}},
         "unknown_parameter", "session.tools[0].meta"),
        ({"type": "session.update", "session": {"type": "realtime", "audio": {"output": {
            "format": {"type": "audio/pcmu", "rate": 8000}}}}},
         "unknown_parameter", "session.audio.output.format.rate"),
        ({"type": "conversation.item.create", "item": {"type": "message", "role": "bot", "content": []}},
         "invalid_value", "item.role"),
        ({"type": "conversation.item.create", "item": {"type": "mesage", "role": "user", "content": []}},
         "invalid_value", "item.type"),
        ({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                        "content": [{"type": "input_txt", "text": "x"}]}},
         "invalid_value", "item.content[0].type"),
        ({"type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": "5"},
         "invalid_type", "audio_end_ms"),
    ],
)
def test_errors_carry_code_and_param(obj, code, param):
    error = error_of(obj)
    assert (error.code, error.param) == (code, param)
    assert error.message


def test_error_keeps_the_event_id():
    assert error_of({"type": "nope", "event_id": "evt_9"}).event_id == "evt_9"


def test_invalid_json():
    with pytest.raises(EventValidationError) as info:
        parse_client_message("{oops")
    assert info.value.code == "invalid_json"


def test_server_events_are_checked_strictly():
    validate_server_event({"type": "input_audio_buffer.cleared", "event_id": "event_1"})
    with pytest.raises(EventValidationError):
        validate_server_event({"type": "input_audio_buffer.cleared", "event_id": "event_1", "extra": True})
    with pytest.raises(EventValidationError):
        validate_server_event({"type": "response.audio.delta", "event_id": "event_1"})


def test_session_events_may_carry_the_session_resource_fields():
    session = {"type": "realtime", "id": "sess_1", "object": "realtime.session", "expires_at": 1, "model": "m"}
    validate_server_event({"type": "session.created", "event_id": "event_1", "session": session})
    with pytest.raises(EventValidationError) as info:
        validate_server_event({"type": "session.created", "event_id": "event_1",
                               "session": {**session, "modalities": ["text"]}})
    assert info.value.param == "session.modalities"


def test_live_ga_session_example_validates():
    from tests.server.fixtures import FIXTURES

    lines = (FIXTURES / "openai" / "spec-ga-server-event-examples.openapi.jsonl").read_text().splitlines()
    examples = [json.loads(line) for line in lines]
    ga_created = [e for e in examples if e["type"] == "session.created" and e["session"].get("type") == "realtime"]
    assert ga_created
    for event in ga_created:
        event.pop("_schema")
        validate_server_event(event)


def test_without_nulls_drops_absent_fields_and_keeps_the_ones_that_turn_things_off():
    event = {"type": "session.update", "session": {
        "type": "realtime", "instructions": None, "tools": [{"type": "function", "name": "f", "description": None,
                                                              "parameters": {"default": None}}],
        "audio": {"input": {"turn_detection": None, "transcription": None, "format": None}, "output": None}}}
    cleaned = without_nulls(validate_client_event(event), event)
    assert cleaned["session"] == {
        "type": "realtime", "tools": [{"type": "function", "name": "f", "parameters": {"default": None}}],
        "audio": {"input": {"turn_detection": None, "transcription": None}}}
    assert event["session"]["instructions"] is None  # the input is left alone


# --- parse_client_message: the plain-append fast path accepts exactly what the strict path accepts -------

_APPEND_VALUES = [None, 1, 1.5, True, "AAAA", "", [], {}, {"x": 1}]


@pytest.mark.parametrize("audio", _APPEND_VALUES)
@pytest.mark.parametrize("event_id", ["absent", *_APPEND_VALUES])
@pytest.mark.parametrize("extra", [None, ("foo", 1), ("audio_end_ms", 5)])
def test_parse_client_message_matches_the_strict_path_for_appends(audio, event_id, extra):
    event = {"type": "input_audio_buffer.append", "audio": audio}
    if event_id != "absent":
        event["event_id"] = event_id
    if extra is not None:
        event[extra[0]] = extra[1]
    text = json.dumps(event)
    try:
        model = validate_client_event(json.loads(text))
        strict = ("ok", without_nulls(model, json.loads(text)))
    except EventValidationError as exc:
        strict = ("error", exc.to_event()["error"])
    try:
        _, raw = parse_client_message(text)
        fast = ("ok", raw)
    except EventValidationError as exc:
        fast = ("error", exc.to_event()["error"])
    assert fast == strict
