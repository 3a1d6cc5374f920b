"""Every GA session field survives settings -> ``session.update`` -> settings, judged by the openai types.

The field list is read from the ``openai`` package's own session models (``RealtimeSessionCreateRequest`` and
``RealtimeTranscriptionSessionCreateRequest``, nested models included): a field the package gains that
``FULL_SESSIONS`` does not set fails ``test_full_sessions_set_every_ga_field``, so a new GA field cannot be
dropped silently. Hypothesis then draws whole sessions from the same models.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from openai.types.realtime.realtime_session_create_request import RealtimeSessionCreateRequest
from openai.types.realtime.realtime_transcription_session_create_request import (
    RealtimeTranscriptionSessionCreateRequest,
)
from pydantic import BaseModel

from semantic_kernel_realtime.protocol import RealtimeExecutionSettings, session_update_event
from semantic_kernel_realtime.server.validation import without_nulls
from tests.openai_schema import validate_client_event
from tests.server.ga_strategies import for_model

MCP_TOOL = {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp",
            "allowed_tools": ["search"], "require_approval": "never", "headers": {"x": "y"},
            "server_description": "Docs", "authorization": "token", "connector_id": "connector_dropbox"}
FUNCTION_TOOL = {"type": "function", "name": "weather-get", "description": "Weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
INPUT = {
    "format": {"type": "audio/pcm", "rate": 24000},
    "noise_reduction": {"type": "near_field", "strength": 0.5},
    "transcription": {"model": "gpt-4o-transcribe", "language": "en", "prompt": "weather", "languages": ["en", "de"],
                      "keywords": ["Paris"], "delay": "low"},
    "turn_detection": {"type": "server_vad", "create_response": True, "idle_timeout_ms": 6000,
                       "interrupt_response": False, "prefix_padding_ms": 300, "silence_duration_ms": 500,
                       "threshold": 0.4},
}
FULL_SESSIONS: dict[str, dict[str, Any]] = {
    "realtime": {
        "type": "realtime",
        "model": "gpt-realtime",
        "output_modalities": ["audio"],
        "instructions": "Be brief.",
        "max_output_tokens": 512,
        "include": ["item.input_audio_transcription.logprobs"],
        "parallel_tool_calls": True,
        "prompt": {"id": "pmpt_1", "version": "2", "variables": {"city": "Paris"}},
        "reasoning": {"effort": "low"},
        "tool_choice": {"type": "mcp", "server_label": "docs", "name": "search"},
        "tools": [FUNCTION_TOOL, MCP_TOOL],
        "tracing": {"workflow_name": "wf", "group_id": "g", "metadata": {"k": "v"}},
        "truncation": {"type": "retention_ratio", "retention_ratio": 0.5, "token_limits": {"post_instructions": 900}},
        "audio": {"input": INPUT,
                  "output": {"format": {"type": "audio/pcmu"}, "voice": {"id": "voice_1"}, "speed": 1.1}},
    },
    "filtered tools": {
        "type": "realtime",
        "tool_choice": {"type": "function", "name": "weather-get"},
        "truncation": "disabled",
        "tracing": "auto",
        "tools": [FUNCTION_TOOL,
                  {"type": "mcp", "server_label": "t", "tunnel_id": "tun_1", "defer_loading": True,
                   "allowed_callers": ["direct"],
                   "allowed_tools": {"read_only": True, "tool_names": ["search"]},
                   "require_approval": {"always": {"read_only": False, "tool_names": ["delete"]},
                                        "never": {"read_only": True, "tool_names": ["search"]}}}],
        "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"}},
    },
    "semantic vad": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "semantic_vad", "create_response": False, "eagerness": "high",
                           "interrupt_response": True}}}},
    "transcription": {"type": "transcription", "include": ["item.input_audio_transcription.logprobs"],
                      "audio": {"input": {**INPUT, "format": {"type": "audio/pcma"}}}},
    "transcription semantic vad": {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "turn_detection": {"type": "semantic_vad", "eagerness": "low"}}}},
}


def _leaf_paths(annotation: Any, prefix: str = "") -> set[str]:
    """Every field path of a model, union members and list items included (``audio.input.format.rate``)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        paths = set()
        for name, field in annotation.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            paths |= _leaf_paths(field.annotation, path)
        return paths
    if origin in (typing.Union, typing.Annotated, list):
        return set().union(*(_leaf_paths(arg, prefix) for arg in args if arg is not type(None)))
    return set()


