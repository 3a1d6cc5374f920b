"""The session object: GA defaults and the merge rule of ``session.update``.

Rules:
- A session is a plain GA dict (what ``session.created`` / ``session.updated`` carry), including the
  ``id`` / ``object`` / ``expires_at`` the live service adds.
- ``session.update`` changes only the fields present: nested objects merge key by key; lists
  (``tools``), ``null`` and typed objects (``format``, ``tool_choice``, ...) replace; a
  ``turn_detection`` whose ``type`` changes starts from that type's defaults.
- ``model`` is fixed when the session starts (the URL's ``?model=``); a ``model`` in ``session.update`` is
  ignored, as the live service ignores it (clients send their own default there).
- Changing ``voice`` after the session produced audio is refused. The session ``type`` (``realtime`` or
  ``transcription``) may change only while the session is fresh (no item, no response yet): the session
  then starts again from that type's defaults, keeping its ``id``; later it is refused.
- A transcription session (``type: "transcription"``) has only ``audio.input`` and ``include``: voice
  activity detection and transcripts, no responses.
- ``update`` has no ``null`` meaning *absent* any more (the engine drops those first, see
  :func:`~.validation.without_nulls`); a ``null`` left here turns the feature off (``turn_detection`` ...).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.errors import ApiError

DEFAULT_MODEL = "gpt-realtime"
DEFAULT_INSTRUCTIONS = (
    "You are a helpful assistant served by the semantic-kernel-realtime embedded server. "
    "Answer briefly and call a tool when the user's request matches one."
)
SESSION_TTL_S = 30 * 60

TURN_DETECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "server_vad": {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    },
    "semantic_vad": {"type": "semantic_vad", "eagerness": "auto", "create_response": True, "interrupt_response": True},
}

_PCM = {"type": "audio/pcm", "rate": 24000}


class SessionUpdateError(ApiError, ValueError):
    """A ``session.update`` (or a requested session) asks for a change the session refuses."""


TRANSCRIPTION_DEFAULTS: dict[str, Any] = {"model": "whisper-1"}


def default_session(model: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh session as ``session.created`` shows it; ``overrides`` are merged like a ``session.update``."""
    if (overrides or {}).get("type") == "transcription":
        return merge_session(_transcription_session(), overrides or {}, audio_started=False)
    session: dict[str, Any] = {
        "type": "realtime",
        "object": "realtime.session",
        "id": ids.session_id(),
        "model": model or DEFAULT_MODEL,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": int(time.time()) + SESSION_TTL_S,
        "audio": {
            "input": {
                "format": dict(_PCM),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(TURN_DETECTION_DEFAULTS["server_vad"]),
            },
            "output": {"format": dict(_PCM), "voice": "marin", "speed": 1.0},
        },
        "include": None,
    }
    if overrides:
        session = merge_session(session, overrides, audio_started=False)
    return session


def _transcription_session() -> dict[str, Any]:
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": ids.session_id(),
        "expires_at": int(time.time()) + SESSION_TTL_S,
        "include": None,
        "audio": {"input": {
            "format": dict(_PCM),
            "transcription": dict(TRANSCRIPTION_DEFAULTS),
            "noise_reduction": None,
            "turn_detection": dict(TURN_DETECTION_DEFAULTS["server_vad"]),
        }},
    }


def is_transcription(session: dict[str, Any]) -> bool:
    return session.get("type") == "transcription"


def merge_session(current: dict[str, Any], update: dict[str, Any], *, audio_started: bool,
                  fresh: bool = False) -> dict[str, Any]:
    """Return ``current`` with ``update`` (a validated ``session.update`` session) applied.

    ``fresh``: nothing happened in the session yet, so its ``type`` may still change.
    """
    if update.get("type", current["type"]) != current["type"]:
        if not fresh:
            raise SessionUpdateError("invalid_value", "The session type cannot be changed.", "session.type")
        restarted = default_session(current.get("model"), update)
        restarted["id"] = current["id"]
        return restarted
    update = {key: value for key, value in update.items() if key != "model"}  # fixed at connect
    new_voice = ((update.get("audio") or {}).get("output") or {}).get("voice")
    if new_voice is not None and not isinstance(new_voice, str):
        raise SessionUpdateError(
            "invalid_value", "Custom voices ({\"id\": ...}) are not available on this server; use a built-in "
            "voice name.", "session.audio.output.voice",
        )
    if audio_started and new_voice is not None and new_voice != current["audio"]["output"]["voice"]:
        raise SessionUpdateError(
            "cannot_update_voice", "Cannot update a conversation's voice if assistant audio is present.",
            "session.audio.output.voice",
        )
    merged = _merge(current, update)
    detection = (merged["audio"].get("input") or {}).get("turn_detection")
    if detection is not None:
        old = (current["audio"].get("input") or {}).get("turn_detection") or {}
        base = TURN_DETECTION_DEFAULTS[detection["type"]]
        kept = old if old.get("type") == detection["type"] else {}
        given = update["audio"]["input"]["turn_detection"] if _has_path(update, "audio", "input", "turn_detection") \
            else {}
        merged["audio"]["input"]["turn_detection"] = {
            **base, **{k: v for k, v in kept.items() if k in base}, **(given or {})
        }
    return merged


def _has_path(obj: dict[str, Any], *keys: str) -> bool:
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return False
        obj = obj[key]
    return True


# Objects replaced whole rather than merged (their members depend on their ``type``).
_REPLACED = frozenset({"format", "tool_choice", "prompt", "tracing", "truncation", "reasoning"})


def _merge(base: Any, update: Any) -> Any:
    if isinstance(base, dict) and isinstance(update, dict):
        out = dict(base)
        for key, value in update.items():
            merge = isinstance(value, dict) and key not in _REPLACED
            out[key] = _merge(base.get(key), value) if merge else copy.deepcopy(value)
        return out
    return copy.deepcopy(update)


def input_format(session: dict[str, Any]) -> dict[str, Any]:
    return (session["audio"].get("input") or {}).get("format") or dict(_PCM)


def output_format(session: dict[str, Any]) -> dict[str, Any]:
    return (session["audio"].get("output") or {}).get("format") or dict(_PCM)


def turn_detection(session: dict[str, Any]) -> dict[str, Any] | None:
    return (session["audio"].get("input") or {}).get("turn_detection")


def transcription(session: dict[str, Any]) -> dict[str, Any] | None:
    return (session["audio"].get("input") or {}).get("transcription")
