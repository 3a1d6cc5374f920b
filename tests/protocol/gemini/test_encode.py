"""Gemini Live encode and setup: every message we send validates with google-genai's own types."""

from __future__ import annotations

from typing import Annotated

import orjson
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol.gemini import GeminiCodec, GoogleLiveExecutionSettings
from semantic_kernel_realtime.protocol.openai.settings import RealtimeExecutionSettings
from tests.gemini_schema import validate_client_message


class Weather:
    @kernel_function(description="Get the weather for a city.")
    def get_weather(self, city: Annotated[str, "The city"], days: Annotated[int | None, "How many days"] = None) -> str:
        return "sunny"

    @kernel_function(description="The time now.")
    def now(self) -> str:
        return "noon"


def _sent(codec: GeminiCodec, event) -> dict:
    message = orjson.loads(codec.encode(event))
    validate_client_message(message)
    return message


def test_opening_is_a_valid_setup_with_the_kernels_functions_then_the_history():
    kernel = Kernel()
    kernel.add_plugin(Weather(), "weather")
    settings = GoogleLiveExecutionSettings(
        instructions="Be brief.", response_modalities=["audio"], voice="Puck", temperature=0.4,
        input_audio_transcription=True, output_audio_transcription={}, session_resumption=True,
        automatic_activity_detection={"silence_duration_ms": 400}, context_window_compression={"sliding_window": {}},
        function_choice_behavior=FunctionChoiceBehavior.Auto())
    prepared = GeminiCodec.prepare_settings(settings, kernel)
    history = ChatHistory(system_message="Speak French.")
    history.add_user_message("Hello")
    history.add_assistant_message("Bonjour")
    codec = GeminiCodec(model="gemini-live-test")
    opening = [orjson.loads(m) for m in codec.opening(GeminiCodec.session_object(prepared), history)]
    for message in opening:
        validate_client_message(message)
    setup = opening[0]["setup"]
    assert setup["model"] == "models/gemini-live-test"
    assert setup["generationConfig"] == {"responseModalities": ["AUDIO"], "temperature": 0.4, "speechConfig": {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}}
    assert [p["text"] for p in setup["systemInstruction"]["parts"]] == ["Speak French.", "Be brief."]
    assert setup["realtimeInputConfig"] == {"automaticActivityDetection": {"silenceDurationMs": 400}}
    assert setup["contextWindowCompression"] == {"slidingWindow": {}}
    assert setup["inputAudioTranscription"] == {} and setup["sessionResumption"] == {}
    declarations = {d["name"]: d for d in setup["tools"][0]["functionDeclarations"]}
    assert set(declarations) == {"weather-get_weather", "weather-now"}
    params = declarations["weather-get_weather"]["parameters"]
    assert params["type"] == "OBJECT" and params["required"] == ["city"]
    assert params["properties"]["city"]["type"] == "STRING"
    assert "parameters" not in declarations["weather-now"]
    assert opening[1] == {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "Hello"}]},
                                                      {"role": "model", "parts": [{"text": "Bonjour"}]}],
                                            "turnComplete": False}}


def test_openai_settings_open_a_gemini_session_by_field_name():
    settings = RealtimeExecutionSettings(instructions="Hi", output_modalities=["text"], voice="Kore",
                                         input_audio_transcription={"model": "whisper-1"}, max_output_tokens="inf")
    setup = GeminiCodec.session_object(GeminiCodec.prepare_settings(settings, None))
    assert setup["generationConfig"] == {"responseModalities": ["TEXT"], "speechConfig": {
        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}
    assert setup["systemInstruction"] == {"parts": [{"text": "Hi"}]} and setup["inputAudioTranscription"] == {}
    assert "outputAudioTranscription" not in setup  # a text answer has nothing to transcribe
    # an OpenAI app answered in audio reads the answer's words: Gemini is asked to transcribe its audio too
    spoken_settings = GeminiCodec.prepare_settings(RealtimeExecutionSettings(instructions="Hi"), None)
    spoken = GeminiCodec.session_object(spoken_settings)
    assert spoken["outputAudioTranscription"] == {}


def test_audio_text_calls_results_and_raw_messages():
    codec = GeminiCodec()
    audio = _sent(codec, RealtimeAudioEvent(audio=AudioContent(data=b"\x00\x01" * 160, mime_type="audio/pcm")))
    assert audio["realtimeInput"]["audio"]["mimeType"] == "audio/pcm;rate=16000"
    text = _sent(codec, RealtimeTextEvent(text=TextContent(text="hello")))
    assert text == {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "hello"}]}], "turnComplete": False}}
    assert _sent(codec, GeminiCodec.response_request()) == {"clientContent": {"turnComplete": True}}
    call = FunctionCallContent(call_id="c1", name="weather-get_weather", plugin_name="weather",
                               function_name="get_weather", arguments='{"city": "Paris"}')
    seeded = _sent(codec, RealtimeFunctionCallEvent(function_call=call))
    assert seeded["clientContent"]["turns"][0]["parts"][0]["functionCall"] == {
        "name": "weather-get_weather", "args": {"city": "Paris"}, "id": "c1"}
    result = FunctionResultContent(call_id="c1", plugin_name="weather", function_name="get_weather",
                                   result={"temp": 21})
    answer = _sent(codec, GeminiCodec.function_result(result))
    assert answer == {"toolResponse": {"functionResponses": [
        {"name": "weather-get_weather", "response": {"output": '{"temp": 21}'}, "id": "c1"}]}}
    raw = _sent(codec, RealtimeEvent(service_type="realtimeInput", service_event={"audioStreamEnd": True}))
    assert raw == {"realtimeInput": {"audioStreamEnd": True}}


