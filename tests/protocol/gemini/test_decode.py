"""Gemini Live decode: recorded messages, both spellings, turns, calls, usage, resumption, and bad input."""

from __future__ import annotations

import base64
import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)

from semantic_kernel_realtime.events import MalformedServerEvent, ResponseDoneEvent, TextDoneEvent, Usage, UsageEvent
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    CallsCancelled,
    ItemAdded,
    ItemText,
    ResponseEnded,
    ResponseInterrupted,
)
from semantic_kernel_realtime.protocol.gemini import GeminiCodec, GeminiServerEvent
from tests import shared
from tests.openai_schema import FIXTURES

GEMINI_FIXTURES = sorted((FIXTURES / "gemini").glob("*.jsonl"))


def _lines(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


def _signals(events):
    return [s for e in events for s in GeminiCodec.signals(e)]


def test_fixtures_are_present():
    if not shared.present():
        pytest.skip(shared.ABSENT)
    assert len(GEMINI_FIXTURES) >= 2, f"expected the shared Gemini fixtures beside the repo: {FIXTURES}"


@pytest.mark.parametrize("path", GEMINI_FIXTURES, ids=lambda p: p.name)
def test_every_recorded_message_decodes_without_a_malformed_event(path):
    codec = GeminiCodec()
    for line in _lines(path):
        events = codec.decode(line)
        assert events, line
        for event in events:
            assert isinstance(event, RealtimeEvent) and not isinstance(event, MalformedServerEvent), line
            if not isinstance(event, UsageEvent):
                assert event.service_event == json.loads(line)


def test_camel_and_snake_case_decode_alike():
    camel = {"toolCall": {"functionCalls": [{"id": "c1", "name": "weather-get", "args": {"city": "Paris"}}]}}
    snake = {"tool_call": {"function_calls": [{"id": "c1", "name": "weather-get", "args": {"city": "Paris"}}]}}
    first, second = GeminiCodec().decoder.decode(camel), GeminiCodec().decoder.decode(snake)
    assert [(type(e), e.service_type) for e in first] == [(type(e), e.service_type) for e in second]
    call = first[1].function_call
    assert (call.call_id, call.plugin_name, call.function_name, call.arguments) == ("c1", "weather", "get",
                                                                                    '{"city":"Paris"}')


def test_a_spoken_turn_becomes_text_audio_and_settled_facts():
    decoder = GeminiCodec().decoder
    pcm = b"\x01\x00" * 480
    events = []
    for message in (
        {"serverContent": {"inputTranscription": {"text": "What's the"}}},
        {"serverContent": {"inputTranscription": {"text": " weather?"}}},
        {"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000",
                                                                   "data": base64.b64encode(pcm).decode()}}]}}},
        {"serverContent": {"outputTranscription": {"text": "It is sunny."}}},
        {"serverContent": {"generationComplete": True}},
        {"serverContent": {"turnComplete": True},
         "usageMetadata": {"promptTokenCount": 10, "responseTokenCount": 20, "totalTokenCount": 30,
                           "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 10}],
                           "responseTokensDetails": [{"modality": "AUDIO", "tokenCount": 20}]}},
    ):
        events += decoder.decode(message)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RealtimeTextEvent", "RealtimeTextEvent", "RealtimeAudioEvent", "RealtimeTextEvent",
                     "GeminiServerEvent", "GeminiServerEvent", "TextDoneEvent", "TextDoneEvent", "UsageEvent",
                     "ResponseDoneEvent"]
    user, assistant = events[0].text.metadata, events[3].text.metadata
    assert user["role"] == "user" and assistant["role"] == "assistant"
    assert events[1].text.metadata["item_id"] == user["item_id"] != assistant["item_id"]
    audio = events[2]
    assert isinstance(audio, RealtimeAudioEvent) and audio.audio.data == pcm and audio.audio.mime_type == "audio/pcm"
    facts = _signals(events)
    added = [f.item for f in facts if isinstance(f, ItemAdded)]
    assert [(i.role, i.text) for i in added] == [("user", "What's the weather?"), ("assistant", "It is sunny.")]
    assert added[1].id == assistant["item_id"]
    ended = [f for f in facts if isinstance(f, ResponseEnded)]
    assert ended[0].status == "completed" and ended[0].usage.output_audio_tokens == 20
    usage, done = events[-2], events[-1]
    assert usage.usage == Usage(input_tokens=10, output_tokens=20, total_tokens=30, input_audio_tokens=10,
                                output_audio_tokens=20)
    assert usage.response_id == ended[0].response_id
    # the protocol-neutral events: each item's final words, then the turn's end (no calls: the answer)
    assert [(e.role, e.item_id, e.text) for e in events[6:8]] == [("user", user["item_id"], "What's the weather?"),
                                                                  ("assistant", assistant["item_id"], "It is sunny.")]
    assert [(f.role, f.text) for f in facts if isinstance(f, ItemText)] == [("user", "What's the weather?"),
                                                                           ("assistant", "It is sunny.")]
    assert (done.response_id, done.status, done.call_ids, done.usage) == (ended[0].response_id, "completed", (),
                                                                          usage.usage)


