"""session_config.py: GA defaults and session.update merge rules."""

import pytest

from semantic_kernel_realtime.server.session_config import SessionUpdateError, default_session, merge_session
from semantic_kernel_realtime.server.validation import validate_server_event


def test_default_session_is_a_valid_ga_session():
    session = default_session("gpt-realtime")
    validate_server_event({"type": "session.created", "event_id": "event_1", "session": session})
    assert session["id"].startswith("sess_") and session["audio"]["input"]["turn_detection"]["type"] == "server_vad"


def test_nested_fields_merge_and_lists_replace():
    session = default_session()
    merged = merge_session(session, {"type": "realtime", "tools": [{"type": "function", "name": "a"}],
                                     "audio": {"output": {"voice": "ash"}}}, audio_started=False)
    assert merged["audio"]["output"] == {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "ash", "speed": 1.0}
    assert merged["tools"] == [{"type": "function", "name": "a"}]
    again = merge_session(merged, {"type": "realtime", "tools": []}, audio_started=False)
    assert again["tools"] == [] and again["audio"]["output"]["voice"] == "ash"


def test_formats_replace_rather_than_merge():
    merged = merge_session(default_session(), {"type": "realtime", "audio": {"output": {
        "format": {"type": "audio/pcmu"}}}}, audio_started=False)
    assert merged["audio"]["output"]["format"] == {"type": "audio/pcmu"}


def test_turn_detection_merge_null_and_type_change():
    session = default_session()
    tuned = merge_session(session, {"type": "realtime", "audio": {"input": {"turn_detection": {
        "type": "server_vad", "silence_duration_ms": 200}}}}, audio_started=False)
    detection = tuned["audio"]["input"]["turn_detection"]
    assert detection["silence_duration_ms"] == 200 and detection["prefix_padding_ms"] == 300
    off = merge_session(tuned, {"type": "realtime", "audio": {"input": {"turn_detection": None}}}, audio_started=False)
    assert off["audio"]["input"]["turn_detection"] is None
    semantic = merge_session(tuned, {"type": "realtime", "audio": {"input": {"turn_detection": {
        "type": "semantic_vad"}}}}, audio_started=False)
    assert "silence_duration_ms" not in semantic["audio"]["input"]["turn_detection"]


@pytest.mark.parametrize(("update", "code"), [
    ({"type": "transcription"}, "invalid_value"),
    ({"type": "realtime", "audio": {"output": {"voice": "echo"}}}, "cannot_update_voice"),
    # a custom voice ({"id": ...}, which the GA client types allow) cannot be spoken nor echoed as a valid
    # session.updated (its voice is a name there): refused, never an invalid server event
    ({"type": "realtime", "audio": {"output": {"voice": {"id": "voice_1234"}}}}, "invalid_value"),
])
def test_refused_updates(update, code):
    with pytest.raises(SessionUpdateError) as info:
        merge_session(default_session(), update, audio_started=True)
    assert info.value.code == code


def test_model_in_an_update_is_ignored_as_the_live_service_does():
    session = default_session("gpt-realtime")
    merged = merge_session(session, {"type": "realtime", "model": "gpt-realtime-mini", "instructions": "x"},
                           audio_started=True)
    assert merged["model"] == "gpt-realtime" and merged["instructions"] == "x"