def test_a_call_that_came_without_an_id_is_answered_without_one():
    codec = GeminiCodec()
    events = codec.decode(b'{"toolCall": {"functionCalls": [{"name": "now"}]}}')
    call = events[1].function_call
    result = FunctionResultContent.from_function_call_content_and_result(function_call_content=call, result="noon")
    answer = _sent(codec, GeminiCodec.function_result(result))
    assert answer["toolResponse"]["functionResponses"] == [{"name": "now", "response": {"output": "noon"}}]


@pytest.mark.parametrize("event, cause", [
    (GeminiCodec.session_update(GoogleLiveExecutionSettings()), "cannot change a running one"),
    (RealtimeEvent(service_type="response.create"), "not a Gemini Live client message"),
    (RealtimeEvent(service_type="setup", service_event=[1]), "must be a mapping"),
    (RealtimeAudioEvent(audio=AudioContent(data=b"", mime_type="audio/pcm")), "no audio"),
])
def test_what_cannot_be_sent_raises_encode_error(event, cause):
    with pytest.raises(EncodeError, match=cause):
        GeminiCodec().encode(event)


def test_unknown_modality_is_refused():
    with pytest.raises(EncodeError, match="modality"):
        GeminiCodec.session_object(GoogleLiveExecutionSettings(response_modalities=["video"]))


def test_a_close_that_names_the_key_is_the_service_refusing_it():
    from semantic_kernel_realtime.errors import AuthenticationError, ConnectionClosedError
    from semantic_kernel_realtime.protocol.openai import OpenAICodec

    bad_key = ConnectionClosedError("closed", code=1007, reason="API key not valid. Please pass a valid API key.")
    refused = GeminiCodec.close_error(bad_key)
    assert isinstance(refused, AuthenticationError) and not refused.retryable and refused.code == 1007
    assert "API key not valid" in str(refused) and refused.reason == bad_key.reason
    no_model = ConnectionClosedError("closed", code=1008, reason="models/x is not found for API version v1beta")
    lost = ConnectionClosedError("lost", code=1011, reason="Internal error encountered.")
    assert GeminiCodec.close_error(no_model) is no_model and not no_model.retryable  # final, but not the key
    assert GeminiCodec.close_error(lost) is lost and lost.retryable
    assert OpenAICodec.close_error(bad_key) is bad_key  # OpenAI refuses keys at the handshake


def test_a_cancel_is_empty_client_content_and_a_scripted_line_a_user_turn_that_ends_the_turn():
    from semantic_kernel_realtime.protocol.base import SCRIPTED_LINE

    codec = GeminiCodec()
    assert not GeminiCodec.capabilities.announces_responses and not hasattr(GeminiCodec, "clear_audio_request")
    cancel = orjson.loads(codec.encode(GeminiCodec.cancel_request(event_id="ignored")))
    [scripted] = [orjson.loads(codec.encode(event)) for event in GeminiCodec.scripted_response("Sorry.")]
    for message in (cancel, scripted):
        validate_client_message(message)
    assert cancel == {"clientContent": {"turnComplete": False}}
    assert scripted == {"clientContent": {"turnComplete": True, "turns": [
        {"role": "user", "parts": [{"text": SCRIPTED_LINE.format(line="Sorry.")}]}]}}
