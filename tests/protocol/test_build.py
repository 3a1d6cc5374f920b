"""protocol/_build.py builds SK models without validation by writing pydantic's instance slots: every object
it builds must be indistinguishable from its validated twin (value, ``model_dump``, copies, pickling).

The objects come out of the real decode path (the OpenAI codec) for generated wire events; each twin is
built with the models' own validating constructors from the same values. If a pydantic or Semantic Kernel
release changes how models store their state, these fail (pyproject.toml bounds pydantic for that reason).
"""

from __future__ import annotations

import base64
import copy
import pickle

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.streaming_text_content import StreamingTextContent

from semantic_kernel_realtime.events import SYNTHETIC_TYPES, MalformedServerEvent, ResponseDoneEvent, TextDoneEvent
from semantic_kernel_realtime.protocol._build import DecodedAudioContent, pcm_audio_event
from semantic_kernel_realtime.protocol.gemini import GeminiCodec
from semantic_kernel_realtime.protocol.openai import OpenAICodec

ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
pcm = st.binary(min_size=2, max_size=400).map(lambda b: b[: len(b) // 2 * 2])


def _decode(event: dict):
    decoded, *neutral = OpenAICodec().decode(orjson.dumps(event))
    assert all(e.service_type in SYNTHETIC_TYPES for e in neutral)  # protocol-neutral events that follow
    return decoded


def _assert_twins(fast, twin) -> None:
    assert type(fast) is type(twin)
    assert fast == twin
    assert fast.model_dump() == twin.model_dump()
    assert orjson.loads(fast.model_dump_json()) == orjson.loads(twin.model_dump_json())
    for made in (copy.copy(fast), copy.deepcopy(fast), fast.model_copy(), fast.model_copy(deep=True),
                 pickle.loads(pickle.dumps(fast))):
        assert made == twin
        assert made.model_dump() == twin.model_dump()


@settings(max_examples=60, deadline=None)
@given(item_id=ids, delta=words, kind=st.sampled_from(["response.output_text.delta",
                                                       "response.output_audio_transcript.delta"]))
def test_text_deltas(item_id, delta, kind):
    event = {"type": kind, "item_id": item_id, "delta": delta}
    twin = RealtimeTextEvent(service_type=kind, service_event=event, text=StreamingTextContent(
        choice_index=0, text=delta, metadata={"item_id": item_id, "role": "assistant"}))
    fast = _decode(event)
    _assert_twins(fast, twin)
    _assert_twins(fast.text, twin.text)


@settings(max_examples=60, deadline=None)
@given(item_id=ids, data=pcm)
def test_output_audio(item_id, data):
    event = {"type": "response.output_audio.delta", "item_id": item_id, "delta": base64.b64encode(data).decode()}
    twin_audio = DecodedAudioContent(data=data, data_format="base64", mime_type="audio/pcm")
    fast = _decode(event)
    _assert_twins(fast, RealtimeAudioEvent(service_type=event["type"], service_event=event, audio=twin_audio))
    assert fast.audio.data == twin_audio.data == data
    track = pcm_audio_event("client.track_audio", data)
    _assert_twins(track, RealtimeAudioEvent(service_type="client.track_audio", audio=twin_audio))


@settings(max_examples=60, deadline=None)
@given(call_id=ids, item_id=ids, response_id=ids, plugin=st.from_regex(r"[a-z]{1,8}", fullmatch=True),
       function=st.from_regex(r"[a-z_]{1,12}", fullmatch=True), arguments=words)
def test_completed_calls(call_id, item_id, response_id, plugin, function, arguments):
    name = f"{plugin}-{function}"
    event = {"type": "response.function_call_arguments.done", "call_id": call_id, "item_id": item_id,
             "response_id": response_id, "output_index": 0, "name": name, "arguments": arguments}
    call = FunctionCallContent(id=item_id, call_id=call_id, index=0, name=name, plugin_name=plugin,
                               function_name=function, arguments=arguments,
                               metadata={"call_id": call_id, "item_id": item_id, "response_id": response_id})
    fast = _decode(event)
    _assert_twins(fast, RealtimeFunctionCallEvent(service_type=event["type"], service_event=event, function_call=call))
    _assert_twins(fast.function_call, call)


@settings(max_examples=40, deadline=None)
@given(etype=st.one_of(st.from_regex(r"vendor\.[a-z_.]{1,20}", fullmatch=True),
                       st.sampled_from(["rate_limits.updated", "input_audio_buffer.speech_started", "response.done",
                                        "conversation.item.added"])),
       extra=words)
def test_plain_events(etype, extra):
    event = {"type": etype, "note": extra}
    _assert_twins(_decode(event), RealtimeEvent(service_type=etype, service_event=event))


@settings(max_examples=40, deadline=None)
@given(item_id=ids, text=words, role=st.sampled_from(["user", "assistant"]))
def test_text_done(item_id, text, role):
    kind, field = (("conversation.item.input_audio_transcription.completed", "transcript") if role == "user"
                   else ("response.output_text.done", "text"))
    event = {"type": kind, "item_id": item_id, field: text}
    _, fast = OpenAICodec().decode(orjson.dumps(event))
    _assert_twins(fast, TextDoneEvent(service_event=event, role=role, item_id=item_id, text=text))


@settings(max_examples=40, deadline=None)
@given(response_id=ids, call_ids=st.lists(ids, max_size=3), status=st.sampled_from(["completed", "cancelled"]))
def test_response_done(response_id, call_ids, status):
    output = [{"type": "function_call", "call_id": c, "name": "f", "arguments": "{}"} for c in call_ids]
    event = {"type": "response.done", "response": {"id": response_id, "status": status, "output": output}}
    _, fast = OpenAICodec().decode(orjson.dumps(event))
    _assert_twins(fast, ResponseDoneEvent(service_event=event, response_id=response_id, status=status,
                                          call_ids=tuple(call_ids)))


@settings(max_examples=40, deadline=None)
@given(delta=st.one_of(st.integers(-(2**63), 2**63 - 1), st.none(), st.lists(st.booleans(), max_size=3),
                       st.text(st.sampled_from("!*~ "), min_size=1, max_size=8)))
def test_malformed_events(delta):
    event = {"type": "response.output_audio.delta", "item_id": "i", "delta": delta}
    fast = _decode(event)
    assert isinstance(fast, MalformedServerEvent)
    _assert_twins(fast, MalformedServerEvent(service_type=event["type"], service_event=event, cause=fast.cause))


@settings(max_examples=60, deadline=None)
@given(data=pcm, mime=st.sampled_from(["audio/pcm;rate=24000", "audio/pcm", None]))
def test_gemini_output_audio(data, mime):
    inline = {"data": base64.b64encode(data).decode()} | ({"mimeType": mime} if mime else {})
    message = {"serverContent": {"modelTurn": {"parts": [{"inlineData": inline}]}}}
    (fast,) = GeminiCodec().decode(orjson.dumps(message))
    twin_audio = DecodedAudioContent(data=data, data_format="base64", mime_type="audio/pcm")
    _assert_twins(fast, RealtimeAudioEvent(service_type="serverContent.modelTurn.inlineData", service_event=message,
                                           audio=twin_audio))
    assert fast.audio.data == data


@settings(max_examples=60, deadline=None)
@given(text=words.filter(bool), field=st.sampled_from(["inputTranscription", "outputTranscription"]))
def test_gemini_transcriptions(text, field):
    message = {"serverContent": {field: {"text": text}}}
    (fast,) = GeminiCodec().decode(orjson.dumps(message))
    role = "user" if field == "inputTranscription" else "assistant"
    item_id = fast.text.metadata["item_id"]
    twin = RealtimeTextEvent(service_type=f"serverContent.{field}", service_event=message, text=StreamingTextContent(
        choice_index=0, text=text, metadata={"item_id": item_id, "role": role}))
    _assert_twins(fast, twin)
    _assert_twins(fast.text, twin.text)