def test_a_tool_call_places_the_users_words_before_the_call_and_says_each_call_is_complete():
    decoder = GeminiCodec().decoder
    events = decoder.decode({"serverContent": {"inputTranscription": {"text": "weather in Paris"}}})
    events += decoder.decode({"toolCall": {"functionCalls": [
        {"id": "a", "name": "weather-get", "args": {"city": "Paris"}}, {"name": "clock-now"}]}})
    facts = _signals(events)
    assert [type(f).__name__ for f in facts] == ["ItemAdded", "ItemAdded", "ItemAdded", "ItemText", "CallCompleted",
                                                 "CallCompleted"]
    assert [f.item.kind for f in facts[:3]] == ["message", "function_call", "function_call"]
    assert facts[1].previous_item_id == facts[0].item.id
    assert (facts[3].role, facts[3].text) == ("user", "weather in Paris")
    minted = facts[5].call.call_id
    assert minted.startswith("gemini_call_") and minted in decoder.minted_call_ids
    assert all(isinstance(f, CallCompleted) for f in facts[4:])
    # the turn that asked for the calls ends: not the answer yet (the model goes on after the results)
    (done,) = [e for e in decoder.decode({"serverContent": {"turnComplete": True}}) if isinstance(e, ResponseDoneEvent)]
    assert done.call_ids == ("a", minted) and done.asked_for_tools


def test_a_finished_input_transcription_settles_the_users_words_at_once():
    decoder = GeminiCodec().decoder
    events = decoder.decode({"serverContent": {"inputTranscription": {"text": "Hello"}}})
    events += decoder.decode({"serverContent": {"inputTranscription": {"text": " there", "finished": True}}})
    events += decoder.decode({"serverContent": {"turnComplete": True}})
    settled = [(e.role, e.text) for e in events if isinstance(e, TextDoneEvent)]
    assert settled == [("user", "Hello there")]  # once: the turn's end does not repeat it
    assert type(events[2]) is TextDoneEvent and events[2].item_id == events[0].text.metadata["item_id"]


def test_interrupted_turn_ends_cancelled_and_cancellation_names_the_calls():
    decoder = GeminiCodec().decoder
    events = decoder.decode({"serverContent": {"modelTurn": {"parts": [{"text": "Let me"}]}}})
    events += decoder.decode({"serverContent": {"interrupted": True}})
    events += decoder.decode({"toolCallCancellation": {"ids": ["a", "b"]}})
    events += decoder.decode({"serverContent": {"turnComplete": True}})
    facts = _signals(events)
    assert CallsCancelled(("a", "b")) in facts
    assert [f.status for f in facts if isinstance(f, ResponseEnded)] == ["cancelled"]


def test_interrupted_says_so_at_once_naming_the_turn():
    codec = GeminiCodec()
    [text] = codec.decoder.decode({"serverContent": {"modelTurn": {"parts": [{"text": "Let me"}]}}})
    turn = codec.decoder.turn_id
    [interrupted] = codec.decoder.decode({"serverContent": {"interrupted": True}})
    assert interrupted.service_type == "serverContent.interrupted" and "serverContent.interrupted" in codec.signal_types
    assert list(GeminiCodec.signals(interrupted)) == [ResponseInterrupted(turn)]
    assert codec.decoder.decode({"serverContent": {"interrupted": False}})[0].facts == ()


