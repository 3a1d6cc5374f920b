"""Decode: one wire server event (a dict) -> the Semantic Kernel realtime events it means.

Rules:
- Dispatch is one dict lookup on the ``type`` string (``_HANDLERS``); beta names share the GA handler.
- Every decoded event keeps ``service_type`` (the wire type, as received) and ``service_event`` (the
  raw dict). The state (:mod:`.state`) follows the events: items, calls, the active response, output
  audio per item and, for audio transcripts, how the words line up with the audio. Text and
  transcript deltas become ``RealtimeTextEvent``; output audio ``RealtimeAudioEvent`` (decoded from
  base64 here); function-call argument deltas and completed calls ``RealtimeFunctionCallEvent``;
  everything else, unknown types included, a plain ``RealtimeEvent``.
- The protocol-neutral events of :mod:`semantic_kernel_realtime.events` follow the wire event that carries
  their fact: a ``TextDoneEvent`` after a completed user transcript and after the assistant's final
  transcript or text; after ``response.done``, its ``UsageEvent`` (when it has usage) and then a
  ``ResponseDoneEvent`` (status, the call ids it asked for, usage).
- Decoding is tolerant: ``null`` where the spec has none, unknown statuses and extra fields are fine.
  A missing or mistyped field that a handler needs, a non-object, or bad JSON yields a
  :class:`~semantic_kernel_realtime.events.MalformedServerEvent` whose ``cause`` says what is wrong; no
  exception ever escapes ``decode``.
- MCP: the service's tool calls on MCP servers follow their wire events as ``McpCallEvent`` (``in_progress``
  on ``response.mcp_call.in_progress``, ``arguments`` on ``response.mcp_call_arguments.done``, ``completed``
  or ``failed`` on the ``mcp_call`` item's ``response.output_item.done``), listed tools as ``McpToolsEvent``
  (the ``mcp_list_tools`` item once done; ``mcp_list_tools.failed``) and approval requests as
  ``McpApprovalRequestEvent`` (the ``mcp_approval_request`` item, once). The MCP items of the last
  :data:`MCP_ITEMS_KEPT` are remembered for the names and labels their events lack.
- The whole event is never validated against the 40-model union: handlers read the few fields they use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pybase64 import b64decode
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.realtime_events import (
    RealtimeEvent,
    RealtimeEvents,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.streaming_text_content import StreamingTextContent

from semantic_kernel_realtime.events import (
    MalformedServerEvent,
    McpApprovalRequestEvent,
    McpCallEvent,
    McpToolsEvent,
    ResponseDoneEvent,
    TextDoneEvent,
    UsageEvent,
)
from semantic_kernel_realtime.protocol._build import audio_content, audio_event, builder
from semantic_kernel_realtime.protocol.base import split_function_name
from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA
from semantic_kernel_realtime.protocol.openai.signals import usage_of
from semantic_kernel_realtime.protocol.openai.state import ConversationState


class _Bad(Exception):
    """A field a handler needs is missing or has the wrong type."""


_event = builder(RealtimeEvent)
_text_event = builder(RealtimeTextEvent)
_call_event = builder(RealtimeFunctionCallEvent)
_text = builder(StreamingTextContent, choice_index=0)
_call = builder(FunctionCallContent)
_text_done_event = builder(TextDoneEvent)
_response_done_event = builder(ResponseDoneEvent)

#: MIME type of decoded output audio for each GA/legacy output format.
AUDIO_MIME_TYPES = {"audio/pcm": "audio/pcm", "audio/pcmu": "audio/pcmu", "audio/pcma": "audio/pcma",
                    "pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}


def _str(event: dict, key: str) -> str:
    value = event.get(key)
    if type(value) is not str:
        raise _Bad(f"field '{key}' must be a string, got {type(value).__name__}")
    return value


def _opt_str(event: dict, key: str) -> str | None:
    value = event.get(key)
    return value if type(value) is str else None


class Decoder:
    """Turns server events into SK events, keeping a :class:`ConversationState` up to date."""

    __slots__ = ("state", "audio_mime_type", "input_mime_type", "input_named", "mcp_items", "mcp_reported")

    def __init__(self, state: ConversationState | None = None) -> None:
        self.state = state if state is not None else ConversationState()
        self.audio_mime_type = "audio/pcm"
        #: The session's input audio format (what ``input_audio_buffer.append`` must carry).
        self.input_mime_type = "audio/pcm"
        #: True once the client sent a session config naming the input format (see :meth:`input_format_sent`).
        self.input_named = False
        #: Recent MCP items by id, and the ids whose settled item was already reported (both bounded).
        self.mcp_items: dict[str, dict] = {}
        self.mcp_reported: dict[str, None] = {}

    def input_format_sent(self, session: dict) -> None:
        """The client sent ``session`` (``session.update``). The service applies client events in order, so
        audio appended after it must be in the input format it names, from now on: ``session.created``
        (the service's defaults, sent before it read the update) and a ``session.updated`` answering an
        earlier update must not switch the format back meanwhile."""
        named = input_mime_type(session, "")
        if named:
            self.input_mime_type, self.input_named = named, True

    def decode_message(self, message: str | bytes) -> list[RealtimeEvents]:
        """Parse one JSON text message and decode it. Bad JSON gives a MalformedServerEvent."""
        try:
            event = orjson.loads(message)
        except orjson.JSONDecodeError as exc:
            return [_malformed(None, message, f"invalid JSON: {exc}")]
        return self.decode(event)

    def decode(self, event: Any) -> list[RealtimeEvents]:
        """Decode one server event (a dict parsed from JSON)."""
        if type(event) is not dict:
            return [_malformed(None, event, "a server event must be a JSON object with a 'type'")]
        etype = event.get("type")
        if type(etype) is not str:
            problem = "field 'type' must be a string" if "type" in event else "a server event must have a 'type'"
            return [_malformed(None, event, problem)]
        handler = _HANDLERS.get(etype) or _HANDLERS.get(etype.strip(), _passthrough)
        try:
            return handler(self, event, etype)
        except _Bad as exc:
            return [_malformed(etype, event, str(exc))]
        except Exception as exc:  # tolerant by contract: report, never raise
            return [_malformed(etype, event, f"{type(exc).__name__}: {exc}")]

    # -- handlers: (self, event, wire_type) -> events -------------------------------------------------

    def _text_delta(self, event: dict, etype: str) -> list[RealtimeEvents]:
        delta = _str(event, "delta")
        metadata = {"item_id": event.get("item_id"), "role": "assistant"}
        return [_text_event(service_type=etype, service_event=event, text=_text(text=delta, metadata=metadata))]

    def _transcript_delta(self, event: dict, etype: str) -> list[RealtimeEvents]:
        delta = _str(event, "delta")
        item_id = event.get("item_id")
        if type(item_id) is str:
            self.state.add_transcript(item_id, delta)
        metadata = {"item_id": item_id, "role": "assistant"}
        return [_text_event(service_type=etype, service_event=event, text=_text(text=delta, metadata=metadata))]

    def _input_transcript_delta(self, event: dict, etype: str) -> list[RealtimeEvents]:
        delta = _str(event, "delta")
        metadata = {"item_id": event.get("item_id"), "role": "user"}
        return [_text_event(service_type=etype, service_event=event, text=_text(text=delta, metadata=metadata))]

    def _audio_delta(self, event: dict, etype: str) -> list[RealtimeEvents]:
        delta = _str(event, "delta")
        try:
            pcm = b64decode(delta, validate=True)
        except ValueError as exc:  # binascii.Error: bad characters or padding
            raise _Bad(f"field 'delta' is not valid base64 ({exc})") from None
        item_id = event.get("item_id")
        if type(item_id) is str:
            self.state.output_audio.add(item_id, len(pcm), event.get("content_index"))
        return [audio_event(etype, event, audio_content(pcm, self.audio_mime_type))]

    def _audio_done(self, event: dict, etype: str) -> list[RealtimeEvents]:
        item_id = event.get("item_id")
        if type(item_id) is str:
            self.state.audio_done(item_id)
        return [_event(service_type=etype, service_event=event)]

    def _call_arguments_delta(self, event: dict, etype: str) -> list[RealtimeEvents]:
        delta = _str(event, "delta")
        call_id = _str(event, "call_id")
        return [self._call_event(event, etype, call_id, self.state.call_names.get(call_id, ""), delta)]

    def _call_arguments_done(self, event: dict, etype: str) -> list[RealtimeEvents]:
        arguments = _str(event, "arguments")
        call_id = _str(event, "call_id")
        name = _opt_str(event, "name") or self.state.call_names.get(call_id)
        if not name:
            raise _Bad(f"no function name for call_id '{call_id}' (neither in the event nor in an earlier item)")
        self.state.call_names[call_id] = name
        return [self._call_event(event, etype, call_id, name, arguments)]

    def _call_event(self, event: dict, etype: str, call_id: str, name: str, arguments: str) -> RealtimeEvents:
        plugin, function = split_function_name(name)
        index = event.get("output_index")
        item_id = _opt_str(event, "item_id")
        call = _call(
            id=item_id,
            call_id=call_id,
            index=index if type(index) is int else None,
            name=name,
            plugin_name=plugin,
            function_name=function,
            arguments=arguments,
            metadata={"call_id": call_id, "item_id": item_id, "response_id": _opt_str(event, "response_id")},
        )
        return _call_event(service_type=etype, service_event=event, function_call=call)

    def _item_added(self, event: dict, etype: str) -> list[RealtimeEvents]:
        item = event.get("item")
        decoded = _event(service_type=etype, service_event=event)
        if isinstance(item, dict):
            previous = event.get("previous_item_id")
            self.state.add_item(item, previous if type(previous) is str else None)
            if item.get("type") in _MCP_ITEM_TYPES:
                fact = self._mcp_item(item, event, etype)
                if fact is not None:
                    return [decoded, fact]
        return [decoded]

    def _mcp_item(self, item: dict, event: dict, etype: str) -> RealtimeEvents | None:
        item_id = item.get("id")
        if type(item_id) is not str:
            return None
        _remember(self.mcp_items, item_id, item)
        kind = item["type"]
        settled = etype in _ITEM_SETTLED or (kind == "mcp_approval_request" and etype in _ITEM_ADDED)
        if not settled or item_id in self.mcp_reported:
            return None
        if kind == "mcp_call" and etype != "response.output_item.done":
            return None
        _remember(self.mcp_reported, item_id, None)
        label, name, arguments = _opt_str(item, "server_label"), _opt_str(item, "name"), _opt_str(item, "arguments")
        if kind == "mcp_approval_request":
            return McpApprovalRequestEvent(service_event=event, approval_request_id=item_id, server_label=label,
                                           name=name, arguments=arguments)
        if kind == "mcp_list_tools":
            tools = item.get("tools")
            return McpToolsEvent(service_event=event, item_id=item_id, status="completed", server_label=label,
                                 tools=[t for t in tools if isinstance(t, dict)] if isinstance(tools, list) else [])
        error = item.get("error")
        return McpCallEvent(service_event=event, item_id=item_id, status="failed" if error else "completed",
                            server_label=label, name=name, arguments=arguments, output=_opt_str(item, "output"),
                            error=error)

    def _mcp_call(self, event: dict, etype: str) -> list[RealtimeEvents]:
        item_id = _opt_str(event, "item_id")
        item = self.mcp_items.get(item_id or "", {})
        status = "arguments" if etype == "response.mcp_call_arguments.done" else etype.rpartition(".")[2]
        arguments = _opt_str(event, "arguments") if status == "arguments" else _opt_str(item, "arguments")
        return [_event(service_type=etype, service_event=event),
                McpCallEvent(service_event=event, item_id=item_id, status=status,
                             server_label=_opt_str(item, "server_label"), name=_opt_str(item, "name"),
                             arguments=arguments)]

    def _mcp_tools_failed(self, event: dict, etype: str) -> list[RealtimeEvents]:
        item_id = _opt_str(event, "item_id")
        item = self.mcp_items.get(item_id or "", {})
        return [_event(service_type=etype, service_event=event),
                McpToolsEvent(service_event=event, item_id=item_id, status="failed",
                              server_label=_opt_str(item, "server_label"))]

    def _item_deleted(self, event: dict, etype: str) -> list[RealtimeEvents]:
        self.state.remove_item(_str(event, "item_id"))
        return [_event(service_type=etype, service_event=event)]

    def _response_created(self, event: dict, etype: str) -> list[RealtimeEvents]:
        response = event.get("response")
        if isinstance(response, dict) and type(response.get("id")) is str:
            self.state.active_response_id = response["id"]
        return [_event(service_type=etype, service_event=event)]

    def _response_done(self, event: dict, etype: str) -> list[RealtimeEvents]:
        response = event.get("response")
        response_id = response.get("id") if isinstance(response, dict) else None
        if response_id is None or response_id == self.state.active_response_id:
            self.state.active_response_id = None
        done = _event(service_type=etype, service_event=event)
        usage = usage_of(response.get("usage")) if isinstance(response, dict) else None
        response_id = response_id if type(response_id) is str else None
        status = response.get("status") if isinstance(response, dict) else None
        output = response.get("output") if isinstance(response, dict) else None
        call_ids = tuple(item["call_id"] for item in output if isinstance(item, dict)
                         and item.get("type") == "function_call" and type(item.get("call_id")) is str
                         ) if isinstance(output, list) else ()
        finished = _response_done_event(service_event=event, response_id=response_id,
                                        status=status if type(status) is str else None, call_ids=call_ids, usage=usage)
        if usage is None:
            return [done, finished]
        return [done, UsageEvent(usage=usage, response_id=response_id, service_event=response["usage"]), finished]

    def _text_done(role: str, field: str) -> Handler:  # noqa: N805
        """A handler for an event that settles an item's words: the event, then a ``TextDoneEvent``."""

        def handle(self: Decoder, event: dict, etype: str) -> list[RealtimeEvents]:
            decoded = _event(service_type=etype, service_event=event)
            text = event.get(field)
            if type(text) is not str:
                return [decoded]  # the live service sends null for a transcript it could not make
            item_id = event.get("item_id")
            return [decoded, _text_done_event(service_event=event, role=role, text=text,
                                              item_id=item_id if type(item_id) is str else None)]

        return handle

    _user_transcript_done = _text_done("user", "transcript")
    _assistant_transcript_done = _text_done("assistant", "transcript")
    _assistant_text_done = _text_done("assistant", "text")
    del _text_done

    def _session(self, event: dict, etype: str) -> list[RealtimeEvents]:
        session = event.get("session")
        if not isinstance(session, dict):
            raise _Bad("field 'session' must be an object")
        self.state.session = session
        self.audio_mime_type = _output_mime_type(session, self.audio_mime_type)
        if not self.input_named:  # the client's own choice wins (input_format_sent)
            self.input_mime_type = input_mime_type(session, self.input_mime_type)
        self.state.output_audio.bytes_per_ms = _BYTES_PER_MS[self.audio_mime_type]
        return [_event(service_type=etype, service_event=event)]


#: MCP items remembered (for the labels and names their events lack) and settled ids remembered.
MCP_ITEMS_KEPT = 64
_MCP_ITEM_TYPES = frozenset({"mcp_call", "mcp_list_tools", "mcp_approval_request"})
_ITEM_SETTLED = frozenset({"response.output_item.done", "conversation.item.done"})
_ITEM_ADDED = frozenset({"conversation.item.added", "conversation.item.created", "response.output_item.added"})


def _remember(table: dict, key: str, value: Any) -> None:
    table[key] = value
    if len(table) > MCP_ITEMS_KEPT:
        del table[next(iter(table))]


#: Bytes per millisecond of each output MIME type (PCM16 at 24 kHz; G.711 at 8 kHz, one byte a sample).
_BYTES_PER_MS = {"audio/pcm": 48, "audio/pcmu": 8, "audio/pcma": 8}


def _output_mime_type(session: dict, current: str) -> str:
    audio = session.get("audio")
    fmt: Any = None
    if isinstance(audio, dict) and isinstance(audio.get("output"), dict):
        fmt = audio["output"].get("format")
        fmt = fmt.get("type") if isinstance(fmt, dict) else fmt
    elif "output_audio_format" in session:  # beta session object
        fmt = session.get("output_audio_format")
    return AUDIO_MIME_TYPES.get(fmt, current) if isinstance(fmt, str) else current


def input_mime_type(session: dict, current: str) -> str:
    """The input format of a GA session object (``audio.input.format``), else ``current``."""
    audio = session.get("audio")
    fmt: Any = None
    if isinstance(audio, dict) and isinstance(audio.get("input"), dict):
        fmt = audio["input"].get("format")
        fmt = fmt.get("type") if isinstance(fmt, dict) else fmt
    elif "input_audio_format" in session:  # beta session object
        fmt = session.get("input_audio_format")
    return AUDIO_MIME_TYPES.get(fmt, current) if isinstance(fmt, str) else current


def _passthrough(decoder: Decoder, event: dict, etype: str) -> list[RealtimeEvents]:
    return [_event(service_type=etype, service_event=event)]


_malformed_event = builder(MalformedServerEvent)


def _malformed(etype: Any, event: Any, cause: str) -> MalformedServerEvent:
    return _malformed_event(service_type=etype if type(etype) is str else None, service_event=event, cause=cause)


Handler = Callable[[Decoder, dict, str], list[RealtimeEvents]]

_GA_HANDLERS: dict[str, Handler] = {
    "response.output_text.delta": Decoder._text_delta,
    "response.output_audio_transcript.delta": Decoder._transcript_delta,
    "conversation.item.input_audio_transcription.delta": Decoder._input_transcript_delta,
    "response.output_audio.delta": Decoder._audio_delta,
    "response.output_audio.done": Decoder._audio_done,
    "response.function_call_arguments.delta": Decoder._call_arguments_delta,
    "response.function_call_arguments.done": Decoder._call_arguments_done,
    "response.output_item.added": Decoder._item_added,
    "response.output_item.done": Decoder._item_added,
    "conversation.item.added": Decoder._item_added,
    "conversation.item.done": Decoder._item_added,
    "conversation.item.retrieved": Decoder._item_added,
    "conversation.item.deleted": Decoder._item_deleted,
    "response.created": Decoder._response_created,
    "response.done": Decoder._response_done,
    "conversation.item.input_audio_transcription.completed": Decoder._user_transcript_done,
    "response.output_audio_transcript.done": Decoder._assistant_transcript_done,
    "response.output_text.done": Decoder._assistant_text_done,
    "session.created": Decoder._session,
    "session.updated": Decoder._session,
    "response.mcp_call.in_progress": Decoder._mcp_call,
    "response.mcp_call_arguments.done": Decoder._mcp_call,
    "mcp_list_tools.failed": Decoder._mcp_tools_failed,
}

_HANDLERS: dict[str, Handler] = {
    **_GA_HANDLERS,
    **{beta: _GA_HANDLERS[ga] for beta, ga in BETA_TO_GA.items() if ga in _GA_HANDLERS},
}


def decode_event(event: Any, state: ConversationState | None = None) -> list[RealtimeEvents]:
    """Decode one event with a throwaway state (convenience for one-off use and tests)."""
    return Decoder(state).decode(event)
