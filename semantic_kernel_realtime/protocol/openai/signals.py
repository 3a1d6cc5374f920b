"""OpenAI GA events -> protocol-neutral signals (:mod:`semantic_kernel_realtime.protocol.base`).

Rules:
- One table, ``_SIGNALS``, keyed by the GA event type; beta names share the GA entry. Only these types
  carry signals (:data:`SIGNAL_TYPES`); the receive path never asks about any other event.
- Extraction is tolerant: a field of the wrong shape gives no signal (the decoder has already reported
  the event as malformed where it matters); nothing here raises, whatever the shape (an extractor that
  fails, e.g. on nesting too deep to print, gives no signal).
- Items enter and leave the conversation only through ``conversation.item.*`` events; a response's
  ``response.output_item.*`` only updates an item already there (``ItemAdded.update_only``), since what
  an out-of-band response (``conversation: "none"``) outputs is never a conversation item. ``response.created`` says
  whether the response belongs to the conversation (its ``conversation_id`` is ``null`` when not).
- Items: a GA item dict becomes an :class:`~..base.Item`; its words are the text of ``input_text`` /
  ``output_text`` parts and the transcript of audio parts, joined by spaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from semantic_kernel.contents.realtime_events import RealtimeEvents, RealtimeFunctionCallEvent

from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    Item,
    ItemAdded,
    ItemRemoved,
    ItemText,
    ItemTruncated,
    OutputAudioCleared,
    ResponseEnded,
    ResponseStarted,
    ServiceError,
    Signal,
    SpeechStarted,
)
from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_AUDIO_PARTS = frozenset({"input_audio", "output_audio", "audio"})
_NONE: tuple[Signal, ...] = ()


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def item_of(raw: Any) -> Item | None:
    """A GA conversation item dict as an :class:`Item` (``None`` without a string ``id``)."""
    if not isinstance(raw, dict) or type(raw.get("id")) is not str:
        return None
    kind = _str(raw.get("type")) or ""
    output = raw.get("output")
    return Item(
        id=raw["id"],
        kind=kind,
        role=_str(raw.get("role")),
        text=_words(raw.get("content")),
        call_id=_str(raw.get("call_id")),
        name=_str(raw.get("name")),
        arguments=_str(raw.get("arguments")),
        output=output if type(output) is str else (None if output is None else str(output)),
    )


def _words(content: Any) -> str:
    if not isinstance(content, list):
        return ""
    words = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        text = part.get("text") if kind in _TEXT_PARTS else part.get("transcript") if kind in _AUDIO_PARTS else None
        if type(text) is str and text:
            words.append(text)
    return " ".join(words)


# -- extractors: the event's service_event (a dict) -> signals ------------------------------------------


def _call_done(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    if not isinstance(event, RealtimeFunctionCallEvent):
        return _NONE
    return (CallCompleted(event.function_call, _str(data.get("response_id"))),)


def _response_created(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    response = data.get("response")
    if not isinstance(response, dict) or type(response.get("id")) is not str:
        return _NONE
    out_of_band = "conversation_id" in response and response["conversation_id"] is None
    return (ResponseStarted(response["id"], in_conversation=not out_of_band),)


def _response_done(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    response = data.get("response")
    if not isinstance(response, dict):
        return _NONE
    return (ResponseEnded(_str(response.get("id")), _str(response.get("status"))),)


def _item(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    item = item_of(data.get("item"))
    if item is None:
        return _NONE
    return (ItemAdded(item, _str(data.get("previous_item_id"))),)


def _output_item(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    item = item_of(data.get("item"))
    return (ItemAdded(item, None, update_only=True),) if item is not None else _NONE


def _item_deleted(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    item_id = _str(data.get("item_id"))
    return (ItemRemoved(item_id),) if item_id is not None else _NONE


def _item_truncated(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    item_id, end_ms = _str(data.get("item_id")), _int(data.get("audio_end_ms"))
    if item_id is None or end_ms is None:
        return _NONE
    return (ItemTruncated(item_id, _int(data.get("content_index")) or 0, end_ms),)


def _speech_started(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    return (SpeechStarted(_str(data.get("item_id")), _int(data.get("audio_start_ms"))),)


def _audio_cleared(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    return (OutputAudioCleared(_str(data.get("response_id"))),)


def _text(role: str, field: str) -> Callable[[RealtimeEvents, dict], Sequence[Signal]]:
    def extract(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
        item_id, text = _str(data.get("item_id")), _str(data.get(field))
        return (ItemText(item_id, role, text),) if item_id is not None and text else _NONE

    return extract


def _error(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    error = data.get("error")
    if not isinstance(error, dict):
        return (ServiceError(str(error)),)
    message = error.get("message")
    return (ServiceError(message if type(message) is str else str(message or ""), _str(error.get("code")),
                         _str(error.get("event_id"))),)


_GA_SIGNALS: dict[str, Callable[[RealtimeEvents, dict], Sequence[Signal]]] = {
    "response.function_call_arguments.done": _call_done,
    "response.created": _response_created,
    "response.done": _response_done,
    "response.output_item.added": _output_item,
    "response.output_item.done": _output_item,
    "conversation.item.added": _item,
    "conversation.item.done": _item,
    "conversation.item.retrieved": _item,
    "conversation.item.deleted": _item_deleted,
    "conversation.item.truncated": _item_truncated,
    "input_audio_buffer.speech_started": _speech_started,
    "output_audio_buffer.cleared": _audio_cleared,
    "conversation.item.input_audio_transcription.completed": _text("user", "transcript"),
    "response.output_audio_transcript.done": _text("assistant", "transcript"),
    "response.output_text.done": _text("assistant", "text"),
    "error": _error,
}

_SIGNALS = {**_GA_SIGNALS, **{beta: _GA_SIGNALS[ga] for beta, ga in BETA_TO_GA.items() if ga in _GA_SIGNALS}}

#: Every ``service_type`` (GA and beta names) whose events may carry signals.
SIGNAL_TYPES = frozenset(_SIGNALS)


def signals(event: RealtimeEvents) -> Sequence[Signal]:
    """The signals of one decoded event (empty for most)."""
    extract = _SIGNALS.get(event.service_type or "")
    data = event.service_event
    if extract is None or not isinstance(data, dict):
        return _NONE
    try:
        return extract(event, data)
    except Exception:  # e.g. RecursionError on a field nested too deep: no fact can be trusted
        return _NONE
