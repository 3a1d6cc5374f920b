"""Decode against real recordings, the GA spec examples, and arbitrary JSON."""

from __future__ import annotations

import base64
import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)

from semantic_kernel_realtime.events import (
    MCP_APPROVAL_REQUEST,
    MCP_CALL,
    MCP_TOOLS,
    RESPONSE_DONE,
    TEXT_DONE,
    TextDoneEvent,
    Usage,
    UsageEvent,
)
from semantic_kernel_realtime.protocol import BETA_TO_GA, Decoder, MalformedServerEvent
from semantic_kernel_realtime.protocol.openai import OpenAICodec
from tests import shared
from tests.openai_schema import FIXTURES

OPENAI_FIXTURES = sorted((FIXTURES / "openai").glob("*.jsonl")) or [
    pytest.param(None, marks=pytest.mark.skip(reason=shared.ABSENT), id="no-shared")]


def _lines(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_fixtures_are_present():
    if not shared.present():
        pytest.skip(shared.ABSENT)
    assert len(OPENAI_FIXTURES) >= 5, f"expected the shared fixtures beside the repo: {FIXTURES}"


@pytest.mark.parametrize("path", OPENAI_FIXTURES, ids=lambda p: p.name if p else "")
def test_every_recorded_line_decodes_without_exception(path):
    decoder = Decoder()
    for line in _lines(path):
        events = decoder.decode_message(line)
        assert events, line
        for event in events:
            assert isinstance(event, RealtimeEvent)
            raw = json.loads(line)
            if isinstance(event, UsageEvent):  # the typed usage after a response.done that has one
                assert raw["type"] == "response.done" and event.service_event == raw["response"]["usage"]
                continue
            if isinstance(raw, dict) and isinstance(raw.get("type"), str):
                assert event.service_type in (raw["type"], TEXT_DONE, RESPONSE_DONE, MCP_CALL, MCP_TOOLS,
                                              MCP_APPROVAL_REQUEST)
                assert event.service_event == raw


@pytest.mark.parametrize(
    "name", ["live-beta-voice-session.sk-adr-0065.jsonl", "live-beta-text-response.liusida.jsonl"]
)
def test_live_recording_deltas_assemble_to_done_text(name):
    decoder = Decoder()
    assembled: dict[str, str] = defaultdict(str)
    done: dict[str, str] = {}
    for line in _lines(FIXTURES / "openai" / name):
        raw = json.loads(line)
        for event in decoder.decode(raw):
            if isinstance(event, RealtimeTextEvent):
                assembled[event.text.metadata["item_id"]] += event.text.text
        if raw["type"].endswith(("transcript.done", "text.done")):
            done[raw["item_id"]] = raw.get("transcript", raw.get("text"))
    assert done, "the recording has finished texts"
    for item_id, text in done.items():
        assert assembled[item_id] == text, item_id


def test_live_voice_session_has_three_transcribed_turns():
    decoder = Decoder()
    events = [e for line in _lines(FIXTURES / "openai/live-beta-voice-session.sk-adr-0065.jsonl")
              for e in decoder.decode_message(line)]
    texts = [e for e in events if isinstance(e, RealtimeTextEvent)]
    assert len(texts) == 48
    assert all(e.text.metadata["role"] == "assistant" for e in texts)
    assert not [e for e in events if isinstance(e, MalformedServerEvent)]
    assert decoder.state.active_response_id is None  # every response.created was followed by response.done


def test_spec_examples_map_to_the_right_sk_events():
    kinds: dict[str, set[type]] = defaultdict(set)
    for line in _lines(FIXTURES / "openai/spec-ga-server-event-examples.openapi.jsonl"):
        raw = json.loads(line)
        for event in Decoder().decode(raw):
            kinds[raw["type"]].add(type(event))
    assert kinds["response.output_text.delta"] == {RealtimeTextEvent}
    assert kinds["response.output_audio_transcript.delta"] == {RealtimeTextEvent}
    assert kinds["conversation.item.input_audio_transcription.delta"] == {RealtimeTextEvent}
    # the spec's audio example carries the placeholder "Base64EncodedAudioDelta", not base64
    assert kinds["response.output_audio.delta"] == {MalformedServerEvent}
    assert kinds["response.function_call_arguments.delta"] == {RealtimeFunctionCallEvent}
    assert kinds["response.function_call_arguments.done"] == {RealtimeFunctionCallEvent}
    assert kinds["session.created"] == {RealtimeEvent}
    assert kinds[" input_audio_buffer.dtmf_event_received"] == {RealtimeEvent}  # leading space: spec bug


def _audio_event(wire_type: str, pcm: bytes) -> dict:
    return {"type": wire_type, "event_id": "event_1", "response_id": "resp_1", "item_id": "item_1",
            "output_index": 0, "content_index": 0, "delta": base64.b64encode(pcm).decode()}


@pytest.mark.parametrize("wire_type", ["response.output_audio.delta", "response.audio.delta"])
def test_audio_delta_decodes_to_audio_event_with_the_bytes(wire_type):
    pcm = np.arange(-240, 240, dtype="<i2").tobytes()  # 480 samples = 20 ms at 24 kHz
    decoder = Decoder()
    (event,) = decoder.decode(_audio_event(wire_type, pcm))
    assert isinstance(event, RealtimeAudioEvent)
    assert event.service_type == wire_type
    assert event.audio.data == pcm
    assert event.audio.mime_type == "audio/pcm"
    assert isinstance(event.audio, AudioContent)
    assert event.audio.data_uri == AudioContent(data=pcm, data_format="base64", mime_type="audio/pcm").data_uri
    assert decoder.state.audio_ms("item_1") == 20


@pytest.mark.parametrize(("delta", "why"), [
    ("AAA", "padding"),                  # not a multiple of 4
    ("AA=A", "padding"),                 # padding in the middle
    ("AA!A", "character"),               # outside the alphabet
    ("AAAA\nAAAA", "character"),         # a newline is not tolerated either
])
def test_invalid_base64_audio_is_reported_at_decode(delta, why):
    decoder = Decoder()
    (event,) = decoder.decode({"type": "response.output_audio.delta", "item_id": "item_1", "delta": delta})
    assert isinstance(event, MalformedServerEvent)
    assert event.service_type == "response.output_audio.delta"
    assert event.problem.startswith("field 'delta' is not valid base64")
    assert decoder.state.audio_ms("item_1") == 0  # nothing counted


def test_decoded_audio_survives_copy_and_dump():
    pcm = b"\x01\x00" * 480
    (event,) = Decoder().decode(_audio_event("response.output_audio.delta", pcm))
    copied = event.model_copy(deep=True)
    assert copied.audio.data == pcm
    dumped = event.model_dump()
    assert dumped["audio"]["data_uri"].endswith(base64.b64encode(pcm).decode())
    assert RealtimeAudioEvent.model_validate_json(event.model_dump_json()).audio.data == pcm


def test_output_audio_mime_type_follows_the_session_format():
    decoder = Decoder()
    decoder.decode({"type": "session.updated", "session": {"type": "realtime",
                    "audio": {"output": {"format": {"type": "audio/pcmu"}}}}})
    (event,) = decoder.decode(_audio_event("response.output_audio.delta", b"\xff" * 160))
    assert event.audio.mime_type == "audio/pcmu"


def _session_event(etype: str, input_format: str) -> str:
    session = {"type": "realtime", "audio": {"input": {"format": {"type": input_format}}}}
    return json.dumps({"type": etype, "session": session})


def test_the_input_format_follows_the_service_while_the_client_has_named_none():
    codec = OpenAICodec()
    codec.opening(None, None)
    assert codec.input_mime_type == "audio/pcm"
    codec.decode(_session_event("session.created", "audio/pcma"))
    assert codec.input_mime_type == "audio/pcma"


def test_the_input_format_the_client_sent_holds_against_session_events_the_service_sent_before_reading_it():
    # The service applies client events in order: audio appended after a session.update must be in the format
    # it names, though session.created (the service's defaults) and the answer to an older update come later.
    codec = OpenAICodec()
    codec.opening({"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}}}}, None)
    assert codec.input_mime_type == "audio/pcmu"
    codec.decode(_session_event("session.created", "audio/pcm"))
    assert codec.input_mime_type == "audio/pcmu"
    codec.encode(RealtimeEvent(service_type="session.update", service_event={"session": {
        "type": "realtime", "audio": {"input": {"format": {"type": "audio/pcma"}}}}}))
    assert codec.input_mime_type == "audio/pcma"  # from the update on, before the service confirms it
    codec.decode(_session_event("session.updated", "audio/pcmu"))  # the answer to the opening update
    assert codec.input_mime_type == "audio/pcma"
    codec.encode(RealtimeEvent(service_type="session.update", service_event={"session": {
        "type": "realtime", "instructions": "Be brief."}}))
    assert codec.input_mime_type == "audio/pcma"  # an update that names no format keeps it


@pytest.mark.parametrize("beta, ga", sorted(BETA_TO_GA.items()))
def test_beta_names_decode_like_their_ga_names(beta, ga):
    payload = {"delta": "AAAA", "item_id": "item_1", "response_id": "r", "output_index": 0, "content_index": 0,
               "item": {"id": "item_1", "type": "message", "role": "assistant", "content": []}}
    (from_beta,) = Decoder().decode({**payload, "type": beta})
    (from_ga,) = Decoder().decode({**payload, "type": ga})
    assert type(from_beta) is type(from_ga)
    assert from_beta.service_type == beta


def test_function_call_deltas_and_done_carry_names_and_call_id():
    decoder = Decoder()
    decoder.decode({"type": "response.output_item.added", "response_id": "r", "output_index": 0,
                    "item": {"id": "item_9", "type": "function_call", "call_id": "call_1",
                             "name": "weather-get_weather", "arguments": ""}})
    (delta,) = decoder.decode({"type": "response.function_call_arguments.delta", "response_id": "r",
                               "item_id": "item_9", "output_index": 0, "call_id": "call_1", "delta": '{"loc'})
    assert isinstance(delta, RealtimeFunctionCallEvent)
    assert delta.function_call.plugin_name == "weather"
    assert delta.function_call.function_name == "get_weather"
    assert delta.function_call.arguments == '{"loc'
    (done,) = decoder.decode({"type": "response.function_call_arguments.done", "response_id": "r",
                              "item_id": "item_9", "output_index": 0, "call_id": "call_1",
                              "arguments": '{"location": "Paris"}'})
    call = done.function_call
    assert (call.call_id, call.id, call.name) == ("call_1", "item_9", "weather-get_weather")
    assert call.parse_arguments() == {"location": "Paris"}
    assert call.metadata["call_id"] == "call_1"


def test_done_without_any_known_name_is_malformed_not_raised():
    (event,) = Decoder().decode({"type": "response.function_call_arguments.done", "call_id": "c",
                                 "arguments": "{}", "item_id": "i"})
    assert isinstance(event, MalformedServerEvent)
    assert "function name" in event.problem


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"no_type": 1}', "must have a 'type'"),
        ('{"type": 5}', "'type' must be a string"),
        ('{"type": ["x"]}', "'type' must be a string"),
        ('{"type": "response.output_text.delta", "delta": null}', "'delta' must be a string"),
        ('{"type": "response.output_audio.delta", "delta": "abc"}', "base64"),
        ('{"type": "session.created", "session": "[Object truncated by util.inspect]"}', "'session'"),
    ],
)
def test_bad_input_yields_a_malformed_event_that_says_why(raw, problem):
    (event,) = Decoder().decode_message(raw)
    assert isinstance(event, MalformedServerEvent)
    assert problem in event.problem


