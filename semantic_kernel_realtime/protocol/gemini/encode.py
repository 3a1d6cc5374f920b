"""Encode: a Semantic Kernel realtime event sent by a user -> one Gemini Live client message (a dict).

Rules:
- Dispatch is a lookup on the event's class (``_ENCODERS``): audio -> ``realtimeInput.audio`` (PCM16 at the
  codec's input rate: the client converts other rates first); text -> a ``clientContent`` turn (``user``, or
  ``model`` when the text's metadata says ``role: assistant``) that does not end the turn (ask for the
  answer with the codec's ``response_request``, as on OpenAI); image -> ``realtimeInput.video``; function
  call -> a ``model`` turn with a ``functionCall`` part; function result -> ``toolResponse`` (the service
  then continues by itself).
- A plain ``RealtimeEvent`` whose ``service_type`` is a client message field (``setup``, ``clientContent``,
  ``realtimeInput``, ``toolResponse``) is sent as that field with ``service_event`` as its body: the
  passthrough for everything we don't model.
- A function result answers the call by its id, except a call the service sent without one (its id was
  minted locally: the response then goes without an id, matched by name).
- Encoding is strict: anything that cannot become a valid client message raises :class:`EncodeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from pybase64 import b64encode
from pydantic import BaseModel
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeImageEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol._build import audio_bytes
from semantic_kernel_realtime.protocol.openai.encode import serialize_result

ClientMessage = dict[str, Any]

#: The fields of a Gemini Live client message (``BidiGenerateContentClientMessage``).
CLIENT_MESSAGE_TYPES = frozenset({"setup", "clientContent", "realtimeInput", "toolResponse"})
#: A ``session.update`` request: Gemini Live configures a session only in its opening ``setup``.
SESSION_UPDATE = "session.update"
_ROLES = {"user": "user", "assistant": "model", "model": "model"}


class Encoder:
    """Encodes SK events for one connection (it reads which call ids the decoder minted)."""

    __slots__ = ("input_mime_type", "minted_call_ids")

    def __init__(self, input_sample_rate: int, minted_call_ids: set[str] | None = None) -> None:
        self.input_mime_type = f"audio/pcm;rate={input_sample_rate}"
        self.minted_call_ids = minted_call_ids if minted_call_ids is not None else set()

    def encode(self, event: RealtimeEvent) -> ClientMessage:
        encoder = _ENCODERS.get(type(event))
        if encoder is None:
            encoder = next((enc for cls, enc in _ENCODERS.items() if isinstance(event, cls)), None)
            if encoder is None:
                raise EncodeError(f"cannot send {type(event).__name__}: not a realtime event")
        return encoder(self, event)

    # -- encoders: (self, event) -> client message ------------------------------------------------------

    def _audio(self, event: RealtimeAudioEvent) -> ClientMessage:
        data = audio_bytes(event.audio)
        if not data:
            raise EncodeError("RealtimeAudioEvent has no audio data to send")
        return {"realtimeInput": {"audio": {"data": b64encode(data).decode("ascii"),
                                            "mimeType": self.input_mime_type}}}

    def _text(self, event: RealtimeTextEvent) -> ClientMessage:
        role = (event.text.metadata or {}).get("role", "user")
        return client_content([turn(role, [{"text": event.text.text}])])

    def _image(self, event: RealtimeImageEvent) -> ClientMessage:
        image = event.image
        data = image.data if image.can_read else b""
        if not data:
            raise EncodeError("RealtimeImageEvent needs image bytes (Gemini Live takes no image URL)")
        return {"realtimeInput": {"video": {"data": b64encode(data).decode("ascii"),
                                            "mimeType": image.mime_type or "image/jpeg"}}}

    def _function_call(self, event: RealtimeFunctionCallEvent) -> ClientMessage:
        return client_content([turn("assistant", [function_call_part(event.function_call)])])

    def _function_result(self, event: RealtimeFunctionResultEvent) -> ClientMessage:
        result = event.function_result
        call_id = result.call_id or (result.metadata or {}).get("call_id") or result.id
        response: dict[str, Any] = {"name": _wire_name(result), "response": {"output": serialize_result(result.result)}}
        if call_id and call_id not in self.minted_call_ids:
            response["id"] = call_id
        self.minted_call_ids.discard(call_id or "")
        return {"toolResponse": {"functionResponses": [response]}}

    def _raw(self, event: RealtimeEvent) -> ClientMessage:
        etype = event.service_type
        if etype == SESSION_UPDATE:
            raise EncodeError(
                "Gemini Live configures a session only in its opening 'setup', so update_session(settings=...) "
                "cannot change a running one (the session goes on with its settings). To change them, close it "
                "and open a new session with the new settings; to keep the conversation, open it with "
                "session_resumption={'handle': client.decoder.resumption_handle} (a session opened with "
                "session_resumption=True). A kernel or plugin change needs no update: the kernel is read per call.")
        if etype not in CLIENT_MESSAGE_TYPES:
            raise EncodeError(f"cannot send a RealtimeEvent with service_type {etype!r}: not a Gemini Live client "
                              f"message field (one of {', '.join(sorted(CLIENT_MESSAGE_TYPES))})")
        data = event.service_event
        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_none=True, by_alias=True, mode="json")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise EncodeError(f"service_event of a {etype!r} message must be a mapping, got {type(data).__name__}")
        return {etype: dict(data)}


def turn(role: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``Content`` turn: users speak as ``user``, the assistant as ``model``."""
    wire_role = _ROLES.get(role)
    if wire_role is None:
        raise EncodeError(f"a Gemini turn's role must be user or assistant, got {role!r}")
    return {"role": wire_role, "parts": parts}