def _set_paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        paths = set()
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | _set_paths(item, path)
        return paths
    if isinstance(value, list):
        return set().union(set(), *(_set_paths(item, prefix) for item in value))
    return set()


# Free-form objects the GA types declare as dicts of anything (their keys are data, not fields).
_FREE_FORM = ("prompt.variables.", "tools.headers.", "tools.parameters.", "tracing.metadata.")


@pytest.mark.parametrize("model", [RealtimeSessionCreateRequest, RealtimeTranscriptionSessionCreateRequest])
def test_full_sessions_set_every_ga_field(model):
    kind = model.model_fields["type"].annotation.__args__[0]
    given_paths = set().union(*(_set_paths(s) for s in FULL_SESSIONS.values() if s["type"] == kind))
    declared = _leaf_paths(model)
    assert {p for p in declared - given_paths if not p.startswith(_FREE_FORM)} == set()


def _roundtrip(session: dict[str, Any]) -> dict[str, Any]:
    settings = RealtimeExecutionSettings.from_session(session)
    event = session_update_event(settings)
    validate_client_event(event)
    again = session_update_event(RealtimeExecutionSettings.from_session(event["session"]))
    assert again == event, "settings -> session.update -> settings is not stable"
    return event["session"]


def _judged(model: type[BaseModel], session: dict[str, Any]) -> dict[str, Any]:
    """The session as the openai type reads it; ``null`` and an empty object say nothing."""
    return _pruned(model.model_validate(session).model_dump(exclude_none=True))


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v != {}}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _as_sent(session: dict[str, Any]) -> dict[str, Any]:
    """A drawn session with the nulls that mean *absent* removed, as the service reads them."""
    event = {"type": "session.update", "session": session}
    return without_nulls(validate_client_event(event), event)["session"]


@pytest.mark.parametrize("name", FULL_SESSIONS)
def test_every_ga_field_round_trips(name):
    session = FULL_SESSIONS[name]
    model = RealtimeTranscriptionSessionCreateRequest if session["type"] == "transcription" \
        else RealtimeSessionCreateRequest
    assert _roundtrip(session) == session
    assert _judged(model, _roundtrip(session)) == _judged(model, session)


def test_settings_keep_fields_sk_classes_lack():
    """The three silently-dropped fields of the issue: idle_timeout_ms, keywords/languages/delay."""
    settings = RealtimeExecutionSettings(
        turn_detection={"type": "server_vad", "idle_timeout_ms": 5000},
        input_audio_transcription={"model": "gpt-transcribe", "keywords": ["Paris"], "languages": ["fr"],
                                   "delay": "low"})
    audio_in = session_update_event(settings)["session"]["audio"]["input"]
    assert audio_in["turn_detection"] == {"type": "server_vad", "idle_timeout_ms": 5000}
    assert audio_in["transcription"] == {"model": "gpt-transcribe", "keywords": ["Paris"], "languages": ["fr"],
                                         "delay": "low"}


def test_null_that_means_off_round_trips():
    session = {"type": "realtime", "audio": {"input": {"turn_detection": None, "transcription": None,
                                                       "noise_reduction": None}}}
    assert _roundtrip(session) == session


def _within_settings_bounds(session: dict[str, Any]) -> dict[str, Any]:
    """Bring numbers the service would refuse into range (SK's settings check them; the GA types do not)."""
    detection = ((session.get("audio") or {}).get("input") or {}).get("turn_detection")
    if isinstance(detection, dict):
        for key in ("prefix_padding_ms", "silence_duration_ms"):
            if isinstance(detection.get(key), int):
                detection[key] = abs(detection[key])
        if isinstance(detection.get("threshold"), (int, float)):
            detection["threshold"] = min(1.0, abs(detection["threshold"]) % 1.0)
    output = (session.get("audio") or {}).get("output")
    if isinstance(output, dict) and isinstance(output.get("speed"), (int, float)):
        output["speed"] = 1.0
    if isinstance(session.get("max_output_tokens"), int):
        session["max_output_tokens"] = 1 + abs(session["max_output_tokens"]) % 4096
    if isinstance(session.get("output_modalities"), list):
        session["output_modalities"] = session["output_modalities"][:1]
    return session


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=for_model(RealtimeSessionCreateRequest) | for_model(RealtimeTranscriptionSessionCreateRequest))
def test_any_ga_session_round_trips(session):
    session = _as_sent(_within_settings_bounds(session))
    model = RealtimeTranscriptionSessionCreateRequest if session["type"] == "transcription" \
        else RealtimeSessionCreateRequest
    assert _judged(model, _roundtrip(session)) == _judged(model, session)