def test_nulls_where_the_spec_has_none_are_tolerated():
    decoder = Decoder()
    events = [
        {"type": "conversation.item.added", "previous_item_id": None,
         "item": {"id": "item_1", "type": "message", "role": "user", "status": "in_progress", "content": []}},
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "usage": None}},
        {"type": "response.output_audio_transcript.done", "item_id": "item_2", "transcript": None},
        {"type": "session.created", "session": {"type": "realtime", "audio": {"input": {"transcription": None}}}},
    ]
    for raw in events:
        (event,) = decoder.decode(raw)
        assert not isinstance(event, MalformedServerEvent), raw
    assert decoder.state.item_order == ["item_1"]
    assert decoder.state.active_response_id == "resp_1"


def test_unknown_types_are_plain_events():
    (event,) = Decoder().decode({"type": "brand.new.event", "x": 1})
    assert type(event) is RealtimeEvent
    assert event.service_type == "brand.new.event"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
known_types = st.sampled_from(
    ["response.output_audio.delta", "response.function_call_arguments.done", "response.output_item.added",
     "conversation.item.deleted", "response.done", "session.updated", "response.output_text.delta",
     "response.audio.delta", "conversation.item.created", "error"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=6), known_types)
def test_any_json_object_decodes_without_exception(payload, wire_type):
    decoder = Decoder()
    for event in decoder.decode({**payload, "type": wire_type}) + decoder.decode(payload):
        assert isinstance(event, RealtimeEvent)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_value_decodes_without_exception(value):
    for event in Decoder().decode_message(json.dumps(value)):
        assert isinstance(event, RealtimeEvent)


