"""The OpenAI Realtime GA codec: the :class:`~semantic_kernel_realtime.protocol.base.Codec` of OpenAI and Azure.

Rules: a thin composition of this package's modules, adding no wire knowledge of its own: ``decode``
(server events -> SK events, with a :class:`~.state.ConversationState` per connection), ``encode``
(SK events -> client events), ``session`` (settings -> ``session.update``), ``history`` (a
``ChatHistory`` -> items), ``tools`` (kernel functions -> tools) and ``signals`` (events -> neutral facts).
After tool outputs the client must send ``response.create`` (``capabilities``); a request may carry an
``event_id`` (errors about it name it) and ``tool_choice: "none"``. Barge-in truncation is
``conversation.item.truncate``; the client interrupts with ``response.cancel`` (and, over WebRTC,
``output_audio_buffer.clear``); a scripted line is a ``response.create`` whose own instructions ask for it.

Items the client creates carry an id: ``encode`` gives a ``conversation.item.create`` without one an id of
its own (``created_item`` names it until the next ``encode``), so the service's echo confirms it and a
reconnecting client can tell what reached the conversation. ``reopening`` (a new connection continuing a
session) is ``opening`` with every replayed item keeping its id.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import orjson
from semantic_kernel.connectors.ai.function_calling_utils import prepare_settings_for_function_calling
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeEvents, RealtimeFunctionResultEvent
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.errors import ConnectionClosedError, RealtimeError
from semantic_kernel_realtime.protocol.base import SCRIPTED_LINE, Capabilities, OutputAudio, Signal
from semantic_kernel_realtime.protocol.openai import signals as _signals
from semantic_kernel_realtime.protocol.openai.decode import Decoder
from semantic_kernel_realtime.protocol.openai.encode import append_message, encode_event, item_create
from semantic_kernel_realtime.protocol.openai.event_types import canonical_type
from semantic_kernel_realtime.protocol.openai.history import history_items
from semantic_kernel_realtime.protocol.openai.session import as_realtime_settings, pcm_rate, session_config
from semantic_kernel_realtime.protocol.openai.settings import RealtimeExecutionSettings
from semantic_kernel_realtime.protocol.openai.tools import update_settings_from_function_choice

_dumps = orjson.dumps
#: Ids of the items the client creates: a per-process prefix and a counter (no clash across connections).
_ITEM_PREFIX = f"item_sk{os.urandom(4).hex()}"
_item_numbers = itertools.count(1)


class OpenAICodec:
    """OpenAI Realtime GA over JSON text (WebSocket or a WebRTC data channel)."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        name="openai-ga", response_after_tool_output=True, input_sample_rate=24_000, output_sample_rate=24_000,
    )
    settings_class: ClassVar[type[PromptExecutionSettings]] = RealtimeExecutionSettings
    signal_types: ClassVar[frozenset[str]] = _signals.SIGNAL_TYPES

    __slots__ = ("model", "decoder", "decode", "created_item")

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model
        #: The id of the item the last ``encode`` creates (``None``: it created none).
        self.created_item: str | None = None
        self.decoder = Decoder()
        #: ``decode(message) -> events``: the decoder's own method, so the hot path has no extra call.
        self.decode: Callable[[str | bytes], list[RealtimeEvents]] = self.decoder.decode_message

    # -- stateless -------------------------------------------------------------------------------------

    @classmethod
    def prepare_settings(cls, settings: PromptExecutionSettings | None, kernel: Kernel | None) -> Any:
        prepared = as_realtime_settings(settings)
        if kernel is not None and prepared.function_choice_behavior is not None:
            prepared = prepare_settings_for_function_calling(  # type: ignore[assignment]
                prepared, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=kernel
            )
        return prepared

    @classmethod
    def application_input_rate(cls, settings: PromptExecutionSettings | None) -> int | None:
        """The PCM rate the application said it sends (``input_audio_format={"type": "audio/pcm", "rate":
        16000}``), or None when the settings name none: the client converts it to the wire's 24 kHz."""
        fmt = as_realtime_settings(settings).input_audio_format
        return pcm_rate(fmt) if isinstance(fmt, Mapping) and "rate" in fmt else None

    @classmethod
    def text_only(cls, settings: PromptExecutionSettings | None) -> Any:
        text = as_realtime_settings(settings).model_copy(deep=True)
        text.output_modalities = ["text"]
        text.function_choice_behavior = None
        return text

    update_settings_from_function_choice = staticmethod(update_settings_from_function_choice)

    @classmethod
    def session_object(cls, settings: PromptExecutionSettings, *, model: str | None = None) -> dict[str, Any]:
        return session_config(settings, model=model)

    @classmethod
    def session_update(cls, settings: PromptExecutionSettings) -> RealtimeEvents:
        return RealtimeEvent(service_type="session.update",
                             service_event={"type": "session.update", "session": session_config(settings)})

    @classmethod
    def history(cls, chat_history: ChatHistory | None) -> list[RealtimeEvents]:
        return [RealtimeEvent(service_type="conversation.item.create", service_event={"item": item})
                for item in history_items(chat_history)]

    @classmethod
    def response_request(cls, *, event_id: str | None = None, allow_tools: bool = True) -> RealtimeEvents:
        fields: dict[str, Any] = {}
        if event_id is not None:
            fields["event_id"] = event_id
        if not allow_tools:
            fields["response"] = {"tool_choice": "none"}
        return RealtimeEvent(service_type="response.create", service_event=fields or None)

    @classmethod
    def truncate_request(cls, item_id: str, content_index: int, audio_end_ms: int) -> RealtimeEvents:
        return RealtimeEvent(service_type="conversation.item.truncate", service_event={
            "item_id": item_id, "content_index": content_index, "audio_end_ms": max(0, audio_end_ms)})

    @classmethod
    def cancel_request(cls, *, event_id: str | None = None) -> RealtimeEvents:
        return RealtimeEvent(service_type="response.cancel",
                             service_event={"event_id": event_id} if event_id is not None else None)

    @classmethod
    def clear_audio_request(cls) -> RealtimeEvents:
        return RealtimeEvent(service_type="output_audio_buffer.clear")

    @classmethod
    def scripted_response(cls, line: str) -> list[RealtimeEvents]:
        return [RealtimeEvent(service_type="response.create", service_event={"response": {
            "instructions": SCRIPTED_LINE.format(line=line), "tool_choice": "none"}})]

    @classmethod
    def function_result(cls, result: FunctionResultContent) -> RealtimeEvents:
        return RealtimeFunctionResultEvent(service_type="conversation.item.create", function_result=result)

    @classmethod
    def canonical_type(cls, service_type: str) -> str:
        return canonical_type(service_type)

    @classmethod
    def signals(cls, event: RealtimeEvents) -> Sequence[Signal]:
        return _signals.signals(event)

    @classmethod
    def close_error(cls, error: ConnectionClosedError) -> RealtimeError:
        return error  # OpenAI refuses a bad key at the handshake (HTTP 401), before any close

    # -- one connection ----------------------------------------------------------------------------------

    @property
    def output_audio(self) -> OutputAudio:
        return self.decoder.state.output_audio

    @property
    def input_mime_type(self) -> str:
        """The session's input audio format (``audio/pcm``, ``audio/pcmu`` or ``audio/pcma``): what the client
        converts the application's audio to."""
        return self.decoder.input_mime_type

    def heard_text(self, item_id: str, audio_end_ms: int) -> str | None:
        return self.decoder.state.heard_text(item_id, audio_end_ms)

    def opening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None) -> list[str]:
        return self._first_messages(session, history_items(chat_history))

    def reopening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None, previous: Any
                  ) -> tuple[list[str], bool]:
        return self._first_messages(session, history_items(chat_history, keep_ids=True)), False

    def _first_messages(self, session: dict[str, Any] | None, items: list[dict[str, Any]]) -> list[str]:
        """The session's ``session.update`` (its input format noted: audio sent after it is in that format),
        then one ``conversation.item.create`` per history item."""
        first = []
        if session is not None:
            self.decoder.input_format_sent(session)
            first.append({"type": "session.update", "session": session})
        first += [item_create(item) for item in items]
        return [_dumps(event).decode() for event in first]

    def encode(self, event: RealtimeEvents) -> str:
        data = encode_event(event, model=self.model)
        self.created_item = None
        if data["type"] == "session.update" and isinstance(data.get("session"), dict):
            self.decoder.input_format_sent(data["session"])
        elif data["type"] == "conversation.item.create":
            item = data.get("item")
            if isinstance(item, dict):
                item_id = item.get("id")
                if not item_id:
                    item_id = f"{_ITEM_PREFIX}{next(_item_numbers):x}"
                    data["item"] = {**item, "id": item_id}
                self.created_item = item_id if type(item_id) is str else None
        return _dumps(data).decode()

    #: ``encode_audio(audio) -> bytes``: the append message of raw audio in the session's input format as
    #: UTF-8 JSON (the send path's fast path).
    encode_audio = staticmethod(append_message)
