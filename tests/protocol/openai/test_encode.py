"""Every client event encode produces validates strictly against the openai package's GA types."""

from __future__ import annotations

import base64
import dataclasses

import numpy as np
import orjson
import pytest
from pydantic import BaseModel
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.image_content import ImageContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeImageEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime.protocol import (
    CLIENT_EVENT_TYPES,
    Decoder,
    EncodeError,
    RealtimeExecutionSettings,
    encode_event,
    serialize_result,
)
from tests.openai_schema import validate_client_event

PCM = np.arange(-240, 240, dtype="<i2").tobytes()


class Weather(BaseModel):
    city: str
    celsius: float


@dataclasses.dataclass
class Point:
    x: int
    y: int


def _result(value):
    return RealtimeFunctionResultEvent(
        function_result=FunctionResultContent(function_name="f", plugin_name="p", call_id="call_1", result=value)
    )


SK_EVENTS = {
    "audio bytes": RealtimeAudioEvent(audio=AudioContent(data=PCM, data_format="base64", mime_type="audio/pcm")),
    "audio ndarray": RealtimeAudioEvent(audio=AudioContent(data=np.frombuffer(PCM, dtype=np.int16))),
    "text": RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")),
    "assistant text": RealtimeTextEvent(text=TextContent(text="Sunny.", metadata={"role": "assistant"})),
    "system text": RealtimeTextEvent(text=TextContent(text="Be brief.", metadata={"role": "system"})),
    "image": RealtimeImageEvent(image=ImageContent(data=b"\x89PNG....", mime_type="image/png")),
    "function call": RealtimeFunctionCallEvent(
        function_call=FunctionCallContent(id="item_1", call_id="call_1", plugin_name="weather",
                                          function_name="get", arguments={"city": "Paris"})),
    "result str": _result("sunny"),
    "result int": _result(21),
    "result dict": _result({"temp": 21, "sky": "clear"}),
    "result pydantic": _result(Weather(city="Paris", celsius=21.5)),
    "result dataclass": _result(Point(1, 2)),
    "result None": _result(None),
    "result list": _result([1, "two", None]),
    "result via metadata call_id": RealtimeFunctionResultEvent(
        function_result=FunctionResultContent(function_name="f", metadata={"call_id": "call_9"}, result="ok")),
}

RAW_EVENTS = {
    "input_audio_buffer.append": {"audio": base64.b64encode(PCM).decode()},
    "input_audio_buffer.commit": None,
    "input_audio_buffer.clear": None,
    "output_audio_buffer.clear": None,
    "conversation.item.create": {"item": {"type": "message", "role": "user",
                                          "content": [{"type": "input_text", "text": "hi"}]}},
    "conversation.item.retrieve": {"item_id": "item_1"},
    "conversation.item.truncate": {"item_id": "item_1", "content_index": 0, "audio_end_ms": 1500},
    "conversation.item.delete": {"item_id": "item_1"},
    "response.create": None,
    "response.cancel": {"response_id": "resp_1"},
    "session.update": {"settings": RealtimeExecutionSettings(instructions="Be brief.", voice="echo")},
}


def test_raw_cases_cover_every_client_event_type():
    assert set(RAW_EVENTS) == CLIENT_EVENT_TYPES


@pytest.mark.parametrize("name", SK_EVENTS)
def test_sk_events_encode_to_valid_ga_client_events(name):
    validate_client_event(encode_event(SK_EVENTS[name]))


@pytest.mark.parametrize("etype", sorted(RAW_EVENTS))
def test_raw_passthrough_encodes_to_valid_ga_client_events(etype):
    encoded = encode_event(RealtimeEvent(service_type=etype, service_event=RAW_EVENTS[etype]))
    assert encoded["type"] == etype
    validate_client_event(encoded)


def test_audio_round_trips_through_base64():
    encoded = encode_event(SK_EVENTS["audio ndarray"])
    assert base64.b64decode(encoded["audio"]) == PCM


def test_decoded_audio_can_be_sent_back():
    (event,) = Decoder().decode({"type": "response.output_audio.delta", "item_id": "i",
                                 "delta": base64.b64encode(PCM).decode()})
    assert base64.b64decode(encode_event(event)["audio"]) == PCM


def test_roles_choose_the_content_kind():
    assert encode_event(SK_EVENTS["text"])["item"]["content"][0]["type"] == "input_text"
    assert encode_event(SK_EVENTS["assistant text"])["item"]["content"][0]["type"] == "output_text"
    assert encode_event(SK_EVENTS["system text"])["item"]["role"] == "system"


@pytest.mark.parametrize(
    "value, expected",
    [("sunny", "sunny"), (21, "21"), ({"a": 1}, '{"a": 1}'), (None, "null"), ([1, None], "[1, null]"),
     (Weather(city="Paris", celsius=21.5), '{"city":"Paris","celsius":21.5}'), (Point(1, 2), '{"x": 1, "y": 2}'),
     ({"w": Weather(city="P", celsius=1)}, '{"w": {"city": "P", "celsius": 1.0}}')],
)
def test_results_are_serialised_as_json(value, expected):
    assert serialize_result(value) == expected


@pytest.mark.parametrize(
    "event, message",
    [
        (RealtimeEvent(service_type="session.created"), "not a GA client event"),
        (RealtimeEvent(service_type=None), "not a GA client event"),
        (RealtimeEvent(service_type="response.cancel", service_event="resp_1"), "must be a mapping"),
        (RealtimeEvent(service_type="response.cancel", service_event={"type": "response.create"}), "disagrees"),
        (RealtimeAudioEvent(audio=AudioContent(uri="https://example.invalid/a.wav")), "no audio data"),
        (RealtimeTextEvent(text=TextContent(text="x", metadata={"role": "tool"})), "role"),
        (RealtimeFunctionResultEvent(function_result=FunctionResultContent(function_name="f", result=1)), "call_id"),
    ],
)
def test_encoding_is_strict_with_clear_errors(event, message):
    with pytest.raises(EncodeError, match=message):
        encode_event(event)


def test_the_codecs_interruption_and_scripted_line_requests_are_valid_ga_client_events():
    from semantic_kernel_realtime.protocol.base import SCRIPTED_LINE
    from semantic_kernel_realtime.protocol.openai import OpenAICodec

    codec = OpenAICodec()
    cancel = orjson.loads(codec.encode(OpenAICodec.cancel_request(event_id="event_skr_cancel_1")))
    assert cancel == {"type": "response.cancel", "event_id": "event_skr_cancel_1"}
    clear = orjson.loads(codec.encode(OpenAICodec.clear_audio_request()))
    [scripted] = [orjson.loads(codec.encode(event)) for event in OpenAICodec.scripted_response("Sorry.")]
    for event in (cancel, clear, scripted):
        validate_client_event(event)
    assert scripted["response"] == {"instructions": SCRIPTED_LINE.format(line="Sorry."), "tool_choice": "none"}