def test_decoded_audio_data_can_be_replaced_like_any_audio_content():
    (event,) = Decoder().decode(_audio_event("response.output_audio.delta", b"\x01\x00" * 480))
    event.audio.data = b"\x02\x00" * 10
    assert event.audio.data == b"\x02\x00" * 10


def test_response_done_usage_becomes_the_typed_usage_record():
    usage = {"total_tokens": 30, "input_tokens": 20, "output_tokens": 10,
             "input_token_details": {"text_tokens": 5, "audio_tokens": 15, "cached_tokens": 4},
             "output_token_details": {"text_tokens": 3, "audio_tokens": 7}}
    events = Decoder().decode({"type": "response.done", "response": {"id": "resp_1", "status": "completed",
                                                                     "usage": usage}})
    assert [type(e).__name__ for e in events] == ["RealtimeEvent", "UsageEvent", "ResponseDoneEvent"]
    assert events[2].usage == events[1].usage and events[2].status == "completed" and not events[2].asked_for_tools
    assert events[1].usage == Usage(input_tokens=20, output_tokens=10, total_tokens=30, input_text_tokens=5,
                                    input_audio_tokens=15, input_cached_tokens=4, output_text_tokens=3,
                                    output_audio_tokens=7)
    assert events[1].response_id == "resp_1" and events[1].service_type == "client.usage"


