"""Typed builders for the client events an application sends besides audio and text.

Rules: each function returns the ``RealtimeEvent`` to put on the send queue (``await client.send(...)``), with
only the fields given: out-of-band responses (``conversation="none"``, ``metadata``, ``instructions``, custom
``input`` items), item retrieve / delete / truncate, buffer commit / clear, response cancel, and the answer
to an MCP approval request. Arguments are checked here (an empty id, a negative time) with
:class:`~semantic_kernel_realtime.errors.EncodeError`, so a mistake surfaces at the call, not as a service
error later.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from semantic_kernel.contents.realtime_events import RealtimeEvent

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol.openai.encode import message_item

__all__ = [
    "buffer_clear",
    "buffer_commit",
    "item_delete",
    "item_retrieve",
    "item_truncate",
    "mcp_approval",
    "response_cancel",
    "response_create",
]


def _event(kind: str, fields: dict[str, Any] | None = None, event_id: str | None = None) -> RealtimeEvent:
    data = dict(fields or {})
    if event_id is not None:
        data["event_id"] = event_id
    return RealtimeEvent(service_type=kind, service_event=data or None)


def _id(value: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise EncodeError(f"{name} must be a non-empty string, got {value!r}")
    return value


def response_create(
    *,
    conversation: Literal["auto", "none"] | None = None,
    instructions: str | None = None,
    metadata: Mapping[str, str] | None = None,
    input: Sequence[Mapping[str, Any] | str] | None = None,  # noqa: A002 - the GA field's name
    output_modalities: Sequence[Literal["audio", "text"]] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: str | Mapping[str, Any] | None = None,
    max_output_tokens: int | Literal["inf"] | None = None,
    voice: str | None = None,
    event_id: str | None = None,
) -> RealtimeEvent:
    """``response.create``; ``conversation="none"`` makes it out of band (nothing added to the conversation).

    ``input`` items replace the conversation as the model's context: an item object, or a string for a
    user message. ``metadata`` comes back on the response's events (``response.metadata``).
    """
    response: dict[str, Any] = {}
    if conversation is not None:
        if conversation not in ("auto", "none"):
            raise EncodeError(f"conversation must be 'auto' or 'none', got {conversation!r}")
        response["conversation"] = conversation
    if instructions is not None:
        response["instructions"] = instructions
    if metadata is not None:
        response["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    if input is not None:
        response["input"] = [message_item("user", item) if isinstance(item, str) else dict(item) for item in input]
    if output_modalities is not None:
        response["output_modalities"] = list(output_modalities)
    if tools is not None:
        response["tools"] = [dict(tool) for tool in tools]
    if tool_choice is not None:
        response["tool_choice"] = dict(tool_choice) if isinstance(tool_choice, Mapping) else tool_choice
    if max_output_tokens is not None:
        response["max_output_tokens"] = max_output_tokens
    if voice is not None:
        response["audio"] = {"output": {"voice": voice}}
    return _event("response.create", {"response": response} if response else None, event_id)


def response_cancel(response_id: str | None = None, *, event_id: str | None = None) -> RealtimeEvent:
    """``response.cancel`` (the active response, or the one named)."""
    return _event("response.cancel", {"response_id": _id(response_id, "response_id")} if response_id else None,
                  event_id)


def item_retrieve(item_id: str, *, event_id: str | None = None) -> RealtimeEvent:
    """``conversation.item.retrieve``: the service answers ``conversation.item.retrieved`` (with audio)."""
    return _event("conversation.item.retrieve", {"item_id": _id(item_id, "item_id")}, event_id)


def item_delete(item_id: str, *, event_id: str | None = None) -> RealtimeEvent:
    """``conversation.item.delete``."""
    return _event("conversation.item.delete", {"item_id": _id(item_id, "item_id")}, event_id)


def item_truncate(item_id: str, audio_end_ms: int, *, content_index: int = 0,
                  event_id: str | None = None) -> RealtimeEvent:
    """``conversation.item.truncate``: cut an assistant item's audio (and its transcript) at ``audio_end_ms``."""
    if not isinstance(audio_end_ms, int) or audio_end_ms < 0:
        raise EncodeError(f"audio_end_ms must be a non-negative integer, got {audio_end_ms!r}")
    return _event("conversation.item.truncate", {"item_id": _id(item_id, "item_id"), "content_index": content_index,
                                                 "audio_end_ms": audio_end_ms}, event_id)


def buffer_commit(*, event_id: str | None = None) -> RealtimeEvent:
    """``input_audio_buffer.commit`` (manual turns)."""
    return _event("input_audio_buffer.commit", None, event_id)


def buffer_clear(*, event_id: str | None = None) -> RealtimeEvent:
    """``input_audio_buffer.clear``."""
    return _event("input_audio_buffer.clear", None, event_id)


def mcp_approval(approval_request_id: str, approve: bool, *, reason: str | None = None, item_id: str | None = None,
                 event_id: str | None = None) -> RealtimeEvent:
    """The answer to an MCP tool call that needs approval (an ``mcp_approval_response`` item; the item needs an
    id, made here unless given)."""
    item: dict[str, Any] = {"type": "mcp_approval_response", "id": item_id or f"item_{uuid.uuid4().hex[:20]}",
                            "approval_request_id": _id(approval_request_id, "approval_request_id"),
                            "approve": bool(approve)}
    if reason is not None:
        item["reason"] = reason
    return _event("conversation.item.create", {"item": item}, event_id)
