"""Settings -> GA session.update: every field, GA and legacy spellings, strictly validated."""

from __future__ import annotations

import pytest
from semantic_kernel.connectors.ai.open_ai import OpenAIRealtimeExecutionSettings
from semantic_kernel.connectors.ai.open_ai.prompt_execution_settings.open_ai_realtime_execution_settings import (
    TurnDetection,
)

from semantic_kernel_realtime.protocol import (
    InputAudioTranscription,
    RealtimeExecutionSettings,
    session_update_event,
)
from tests.openai_schema import validate_client_event

TOOL = {"type": "function", "name": "weather-get", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

# One case per settings field (and per legacy spelling), with the session fragment it must produce.
CASES = {
    "output_modalities text": ({"output_modalities": ["text"]}, {"output_modalities": ["text"]}),
    "output_modalities both": ({"output_modalities": ["audio", "text"]}, {"output_modalities": ["audio"]}),
    "modalities legacy": ({"modalities": ["text"]}, {"output_modalities": ["text"]}),
    "ai_model_id": ({"ai_model_id": "gpt-realtime"}, {"model": "gpt-realtime"}),
    "instructions": ({"instructions": "Be brief."}, {"instructions": "Be brief."}),
    "voice": ({"voice": "marin"}, {"audio": {"output": {"voice": "marin"}}}),
    "voice id": ({"voice": {"id": "voice_1234"}}, {"audio": {"output": {"voice": {"id": "voice_1234"}}}}),
    "speed": ({"speed": 1.2}, {"audio": {"output": {"speed": 1.2}}}),
    "input format GA": ({"input_audio_format": "audio/pcm"},
                        {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}),
    "input format object": ({"input_audio_format": {"type": "audio/pcmu"}},
                            {"audio": {"input": {"format": {"type": "audio/pcmu"}}}}),
    "input format pcm16": ({"input_audio_format": "pcm16"},
                           {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}),
    "input format g711_ulaw": ({"input_audio_format": "g711_ulaw"},
                               {"audio": {"input": {"format": {"type": "audio/pcmu"}}}}),
    "output format g711_alaw": ({"output_audio_format": "g711_alaw"},
                                {"audio": {"output": {"format": {"type": "audio/pcma"}}}}),
    "output format GA": ({"output_audio_format": "audio/pcma"},
                         {"audio": {"output": {"format": {"type": "audio/pcma"}}}}),
    "transcription": ({"input_audio_transcription": InputAudioTranscription(model="gpt-4o-transcribe", language="en")},
                      {"audio": {"input": {"transcription": {"model": "gpt-4o-transcribe", "language": "en"}}}}),
    "transcription dict": ({"input_audio_transcription": {"model": "whisper-1", "prompt": "weather"}},
                           {"audio": {"input": {"transcription": {"model": "whisper-1", "prompt": "weather"}}}}),
    "transcription off": ({"input_audio_transcription": None}, {"audio": {"input": {"transcription": None}}}),
    "server vad": ({"turn_detection": TurnDetection(type="server_vad", threshold=0.5, silence_duration_ms=300,
                                                    prefix_padding_ms=200, create_response=True,
                                                    interrupt_response=True)},
                   {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.5,
                                                           "silence_duration_ms": 300, "prefix_padding_ms": 200,
                                                           "create_response": True, "interrupt_response": True}}}}),
    "semantic vad drops server-only fields": (
        {"turn_detection": {"type": "semantic_vad", "eagerness": "high", "threshold": 0.5}},
        {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "high"}}}}),
    "manual turns": ({"turn_detection": None}, {"audio": {"input": {"turn_detection": None}}}),
    "noise reduction": ({"input_audio_noise_reduction": {"type": "near_field"}},
                        {"audio": {"input": {"noise_reduction": {"type": "near_field"}}}}),
    "noise reduction off": ({"input_audio_noise_reduction": None}, {"audio": {"input": {"noise_reduction": None}}}),
    "tools": ({"tools": [TOOL]}, {"tools": [TOOL]}),
    "tools cleared": ({"tools": []}, {"tools": []}),
    "tool_choice": ({"tool_choice": "required"}, {"tool_choice": "required"}),
    "tool_choice function": ({"tool_choice": {"type": "function", "name": "weather-get"}},
                             {"tool_choice": {"type": "function", "name": "weather-get"}}),
    "max_output_tokens": ({"max_output_tokens": 256}, {"max_output_tokens": 256}),
    "max_output_tokens inf": ({"max_output_tokens": "inf"}, {"max_output_tokens": "inf"}),
    "include": ({"include": ["item.input_audio_transcription.logprobs"]},
                {"include": ["item.input_audio_transcription.logprobs"]}),
    "tracing": ({"tracing": "auto"}, {"tracing": "auto"}),
    "truncation": ({"truncation": {"type": "retention_ratio", "retention_ratio": 0.8}},
                   {"truncation": {"type": "retention_ratio", "retention_ratio": 0.8}}),
    "prompt": ({"prompt": {"id": "pmpt_1"}}, {"prompt": {"id": "pmpt_1"}}),
    "reasoning": ({"reasoning": {"effort": "low"}}, {"reasoning": {"effort": "low"}}),
    "parallel_tool_calls": ({"parallel_tool_calls": False}, {"parallel_tool_calls": False}),
    "idle timeout": ({"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}},
                     {"audio": {"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}}}),
    "noise reduction strength": ({"input_audio_noise_reduction": {"type": "far_field", "strength": 0.3}},
                                 {"audio": {"input": {"noise_reduction": {"type": "far_field", "strength": 0.3}}}}),
    "pcm at 16 kHz: the wire says 24 kHz, the client converts": (
        {"input_audio_format": {"type": "audio/pcm", "rate": 16000}},
        {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}),
}


def test_cases_cover_every_settings_field():
    covered = {name for kwargs, _ in CASES.values() for name in kwargs}
    ignored = {"service_id", "extension_data", "function_choice_behavior",
               "session_type"}  # a transcription session: test_transcription_session_has_only_its_fields
    assert covered | ignored == set(RealtimeExecutionSettings.model_fields)


@pytest.mark.parametrize("name", CASES)
def test_each_field_maps_to_a_valid_ga_session_update(name):
    kwargs, fragment = CASES[name]
    event = session_update_event(RealtimeExecutionSettings(**kwargs))
    validate_client_event(event)
    assert event["session"] == {"type": "realtime", **fragment}


def test_all_fields_together_validate():
    settings = RealtimeExecutionSettings(
        output_modalities=["audio"], instructions="x", voice="echo", speed=1.0, input_audio_format="pcm16",
        output_audio_format="pcm16", input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad"}, input_audio_noise_reduction={"type": "far_field"},
        tools=[TOOL], tool_choice="auto", max_output_tokens=100,
    )
    validate_client_event(session_update_event(settings, model="gpt-realtime"))


def test_semantic_kernels_own_settings_with_legacy_literals_are_accepted():
    sk = OpenAIRealtimeExecutionSettings(input_audio_format="pcm16", voice="alloy", turn_detection=None,
                                         input_audio_transcription={"model": "whisper-1"})
    event = session_update_event(sk)
    validate_client_event(event)
    assert event["session"]["audio"] == {
        "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": {"model": "whisper-1"},
                  "turn_detection": None},
        "output": {"voice": "alloy"},
    }


def test_nothing_set_means_an_empty_update():
    assert session_update_event(None) == {"type": "session.update", "session": {"type": "realtime"}}


@pytest.mark.parametrize(
    "kwargs, message",
    [({"input_audio_format": {"type": "audio/pcm", "rate": "16k"}}, "rate"),
     ({"output_audio_format": {"type": "audio/opus"}}, "output_audio_format"),
     ({"turn_detection": {"type": "push_to_talk"}}, "turn_detection")],
)
def test_invalid_settings_raise_encode_errors(kwargs, message):
    # a typed field refuses at construction (pydantic's ValidationError is a ValueError, as EncodeError is)
    with pytest.raises(ValueError, match=message):
        session_update_event(RealtimeExecutionSettings(**kwargs))


def test_transcription_session_has_only_its_fields():
    settings = RealtimeExecutionSettings(
        session_type="transcription", instructions="ignored", voice="marin", output_modalities=["text"],
        input_audio_format="g711_alaw", input_audio_transcription={"model": "gpt-4o-transcribe", "language": "en"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 400})
    event = session_update_event(settings, model="gpt-realtime")
    validate_client_event(event)
    assert event["session"] == {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcma"}, "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
        "turn_detection": {"type": "server_vad", "silence_duration_ms": 400}}}}