def test_recorded_usage_decodes_and_a_response_without_usage_adds_nothing():
    decoder = Decoder()
    usages = [e.usage for line in _lines(FIXTURES / "openai" / "live-beta-voice-session.sk-adr-0065.jsonl")
              for e in decoder.decode_message(line) if isinstance(e, UsageEvent)]
    assert usages and all(u.total_tokens == u.input_tokens + u.output_tokens for u in usages)
    without = decoder.decode({"type": "response.done", "response": {"id": "r", "usage": None}})
    assert [type(e).__name__ for e in without] == ["RealtimeEvent", "ResponseDoneEvent"] and without[1].usage is None


def test_settled_words_and_finished_responses_become_protocol_neutral_events():
    decoder = Decoder()
    transcript = decoder.decode({"type": "conversation.item.input_audio_transcription.completed", "item_id": "u1",
                                 "content_index": 0, "transcript": "What is the weather?"})
    answer = decoder.decode({"type": "response.output_audio_transcript.done", "item_id": "a1", "response_id": "r2",
                             "output_index": 0, "content_index": 0, "transcript": "Sunny."})
    text = decoder.decode({"type": "response.text.done", "item_id": "a2", "text": "Hi."})  # a beta name
    unmade = decoder.decode({"type": "conversation.item.input_audio_transcription.completed", "item_id": "u2",
                             "transcript": None})  # the live service sends null for a failed transcript
    assert [(e.role, e.item_id, e.text) for e in (transcript[1], answer[1], text[1])] == [
        ("user", "u1", "What is the weather?"), ("assistant", "a1", "Sunny."), ("assistant", "a2", "Hi.")]
    assert all(type(e[0]) is RealtimeEvent and isinstance(e[1], TextDoneEvent) for e in (transcript, answer, text))
    assert [type(e) for e in unmade] == [RealtimeEvent]

    asked = decoder.decode({"type": "response.done", "response": {"id": "r1", "status": "completed", "output": [
        {"type": "function_call", "id": "i1", "call_id": "c1", "name": "w-get", "arguments": "{}"},
        {"type": "message", "id": "i2", "role": "assistant", "content": []}]}})
    cancelled = decoder.decode({"type": "response.done", "response": {"id": "r3", "status": "cancelled"}})
    assert [(e.response_id, e.status, e.call_ids, e.asked_for_tools) for e in (asked[-1], cancelled[-1])] == [
        ("r1", "completed", ("c1",), True), ("r3", "cancelled", (), False)]
