"""Encode: a Semantic Kernel realtime event sent by a user -> one GA client event (a dict).

Rules:
- Dispatch is a lookup on the event's class (``_ENCODERS``): audio -> ``input_audio_buffer.append``;
  text -> ``conversation.item.create`` (a message; ``input_text``, or ``output_text`` when the text's
  metadata says ``role: assistant``); image -> a user message with ``input_image``; function call ->
  a ``function_call`` item; function result -> a ``function_call_output`` item (non-string results
  serialised as JSON where possible).
- A plain ``RealtimeEvent`` whose ``service_type`` is a GA client event type is sent as that raw
  event (``service_event`` holds its fields): the passthrough for everything we don't model. A
  well-formed type the ``openai`` package does not know yet (not a server event) is sent too, as given. The SK
  convention ``session.update`` with ``{"settings": <execution settings>}`` builds the session.
- Encoding is strict: anything that cannot become a valid client event raises :class:`EncodeError`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from pybase64 import b64encode
from pydantic import BaseModel
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeImageEvent,
    RealtimeTextEvent,
)

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol._build import audio_bytes
from semantic_kernel_realtime.protocol.openai.event_types import CLIENT_EVENT_TYPES, SERVER_EVENT_TYPES, is_event_type
from semantic_kernel_realtime.protocol.openai.session import session_update_event

ClientEvent = dict[str, Any]


def encode_event(event: RealtimeEvent, *, model: str | None = None) -> ClientEvent:
    """The GA client event for ``event``; raises EncodeError if there is none."""
    encoder = _ENCODERS.get(type(event))
    if encoder is None:
        encoder = next((enc for cls, enc in _ENCODERS.items() if isinstance(event, cls)), None)
        if encoder is None:
            raise EncodeError(f"cannot send {type(event).__name__}: not a realtime event")
    return encoder(event, model)


def serialize_result(result: Any) -> str:
    """A function result as the string the model reads: str as is, everything else as JSON if possible."""
    value = getattr(result, "value", result) if type(result).__name__ == "FunctionResult" else result
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# -- message items ---------------------------------------------------------------------------------


def message_item(role: str, text: str) -> dict[str, Any]:
    """A conversation message item: users and system speak ``input_text``, the assistant ``output_text``."""
    if role not in ("user", "system", "assistant"):
        raise EncodeError(f"message role must be user, system or assistant, got {role!r}")
    kind = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


def function_call_item(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    if not call_id or not name:
        raise EncodeError("a function_call item needs a call_id and a name")
    args = arguments if isinstance(arguments, str) else json.dumps(dict(arguments or {}))
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": args}


def function_output_item(call_id: str, result: Any) -> dict[str, Any]:
    if not call_id:
        raise EncodeError("a function result needs the call_id of the call it answers")
    return {"type": "function_call_output", "call_id": call_id, "output": serialize_result(result)}


def item_create(item: dict[str, Any]) -> ClientEvent:
    return {"type": "conversation.item.create", "item": item}


# -- encoders: (event, model) -> client event -------------------------------------------------------


def _audio(event: RealtimeAudioEvent, model: str | None) -> ClientEvent:
    data = audio_bytes(event.audio)
    if not data:
        raise EncodeError("RealtimeAudioEvent has no audio data to append")
    return {"type": "input_audio_buffer.append", "audio": b64encode(data).decode("ascii")}


def _text(event: RealtimeTextEvent, model: str | None) -> ClientEvent:
    role = (event.text.metadata or {}).get("role", "user")
    return item_create(message_item(role, event.text.text))


def _image(event: RealtimeImageEvent, model: str | None) -> ClientEvent:
    image = event.image
    data = image.data if image.can_read else b""
    if data:
        url = f"data:{image.mime_type};base64,{b64encode(data).decode('ascii')}"
    else:
        url = str(image.uri) if image.uri else ""
    if not url:
        raise EncodeError("RealtimeImageEvent has neither data nor a uri")
    return item_create({"type": "message", "role": "user", "content": [{"type": "input_image", "image_url": url}]})


def _function_call(event: RealtimeFunctionCallEvent, model: str | None) -> ClientEvent:
    call = event.function_call
    call_id = call.call_id or (call.metadata or {}).get("call_id") or call.id
    name = call.name or (f"{call.plugin_name}-{call.function_name}" if call.plugin_name else call.function_name)
    return item_create(function_call_item(call_id, name, call.arguments))


def _function_result(event: RealtimeFunctionResultEvent, model: str | None) -> ClientEvent:
    result = event.function_result
    call_id = result.call_id or (result.metadata or {}).get("call_id") or result.id
    return item_create(function_output_item(call_id, result.result))


def _raw(event: RealtimeEvent, model: str | None) -> ClientEvent:
    etype = event.service_type
    if etype not in CLIENT_EVENT_TYPES and (etype in SERVER_EVENT_TYPES or not is_event_type(etype)):
        raise EncodeError(
            f"cannot send a RealtimeEvent with service_type {etype!r}: not a GA client event type "
            f"(one of {', '.join(sorted(CLIENT_EVENT_TYPES))}, or a newer 'scope.action' name)"
        )
    data = event.service_event
    if data is None:
        return {"type": etype}
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True, mode="json")
    if not isinstance(data, Mapping):
        raise EncodeError(f"service_event of a {etype!r} event must be a mapping, got {type(data).__name__}")
    if etype == "session.update" and isinstance(data.get("settings"), PromptExecutionSettings):
        return session_update_event(data["settings"], model=model)
    if data.get("type", etype) != etype:
        raise EncodeError(f"service_type {etype!r} disagrees with service_event type {data.get('type')!r}")
    return {**data, "type": etype}


_ENCODERS: dict[type, Callable[[Any, str | None], ClientEvent]] = {
    RealtimeAudioEvent: _audio,
    RealtimeTextEvent: _text,
    RealtimeImageEvent: _image,
    RealtimeFunctionCallEvent: _function_call,
    RealtimeFunctionResultEvent: _function_result,
    RealtimeEvent: _raw,
}


# -- the raw-PCM fast path ----------------------------------------------------------------------------

_APPEND_HEAD = b'{"type":"input_audio_buffer.append","audio":"'
_APPEND_TAIL = b'"}'


def append_message(pcm: bytes) -> bytes:
    """The ``input_audio_buffer.append`` message for PCM16 bytes, as UTF-8 JSON text: one base64 encode and one
    join, no dict and no JSON serialiser (base64 needs no escaping). The same text as encoding the audio event."""
    if not pcm:
        raise EncodeError("no audio data to append")
    return b"".join((_APPEND_HEAD, b64encode(pcm), _APPEND_TAIL))
