"""Decode: one Gemini Live server message -> the Semantic Kernel realtime events it means.

Rules:
- A server message is a JSON object with one or more top-level fields (``setupComplete``, ``serverContent``,
  ``toolCall``, ``toolCallCancellation``, ``usageMetadata``, ``goAway``, ``sessionResumptionUpdate``, ...),
  in camelCase as the service sends them or snake_case as the SDK prints them; both decode alike. Keys that
  start with ``_`` are annotations, not wire fields, and are skipped.
- Each field decodes to events in a fixed order (``_FIELDS``). Every event's ``service_event`` is the whole
  message, as received; ``service_type`` names the field it came from, in camelCase, with the part for
  ``serverContent`` (``serverContent.modelTurn.text``, ``serverContent.turnComplete``, ...).
- Model text parts and both transcriptions become ``RealtimeTextEvent`` (metadata ``item_id``, ``role``);
  inline audio ``RealtimeAudioEvent`` (base64 decoded here, strictly); each function call of a ``toolCall``
  a ``RealtimeFunctionCallEvent`` (arguments as JSON text, after one :class:`GeminiServerEvent` for the
  whole ``toolCall``); ``usageMetadata`` a :class:`~semantic_kernel_realtime.events.UsageEvent`;
  everything else a :class:`GeminiServerEvent`. A field we do not know passes through as one.
- Gemini names no items. The decoder mints stable local ids (``gemini_item_<n>``; a call without an ``id``
  gets ``gemini_call_<n>``) and remembers the words of the current turn, so the protocol-neutral facts a
  turn establishes (items with their final words, calls, the turn's end and usage) ride on the
  :class:`GeminiServerEvent` of the ``toolCall`` and ``turnComplete`` that settle them (``facts``); an
  ``interrupted`` flag says :class:`ResponseInterrupted` on its own event, at once (barge-in stops
  playback there); a ``goAway`` says :class:`SessionExpiring` with its ``timeLeft`` in seconds.
- Each output audio part is counted in :attr:`Decoder.output_audio` under the model item it belongs to
  (O(1)), so barge-in knows what of the received audio is not played yet.
- The protocol-neutral events of :mod:`semantic_kernel_realtime.events` follow the message that carries
  their fact: a ``TextDoneEvent`` for the user's words when an ``inputTranscription`` says ``finished``
  (else when a ``toolCall`` or ``turnComplete`` settles them) and for the model's words at a ``toolCall`` or
  ``turnComplete``; a ``ResponseDoneEvent`` (the turn's status, the calls it asked for, its usage) is the
  last event of a message with ``turnComplete``, after the ``UsageEvent``.
- Decoding is tolerant: a message that is not JSON or not an object, or a field a handler needs with the
  wrong type, yields a ``MalformedServerEvent`` that says why; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pybase64 import b64decode
from pydantic import Field
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.realtime_events import (
    RealtimeEvent,
    RealtimeEvents,
    RealtimeFunctionCallEvent,
)

from semantic_kernel_realtime.events import MalformedServerEvent, ResponseDoneEvent, TextDoneEvent, Usage, UsageEvent
from semantic_kernel_realtime.protocol._build import builder, decoded_audio_event, text_content, text_event
from semantic_kernel_realtime.protocol.base import (
    CallsCancelled,
    Item,
    ItemAdded,
    OutputAudio,
    ResponseEnded,
    ResponseInterrupted,
    SessionExpiring,
    Signal,
    split_function_name,
)


class GeminiServerEvent(RealtimeEvent):
    """A decoded Gemini Live message field that carries no Semantic Kernel content.

    ``turn_id`` is the local id of the turn it belongs to; ``facts`` the protocol-neutral signals it settles
    (what the codec's ``signals`` returns for it).
    """

    turn_id: str | None = None
    facts: tuple[Any, ...] = Field(default=(), exclude=True, repr=False)


class _Bad(Exception):
    """A field a handler needs is missing or has the wrong type."""


_server_event = builder(GeminiServerEvent)
_call_event = builder(RealtimeFunctionCallEvent)
_call = builder(FunctionCallContent)
_usage_event = builder(UsageEvent)
_malformed_event = builder(MalformedServerEvent)
_text_done_event = builder(TextDoneEvent)
_response_done_event = builder(ResponseDoneEvent)


def _get(data: dict, camel: str, snake: str) -> Any:
    value = data.get(camel)
    return data.get(snake) if value is None else value


def _int(value: Any) -> int | None:
    """An int64 as the wire gives it: a number, or a decimal string (proto JSON)."""
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    return None


def usage_of(raw: Any) -> Usage | None:
    """A ``usageMetadata`` object as a :class:`Usage` (tool-use prompt counted as input, thinking as output)."""
    if not isinstance(raw, dict):
        return None
    prompt = _int(_get(raw, "promptTokenCount", "prompt_token_count"))
    response = _int(_get(raw, "responseTokenCount", "response_token_count"))
    tool_prompt = _int(_get(raw, "toolUsePromptTokenCount", "tool_use_prompt_token_count"))
    thoughts = _int(_get(raw, "thoughtsTokenCount", "thoughts_token_count"))
    split: dict[str, int] = {}
    for camel, snake, side in (("promptTokensDetails", "prompt_tokens_details", "input"),
                               ("responseTokensDetails", "response_tokens_details", "output")):
        details = _get(raw, camel, snake)
        for entry in details if isinstance(details, list) else ():
            if isinstance(entry, dict):
                modality = str(entry.get("modality", "")).lower()
                count = _int(_get(entry, "tokenCount", "token_count"))
                if modality in ("text", "audio") and count is not None:
                    key = f"{side}_{modality}_tokens"
                    split[key] = split.get(key, 0) + count
    return Usage(
        input_tokens=None if prompt is None and tool_prompt is None else (prompt or 0) + (tool_prompt or 0),
        output_tokens=None if response is None and thoughts is None else (response or 0) + (thoughts or 0),
        total_tokens=_int(_get(raw, "totalTokenCount", "total_token_count")),
        input_cached_tokens=_int(_get(raw, "cachedContentTokenCount", "cached_content_token_count")),
        **split,
    )


class Decoder:
    """Turns Gemini Live server messages into SK events, minting ids and keeping the current turn's words."""

    __slots__ = ("_count", "turn_id", "user_id", "model_id", "_user_words", "_user_settled", "_model_text",
                 "_model_transcript", "_interrupted", "_turn_calls", "_finished", "last_item_id", "minted_call_ids",
                 "resumption_handle", "go_away_time_left", "session_id", "_mime_types", "output_audio")

    def __init__(self, output_bytes_per_ms: int = 48) -> None:
        self._count = 0
        self.turn_id: str | None = None
        self.user_id: str | None = None
        self.model_id: str | None = None
        self._user_words: list[str] = []
        self._user_settled = ""  # the user's words a finished transcription already settled
        self._model_text: list[str] = []
        self._model_transcript: list[str] = []
        self._interrupted = False
        self._turn_calls: list[str] = []  # the calls the current turn asked for
        self._finished: tuple[str | None, str, tuple[str, ...]] | None = None  # a turn this message ended
        #: The id of the last item the decoder placed in the conversation.
        self.last_item_id: str | None = None
        #: Call ids minted for calls that came without one (their response goes back without an id).
        self.minted_call_ids: set[str] = set()
        #: The latest resumption handle the service gave (``sessionResumptionUpdate`` with ``resumable``).
        self.resumption_handle: str | None = None
        #: ``goAway.timeLeft`` as received (e.g. ``"10s"``), once the service said it will close.
        self.go_away_time_left: str | None = None
        self.session_id: str | None = None
        self._mime_types: dict[str, str] = {}
        #: Where each model item's output audio lies in the stream received (PCM16 at the output rate).
        self.output_audio = OutputAudio(output_bytes_per_ms)

    def decode_message(self, message: str | bytes) -> list[RealtimeEvents]:
        """Parse one JSON message (the service sends text in binary frames) and decode it.

        The messages of a spoken answer take a short path: a ``serverContent`` with one field, and above
        all one part of inline audio (the message that dominates), are decoded right here; everything else,
        and anything unexpected on the way, goes through :meth:`decode`.
        """
        try:
            data = _loads(message)
        except JSONDecodeError as exc:
            return [_malformed(None, message, f"invalid JSON: {exc}")]
        if type(data) is not dict or len(data) != 1:
            return self.decode(data)
        content = data.get("serverContent")
        if type(content) is not dict or len(content) != 1:
            return self.decode(data)
        turn = content.get("modelTurn")
        if turn is None:  # one other field: a transcription, usually
            handler = _FAST_CONTENT.get(next(iter(content)))
            if handler is None:
                return self.decode(data)
            events: list[RealtimeEvents] = []
            try:
                handler(self, content[next(iter(content))], data, events, None)
            except _Bad:
                return self.decode(data)  # nothing was changed yet: the general path reports it
            return events or self.decode(data)
        parts = turn.get("parts") if type(turn) is dict and len(turn) == 1 else None
        if type(parts) is not list or len(parts) != 1:
            return self.decode(data)
        part = parts[0]
        inline = part.get("inlineData") if type(part) is dict and len(part) == 1 else None
        b64 = inline.get("data") if type(inline) is dict else None
        if type(b64) is not str:
            return self.decode(data)
        try:
            pcm = _b64decode(b64, validate=True)
        except ValueError:
            return self.decode(data)  # the general path reports it
        self.output_audio.add(self.model_id or self._model_item(), len(pcm))
        mime = inline.get("mimeType")
        mime_type = self._mime_types.get(mime) if type(mime) is str else None
        if mime_type is None:
            mime_type = self._mime_type(inline)
        return [decoded_audio_event(_AUDIO, data, pcm, mime_type)]

    def decode(self, message: Any) -> list[RealtimeEvents]:
        """Decode one server message (a dict parsed from JSON)."""
        if type(message) is not dict:
            return [_malformed(None, message, "a server message must be a JSON object")]
        events: list[RealtimeEvents] = []
        usage_raw = _get(message, "usageMetadata", "usage_metadata")
        usage = usage_of(usage_raw) if usage_raw is not None else None
        turn_id = self.turn_id  # usage belongs to the turn this message ends, if it ends one
        known = False
        for key, value in message.items():
            if key[:1] == "_":
                continue
            handler = _FIELDS.get(key)
            if handler is None:
                events.append(_server_event(service_type=key, service_event=message, turn_id=self.turn_id))
                known = True
                continue
            known = True
            if handler is _usage:
                continue  # decoded last, after what it accounts for
            try:
                handler(self, value, message, events, usage)
            except _Bad as exc:
                events.append(_malformed(_CANONICAL.get(key, key), message, str(exc)))
            except Exception as exc:  # tolerant by contract: report, never raise
                events.append(_malformed(_CANONICAL.get(key, key), message, f"{type(exc).__name__}: {exc}"))
        if usage is not None:
            events.append(_usage_event(usage=usage, response_id=turn_id or self.turn_id, service_event=usage_raw))
        elif usage_raw is not None:
            events.append(_malformed("usageMetadata", message, "field 'usageMetadata' must be an object"))
        if not known:
            return [_malformed(None, message, "a server message must have at least one field")]
        finished = self._finished
        if finished is not None:  # last, after the usage that accounts for the turn
            self._finished = None
            events.append(_response_done_event(service_event=message, response_id=finished[0], status=finished[1],
                                               call_ids=finished[2], usage=usage))
        return events

    # -- turn bookkeeping ---------------------------------------------------------------------------

    def _mint(self, kind: str) -> str:
        self._count += 1
        return f"gemini_{kind}_{self._count}"

    def _turn(self) -> str:
        if self.turn_id is None:
            self.turn_id = self._mint("turn")
        return self.turn_id

    def _model_item(self) -> str:
        self._turn()
        if self.model_id is None:
            self.model_id = self._mint("item")
        return self.model_id

    def _place(self, facts: list[Signal], item: Item) -> None:
        facts.append(ItemAdded(item, self.last_item_id))
        self.last_item_id = item.id

    def _flush_user(self, facts: list[Signal], settled: list[RealtimeEvents], message: dict) -> None:
        if self.user_id is not None:
            words = "".join(self._user_words).strip()
            if words:
                self._place(facts, Item(self.user_id, "message", "user", words))
                if words != self._user_settled:
                    settled.append(_text_done_event(service_event=message, role="user", item_id=self.user_id,
                                                    text=words))
        self.user_id = None
        self._user_words = []
        self._user_settled = ""

    def _flush_model(self, facts: list[Signal], settled: list[RealtimeEvents], message: dict) -> None:
        if self.model_id is not None:
            words = "".join(self._model_transcript or self._model_text).strip()
            if words:
                self._place(facts, Item(self.model_id, "message", "assistant", words))
                settled.append(_text_done_event(service_event=message, role="assistant", item_id=self.model_id,
                                                text=words))
        self.model_id = None
        self._model_text = []
        self._model_transcript = []

    # -- serverContent ------------------------------------------------------------------------------

    def _server_content(self, content: Any, message: dict, events: list, usage: Usage | None) -> None:
        if type(content) is not dict:
            raise _Bad("field 'serverContent' must be an object")
        before = len(events)
        for key, value in content.items():
            part = _CONTENT.get(key)
            if part is not None:
                part(self, value, message, events, usage)
            elif value is not None and key[:1] != "_":
                name = _CONTENT_NAMES.get(key, key)
                events.append(_server_event(service_type=f"serverContent.{name}", service_event=message,
                                            turn_id=self.turn_id))
        if len(events) == before:
            events.append(_server_event(service_type="serverContent", service_event=message, turn_id=self.turn_id))

    def _model_turn(self, turn: Any, message: dict, events: list, usage: Usage | None) -> None:
        if type(turn) is not dict:
            raise _Bad("field 'serverContent.modelTurn' must be an object")
        parts = turn.get("parts")
        if parts is None:
            return
        if type(parts) is not list:
            raise _Bad("field 'serverContent.modelTurn.parts' must be a list")
        for part in parts:
            if type(part) is not dict:
                raise _Bad("a part of 'serverContent.modelTurn.parts' must be an object")
            inline = _get(part, "inlineData", "inline_data")
            if inline is not None:
                events.append(self._audio(inline, message))
                continue
            text = part.get("text")
            if type(text) is str and not part.get("thought"):
                item_id = self._model_item()
                self._model_text.append(text)
                events.append(text_event("serverContent.modelTurn.text", message,
                                         text_content(text, {"item_id": item_id, "role": "assistant"})))
                continue
            events.append(_server_event(service_type="serverContent.modelTurn", service_event=message,
                                        turn_id=self._turn()))

    def _audio(self, inline: Any, message: dict) -> RealtimeEvents:
        if type(inline) is not dict:
            raise _Bad("field 'inlineData' must be an object")
        data = inline.get("data")
        if type(data) is not str:
            raise _Bad(f"field 'inlineData.data' must be a string, got {type(data).__name__}")
        try:
            pcm = b64decode(data, validate=True)
        except ValueError as exc:
            raise _Bad(f"field 'inlineData.data' is not valid base64 ({exc})") from None
        self.output_audio.add(self.model_id or self._model_item(), len(pcm))
        return decoded_audio_event(_AUDIO, message, pcm, self._mime_type(inline))

    def _mime_type(self, inline: dict) -> str:
        """The MIME type of inline audio without its parameters (``audio/pcm;rate=24000`` -> ``audio/pcm``)."""
        mime = _get(inline, "mimeType", "mime_type")
        if type(mime) is not str:
            return "audio/pcm"
        mime_type = self._mime_types.get(mime)
        if mime_type is None:
            if len(self._mime_types) >= _MAX_MIME_TYPES:
                self._mime_types.clear()  # a service inventing types cannot grow the cache without bound
            mime_type = self._mime_types[mime] = mime.partition(";")[0].strip() or "audio/pcm"
        return mime_type

    def _input_transcription(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        text = self._transcript_text(value, "inputTranscription")
        if text:
            self._turn()
            if self.user_id is None:
                self.user_id = self._mint("item")
            self._user_words.append(text)
            events.append(text_event("serverContent.inputTranscription", message,
                                     text_content(text, {"item_id": self.user_id, "role": "user"})))
        if value.get("finished") is True and self.user_id is not None:  # the user's words are settled now
            words = "".join(self._user_words).strip()
            if words and words != self._user_settled:
                self._user_settled = words
                events.append(_text_done_event(service_event=message, role="user", item_id=self.user_id, text=words))

    def _output_transcription(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        text = self._transcript_text(value, "outputTranscription")
        if text:
            item_id = self._model_item()
            self._model_transcript.append(text)
            events.append(text_event("serverContent.outputTranscription", message,
                                     text_content(text, {"item_id": item_id, "role": "assistant"})))

    @staticmethod
    def _transcript_text(value: Any, field: str) -> str:
        if type(value) is not dict:
            raise _Bad(f"field 'serverContent.{field}' must be an object")
        text = value.get("text")
        if text is not None and type(text) is not str:
            raise _Bad(f"field 'serverContent.{field}.text' must be a string")
        return text or ""

    def _flag(name: str) -> Callable[[Decoder, Any, dict, list, Usage | None], None]:  # noqa: N805
        def handle(self: Decoder, value: Any, message: dict, events: list, usage: Usage | None) -> None:
            if value:
                events.append(_server_event(service_type=f"serverContent.{name}", service_event=message,
                                            turn_id=self.turn_id))

        return handle

    def _interrupted_flag(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        if value:
            self._interrupted = True
            events.append(_server_event(service_type="serverContent.interrupted", service_event=message,
                                        turn_id=self.turn_id, facts=(ResponseInterrupted(self.turn_id),)))

    def _turn_complete(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        if not value:
            return
        facts: list[Signal] = []
        settled: list[RealtimeEvents] = []
        self._flush_user(facts, settled, message)
        self._flush_model(facts, settled, message)
        turn_id = self.turn_id
        status = "cancelled" if self._interrupted else "completed"
        facts.append(ResponseEnded(turn_id, status, usage))
        self._finished = (turn_id, status, tuple(self._turn_calls))
        self.turn_id = None
        self._interrupted = False
        self._turn_calls = []
        events.append(_server_event(service_type="serverContent.turnComplete", service_event=message,
                                    turn_id=turn_id, facts=tuple(facts)))
        events.extend(settled)

    # -- other fields -------------------------------------------------------------------------------

    def _tool_call(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        if type(value) is not dict:
            raise _Bad("field 'toolCall' must be an object")
        calls = _get(value, "functionCalls", "function_calls")
        if type(calls) is not list:
            raise _Bad("field 'toolCall.functionCalls' must be a list")
        turn_id = self._turn()
        facts: list[Signal] = []
        settled: list[RealtimeEvents] = []
        self._flush_user(facts, settled, message)
        self._flush_model(facts, settled, message)
        call_events = []
        for raw in calls:
            call = self._function_call(raw, turn_id)
            self._place(facts, Item(call.call_id or "", "function_call", call_id=call.call_id, name=call.name,
                                    arguments=call.arguments))  # type: ignore[arg-type]
            call_events.append(_call_event(service_type="toolCall", service_event=message, function_call=call))
            self._turn_calls.append(call.call_id or "")
        events.append(_server_event(service_type="toolCall", service_event=message, turn_id=turn_id,
                                    facts=tuple(facts)))
        events.extend(settled)
        events.extend(call_events)

    def _function_call(self, raw: Any, turn_id: str) -> FunctionCallContent:
        if type(raw) is not dict:
            raise _Bad("an entry of 'toolCall.functionCalls' must be an object")
        name = raw.get("name")
        if type(name) is not str or not name:
            raise _Bad("a function call must have a 'name' string")
        call_id = raw.get("id")
        if type(call_id) is not str or not call_id:
            call_id = self._mint("call")
            self.minted_call_ids.add(call_id)
        args = raw.get("args")
        if args is not None and type(args) is not dict:
            raise _Bad(f"field 'args' of call '{name}' must be an object")
        plugin, function = split_function_name(name)
        return _call(id=call_id, call_id=call_id, name=name, plugin_name=plugin, function_name=function,
                     arguments=orjson.dumps(args or {}).decode(),
                     metadata={"call_id": call_id, "item_id": call_id, "response_id": turn_id})

    def _tool_call_cancellation(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        ids = value.get("ids") if type(value) is dict else None
        if type(ids) is not list or not all(type(i) is str for i in ids):
            raise _Bad("field 'toolCallCancellation.ids' must be a list of strings")
        events.append(_server_event(service_type="toolCallCancellation", service_event=message,
                                    turn_id=self.turn_id, facts=(CallsCancelled(tuple(ids)),)))

    def _setup_complete(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        session_id = _get(value, "sessionId", "session_id") if type(value) is dict else None
        if type(session_id) is str:
            self.session_id = session_id
        events.append(_server_event(service_type="setupComplete", service_event=message))

    def _go_away(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        left = _get(value, "timeLeft", "time_left") if type(value) is dict else None
        self.go_away_time_left = left if type(left) is str else (str(left) if left is not None else "")
        events.append(_server_event(service_type="goAway", service_event=message, turn_id=self.turn_id,
                                    facts=(SessionExpiring(time_left=_seconds(left)),)))

    def _resumption_update(self, value: Any, message: dict, events: list, usage: Usage | None) -> None:
        if type(value) is not dict:
            raise _Bad("field 'sessionResumptionUpdate' must be an object")
        handle = _get(value, "newHandle", "new_handle")
        if type(handle) is str and handle and value.get("resumable") in (True, "true"):
            self.resumption_handle = handle
        events.append(_server_event(service_type="sessionResumptionUpdate", service_event=message,
                                    turn_id=self.turn_id))

    def _passthrough(name: str) -> Callable[[Decoder, Any, dict, list, Usage | None], None]:  # noqa: N805
        def handle(self: Decoder, value: Any, message: dict, events: list, usage: Usage | None) -> None:
            events.append(_server_event(service_type=name, service_event=message, turn_id=self.turn_id))

        return handle

    _generation_complete = _flag("generationComplete")
    _voice_activity_signal = _passthrough("voiceActivityDetectionSignal")
    _voice_activity = _passthrough("voiceActivity")
    del _flag, _passthrough


def _usage(decoder: Decoder, value: Any, message: dict, events: list, usage: Usage | None) -> None:
    """Marker: ``usageMetadata`` is decoded after the message's other fields."""


_AUDIO = "serverContent.modelTurn.inlineData"
_MAX_MIME_TYPES = 64
_loads = orjson.loads
_b64decode = b64decode
JSONDecodeError = orjson.JSONDecodeError


def _malformed(etype: Any, message: Any, cause: str) -> MalformedServerEvent:
    return _malformed_event(service_type=etype if type(etype) is str else None, service_event=message, cause=cause)


Handler = Callable[[Decoder, Any, dict, list, "Usage | None"], None]

#: Top-level fields (camelCase) -> handler; snake_case names are added below.
_CAMEL_FIELDS: dict[str, Handler] = {
    "setupComplete": Decoder._setup_complete,
    "serverContent": Decoder._server_content,
    "toolCall": Decoder._tool_call,
    "toolCallCancellation": Decoder._tool_call_cancellation,
    "usageMetadata": _usage,
    "goAway": Decoder._go_away,
    "sessionResumptionUpdate": Decoder._resumption_update,
    "voiceActivityDetectionSignal": Decoder._voice_activity_signal,
    "voiceActivity": Decoder._voice_activity,
}
#: ``serverContent`` fields (camelCase) -> handler.
_CAMEL_CONTENT: dict[str, Handler] = {
    "modelTurn": Decoder._model_turn,
    "inputTranscription": Decoder._input_transcription,
    "outputTranscription": Decoder._output_transcription,
    "interrupted": Decoder._interrupted_flag,
    "generationComplete": Decoder._generation_complete,
    "turnComplete": Decoder._turn_complete,
}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


_CANONICAL = {**{_snake(k): k for k in _CAMEL_FIELDS}, **{k: k for k in _CAMEL_FIELDS}}
_FIELDS: dict[str, Handler] = {**_CAMEL_FIELDS, **{_snake(k): h for k, h in _CAMEL_FIELDS.items()}}
_CONTENT: dict[str, Handler] = {**_CAMEL_CONTENT, **{_snake(k): h for k, h in _CAMEL_CONTENT.items()}}
#: Other ``serverContent`` fields (snake_case as printed) -> their camelCase name, for ``service_type``.
_CONTENT_NAMES = {_snake(k): k for k in ("groundingMetadata", "urlContextMetadata", "turnCompleteReason",
                                         "waitingForInput", "interimInputTranscription", "interactionStatus")}

#: ``serverContent`` fields :meth:`Decoder.decode_message` decodes on its short path, when alone in a message
#: (their handlers raise before changing anything, so the general path can report what they refuse).
_FAST_CONTENT: dict[str, Handler] = {"outputTranscription": Decoder._output_transcription,
                                     "inputTranscription": Decoder._input_transcription}

#: Every ``service_type`` this decoder gives a :class:`GeminiServerEvent` with ``facts``.
FACT_TYPES = frozenset({"toolCall", "toolCallCancellation", "serverContent.interrupted", "serverContent.turnComplete",
                        "goAway"})


def _seconds(duration: Any) -> float | None:
    """A protobuf ``Duration`` as JSON (``"10s"``, ``"0.5s"``) or a number, in seconds; ``None`` if neither."""
    if type(duration) in (int, float):
        value = float(duration)
    elif type(duration) is str and duration.endswith("s"):
        try:
            value = float(duration[:-1])
        except ValueError:
            return None
    else:
        return None
    return value if 0 <= value < 1e9 else None
