"""OpenAI GA events -> protocol-neutral signals (:mod:`semantic_kernel_realtime.protocol.base`).

Rules:
- One table, ``_SIGNALS``, keyed by the GA event type; beta names share the GA entry. Only these types
  carry signals (:data:`SIGNAL_TYPES`); the receive path never asks about any other event.
- Extraction is tolerant: a field of the wrong shape gives no signal (the decoder has already reported
  the event as malformed where it matters); nothing here raises, whatever the shape (an extractor that
  fails, e.g. on nesting too deep to print, gives no signal).
- Usage: ``response.done``'s ``response.usage`` becomes a :class:`~semantic_kernel_realtime.events.Usage`
  (:func:`usage_of`), carried by :class:`ResponseEnded` (the decoder also queues it as a ``UsageEvent``).
- Voice activity: ``input_audio_buffer.speech_started`` / ``speech_stopped`` become :class:`SpeechStarted`
  (``audio_start_ms`` and the ``item_id`` of the user's coming item) / :class:`SpeechStopped`
  (``audio_end_ms``); ``session.created`` / ``updated`` become :class:`SessionConfigured` (GA fields, beta
  ``modalities`` / ``voice`` read too) and, when the session says when it expires (``expires_at`` > 0,
  seconds since the epoch), :class:`SessionExpiring` with that time.
- The duration cap: an ``error`` with code ``session_expired`` is a :class:`ServiceError` and a
  :class:`SessionExpiring` with ``expired`` (the close that follows is the cap, not a failure).
- Items enter and leave the conversation only through ``conversation.item.*`` events; a response's
  ``response.output_item.*`` only updates an item already there (``ItemAdded.update_only``), since what
  an out-of-band response (``conversation: "none"``) outputs is never a conversation item. ``response.created`` says
  whether the response belongs to the conversation (its ``conversation_id`` is ``null`` when not).
- Interruptions: ``conversation.item.truncated`` becomes :class:`ItemTruncated`; ``output_audio_buffer.cleared``
  (WebRTC: the service dropped what it had not played) :class:`OutputAudioCleared`.
- Items: a GA item dict becomes an :class:`~..base.Item`; its words are the text of ``input_text`` /
  ``output_text`` parts and the transcript of audio parts, joined by spaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from semantic_kernel.contents.realtime_events import RealtimeEvents, RealtimeFunctionCallEvent

from semantic_kernel_realtime.events import Usage
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
    SessionConfigured,
    SessionExpiring,
    Signal,
    SpeechStarted,
    SpeechStopped,
)
from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_AUDIO_PARTS = frozenset({"input_audio", "output_audio", "audio"})
_NONE: tuple[Signal, ...] = ()
#: The error code with which the service ends a session at its duration cap (a close 1001 follows).
SESSION_EXPIRED = "session_expired"


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def usage_of(raw: Any) -> Usage | None:
    """A GA ``response.usage`` object as a :class:`Usage` (``None`` when it is not an object)."""
    if not isinstance(raw, dict):
        return None
    inputs = raw.get("input_token_details")
    outputs = raw.get("output_token_details")
    inputs = inputs if isinstance(inputs, dict) else {}
    outputs = outputs if isinstance(outputs, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        total_tokens=_int(raw.get("total_tokens")),
        input_text_tokens=_int(inputs.get("text_tokens")),
        input_audio_tokens=_int(inputs.get("audio_tokens")),
        input_cached_tokens=_int(inputs.get("cached_tokens")),
        output_text_tokens=_int(outputs.get("text_tokens")),
        output_audio_tokens=_int(outputs.get("audio_tokens")),
    )


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
    return (ResponseEnded(_str(response.get("id")), _str(response.get("status")), usage_of(response.get("usage"))),)


def _speech_started(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    return (SpeechStarted(_ms(data.get("audio_start_ms")), _str(data.get("item_id"))),)


def _speech_stopped(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    return (SpeechStopped(_ms(data.get("audio_end_ms"))),)


def _ms(value: Any) -> int | None:
    if type(value) is int:
        return value if value >= 0 else None
    return int(value) if type(value) is float and 0 <= value < 1e15 else None  # NaN and inf fail both tests


def _session(event: RealtimeEvents, data: dict) -> Sequence[Signal]:
    session = data.get("session")
    if not isinstance(session, dict):
        return _NONE
    audio = session.get("audio")
    output = audio.get("output") if isinstance(audio, dict) else None
    voice = output.get("voice") if isinstance(output, dict) else session.get("voice")
    modalities = session.get("output_modalities", session.get("modalities"))
    tools = session.get("tools")
    configured = SessionConfigured(
        model=_str(session.get("model")),
        voice=_str(voice),
        output_modalities=tuple(m for m in modalities if type(m) is str) if isinstance(modalities, list) else (),
        tools=tuple(tools) if isinstance(tools, list) else (),
        instructions=_str(session.get("instructions")),
    )
    expires_at = session.get("expires_at")
    if type(expires_at) in (int, float) and 0 < expires_at < 1e12:
        return (configured, SessionExpiring(expires_at=float(expires_at)))
    return (configured,)


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
    code = _str(error.get("code"))
    reported = ServiceError(message if type(message) is str else str(message or ""), code, _str(error.get("event_id")))
    if code == SESSION_EXPIRED:
        return (reported, SessionExpiring(expired=True))
    return (reported,)


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
    "input_audio_buffer.speech_started": _speech_started,
    "input_audio_buffer.speech_stopped": _speech_stopped,
    "session.created": _session,
    "session.updated": _session,
    "conversation.item.truncated": _item_truncated,
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