def test_output_audio_is_counted_per_model_item_on_both_decode_paths():
    codec = GeminiCodec()
    chunk = base64.b64encode(bytes(960)).decode()
    codec.decode(orjson.dumps({"serverContent": {"modelTurn": {"parts": [
        {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": chunk}}]}}}))  # the short path
    first = codec.decoder.model_id
    codec.decode(orjson.dumps({"serverContent": {"modelTurn": {"parts": [
        {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": chunk}}, {"text": "Hi"}]}}}))  # the general one
    assert codec.output_audio is codec.decoder.output_audio and codec.output_audio.bytes_per_ms == 48
    assert codec.output_audio.item_bytes(first) == 1920 and codec.output_audio.item_ms(first) == 40
    codec.decode(orjson.dumps({"serverContent": {"turnComplete": True}}))
    codec.decode(orjson.dumps({"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": chunk}}]}}}))
    second = codec.decoder.model_id
    assert second != first and codec.output_audio.item_bytes(second) == 960 and codec.output_audio.received == 2880


def test_resumption_handle_session_id_and_go_away_are_remembered():
    decoder = GeminiCodec().decoder
    decoder.decode({"setupComplete": {"sessionId": "s1"}})
    decoder.decode({"sessionResumptionUpdate": {"newHandle": "h1", "resumable": True}})
    decoder.decode({"sessionResumptionUpdate": {"newHandle": "h2", "resumable": False}})
    events = decoder.decode({"goAway": {"timeLeft": "10s"}})
    assert (decoder.session_id, decoder.resumption_handle, decoder.go_away_time_left) == ("s1", "h1", "10s")
    assert isinstance(events[0], GeminiServerEvent) and events[0].service_type == "goAway"


def test_unknown_fields_pass_through_and_annotations_are_skipped():
    events = GeminiCodec().decoder.decode({"somethingNew": {"x": 1}, "_src_line": 3})
    assert [(type(e).__name__, e.service_type) for e in events] == [("GeminiServerEvent", "somethingNew")]


@pytest.mark.parametrize("message, cause", [
    (b"not json", "invalid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"{}", "at least one field"),
    (b'{"serverContent": 3}', "'serverContent' must be an object"),
    (b'{"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "%%%"}}]}}}', "not valid base64"),
    (b'{"toolCall": {"functionCalls": [{"args": {}}]}}', "'name'"),
    (b'{"toolCallCancellation": {"ids": [1]}}', "list of strings"),
    (b'{"usageMetadata": 5}', "'usageMetadata' must be an object"),
])
def test_malformed_messages_become_malformed_events(message, cause):
    events = GeminiCodec().decode(message)
    bad = [e for e in events if isinstance(e, MalformedServerEvent)]
    assert bad and cause in bad[0].cause, [e.cause for e in bad]


_json = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=3),
                     max_leaves=10)
_fields = st.sampled_from(["serverContent", "server_content", "toolCall", "tool_call", "toolCallCancellation",
                           "usageMetadata", "goAway", "sessionResumptionUpdate", "setupComplete", "x"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_fields, _json | st.dictionaries(st.sampled_from(
    ["modelTurn", "turnComplete", "interrupted", "inputTranscription", "functionCalls", "ids", "parts"]), _json)))
def test_decode_never_raises(message):
    codec = GeminiCodec()
    for event in codec.decode(orjson.dumps(message)):
        assert isinstance(event, RealtimeEvent)
        codec.signals(event)


def test_text_and_function_call_event_types():
    events = GeminiCodec().decoder.decode({"serverContent": {"modelTurn": {"parts": [{"text": "hi"}]}}})
    assert isinstance(events[0], RealtimeTextEvent) and events[0].service_type == "serverContent.modelTurn.text"
    events = GeminiCodec().decoder.decode({"toolCall": {"functionCalls": [{"id": "x", "name": "f"}]}})
    assert isinstance(events[1], RealtimeFunctionCallEvent) and events[1].function_call.arguments == "{}"


@pytest.mark.parametrize("message, cause", [
    ({"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "not base64!"}}]}}}, "not valid base64"),
    ({"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": 7}}]}}}, "must be a string"),
    ({"serverContent": {"outputTranscription": {"text": 7}}}, "outputTranscription.text' must be a string"),
    ({"serverContent": {"inputTranscription": "hello"}}, "inputTranscription' must be an object"),
])
def test_the_short_path_leaves_what_it_refuses_to_the_general_path(message, cause):
    (event,) = GeminiCodec().decode(orjson.dumps(message))
    assert isinstance(event, MalformedServerEvent) and cause in event.cause and event.service_event == message


def test_the_short_path_decodes_as_the_general_path_does():
    audio = {"inlineData": {"mimeType": ["odd"], "data": base64.b64encode(b"\x01\x00").decode()}}
    for message in ({"serverContent": {"modelTurn": {"parts": [audio]}}},
                    {"serverContent": {"outputTranscription": {"text": ""}}},
                    {"serverContent": {"inputTranscription": {"text": "Hi", "finished": True}}}):
        short, general = GeminiCodec().decode(orjson.dumps(message)), GeminiCodec().decoder.decode(message)
        assert [(type(e), e.service_type) for e in short] == [(type(e), e.service_type) for e in general], message