def client_content(turns: list[dict[str, Any]], *, turn_complete: bool = False) -> ClientMessage:
    return {"clientContent": {"turns": turns, "turnComplete": turn_complete}}


def function_call_part(call: FunctionCallContent) -> dict[str, Any]:
    name = call.name or (f"{call.plugin_name}-{call.function_name}" if call.plugin_name else call.function_name)
    if not name:
        raise EncodeError("a function call needs a name")
    arguments = call.arguments
    if isinstance(arguments, str):
        try:
            args = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise EncodeError(f"function call arguments are not JSON: {exc}") from None
    else:
        args = dict(arguments or {})
    part: dict[str, Any] = {"name": name, "args": args}
    if call.call_id or call.id:
        part["id"] = call.call_id or call.id
    return {"functionCall": part}


def function_response_part(result: FunctionResultContent) -> dict[str, Any]:
    part: dict[str, Any] = {"name": _wire_name(result), "response": {"output": serialize_result(result.result)}}
    if result.call_id or result.id:
        part["id"] = result.call_id or result.id
    return {"functionResponse": part}


def _wire_name(result: FunctionResultContent) -> str:
    if result.plugin_name:
        return f"{result.plugin_name}-{result.function_name}"
    if not result.function_name:
        raise EncodeError("a function result needs the name of the function it answers")
    return result.function_name


_HISTORY_ROLES = {"user": "user", "assistant": "assistant", "tool": "user"}


def history_turns(chat_history: ChatHistory | None) -> tuple[list[str], list[dict[str, Any]]]:
    """(system texts, turns) for seeding a session: system messages join the system instruction; user and
    assistant text, function calls (``model``) and function results (``user``) become turns, in order."""
    if not chat_history:
        return [], []
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in chat_history.messages:
        role = str(getattr(message.role, "value", message.role))
        if role in ("system", "developer"):
            system += [item.text for item in message.items if isinstance(item, TextContent) and item.text]
            continue
        parts = []
        for item in message.items:
            if isinstance(item, FunctionCallContent):
                parts.append(function_call_part(item))
            elif isinstance(item, FunctionResultContent):
                parts.append(function_response_part(item))
            elif isinstance(item, TextContent) and item.text:
                parts.append({"text": item.text})
        wire_role = "assistant" if any("functionCall" in p for p in parts) else _HISTORY_ROLES.get(role)
        if parts and wire_role is not None:
            turns.append(turn(wire_role, parts))
    return system, turns


_ENCODERS: dict[type, Callable[[Encoder, Any], ClientMessage]] = {
    RealtimeAudioEvent: Encoder._audio,
    RealtimeTextEvent: Encoder._text,
    RealtimeImageEvent: Encoder._image,
    RealtimeFunctionCallEvent: Encoder._function_call,
    RealtimeFunctionResultEvent: Encoder._function_result,
    RealtimeEvent: Encoder._raw,
}
