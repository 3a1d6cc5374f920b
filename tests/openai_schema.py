"""The independent judge for tests: the ``openai`` package's own GA event types, strictly.

Strict pydantic validation of the discriminated unions, plus no extra fields anywhere (the SDK's
models accept unknown keys by default; a field the schema doesn't know is a bug on our side).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import BaseModel, TypeAdapter

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"

_client = TypeAdapter(RealtimeClientEvent)
_server = TypeAdapter(RealtimeServerEvent)


def _extras(obj: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(obj, BaseModel):
        found += [f"{path}.{k}" for k in (obj.model_extra or {})]
        for name in type(obj).model_fields:
            found += _extras(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found += _extras(v, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += _extras(v, f"{path}.{k}")
    return found


def validate_client_event(event: dict) -> BaseModel:
    model = _client.validate_python(event, strict=True)
    extras = _extras(model)
    assert not extras, f"fields unknown to the GA schema: {extras}"
    return model


def validate_server_event(event: dict) -> BaseModel:
    model = _server.validate_python(event, strict=True)
    extras = _extras(model)
    assert not extras, f"fields unknown to the GA schema: {extras}"
    return model
