"""The judge of Gemini Live messages: the ``google-genai`` package's own types, never our codec.

Rules:
- A client message must be a JSON object with exactly one of the fields of ``LiveClientMessage``
  (``setup``, ``clientContent``, ``realtimeInput``, ``toolResponse``; camelCase or snake_case) and validate
  strictly (``extra='forbid'`` at every depth, as google-genai's models are).
- ``setup.realtimeInputConfig`` is validated with ``RealtimeInputConfig`` on its own where the installed
  ``LiveClientSetup`` lacks the field (google-genai 3.x sends it from ``LiveConnectConfig`` but its
  ``LiveClientSetup`` model omits it), so the SDK's own setup is judged, not refused.
- What the server sends validates as ``LiveServerMessage``.
- google-genai's types are imported on first use (they take seconds to import), so a server that never
  sees a Gemini client never pays for them; :func:`load` imports them ahead, off the event loop when run in
  a thread (the dialect does so when a Gemini client connects, so other sessions keep flowing meanwhile).
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from pydantic import ValidationError

__all__ = ["GeminiValidationError", "load", "parse_client_message", "validate_client_message",
           "validate_server_message"]


def load() -> bool:
    """Import google-genai's types now; False when they were imported already (nothing to wait for)."""
    if "google.genai.types" in sys.modules:
        return False
    _types()
    return True


def _types() -> Any:
    from google.genai import types

    return types


class GeminiValidationError(ValueError):
    """A client message the Live API would refuse; ``args[0]`` says why."""


def parse_client_message(text: str | bytes) -> tuple[Any, dict[str, Any]]:
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise GeminiValidationError(f"Invalid JSON payload received. {exc}") from None
    return validate_client_message(raw), raw


def validate_client_message(raw: Any) -> Any:
    """``raw`` as a ``LiveClientMessage`` (raises :class:`GeminiValidationError`)."""
    if not isinstance(raw, dict):
        raise GeminiValidationError("Invalid JSON payload received. A client message must be a JSON object.")
    fields = [key for key in raw if raw[key] is not None]
    if len(fields) != 1:
        raise GeminiValidationError(
            f"A client message must set exactly one of setup, clientContent, realtimeInput, toolResponse; got {fields}")
    types = _types()
    data = raw
    setup = raw.get("setup")
    if isinstance(setup, dict) and "realtime_input_config" not in types.LiveClientSetup.model_fields:
        setup = dict(setup)
        for key in ("realtimeInputConfig", "realtime_input_config"):
            if key in setup:
                _validate(types.RealtimeInputConfig, setup.pop(key), f"setup.{key}")
        data = {"setup": setup}
    return _validate(types.LiveClientMessage, data, "")


def validate_server_message(raw: Any) -> Any:
    """``raw`` as a ``LiveServerMessage`` (raises :class:`GeminiValidationError`)."""
    return _validate(_types().LiveServerMessage, raw, "")


def _validate(model: Any, data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise GeminiValidationError(
            f"Invalid value at '{'.'.join(p for p in (where, path) if p)}': {first['msg']}") from None
