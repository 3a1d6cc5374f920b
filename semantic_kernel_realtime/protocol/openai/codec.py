"""The OpenAI Realtime GA codec: the :class:`~semantic_kernel_realtime.protocol.base.Codec` of OpenAI and Azure.

Rules: a thin composition of this package's modules, adding no wire knowledge of its own: ``decode``
(server events -> SK events, with a :class:`~.state.ConversationState` per connection), ``encode``
(SK events -> client events), ``session`` (settings -> ``session.update``), ``history`` (a
``ChatHistory`` -> items), ``tools`` (kernel functions -> tools) and ``signals`` (events -> neutral facts).
After tool outputs the client must send ``response.create`` (``capabilities``); a request may carry an
``event_id`` (errors about it name it) and ``tool_choice: "none"``. Barge-in truncation is
``conversation.item.truncate``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import orjson
from semantic_kernel.connectors.ai.function_calling_utils import prepare_settings_for_function_calling
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeEvents, RealtimeFunctionResultEvent
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.errors import ConnectionClosedError, RealtimeError
from semantic_kernel_realtime.protocol.base import Capabilities, OutputAudio, Signal
from semantic_kernel_realtime.protocol.openai import signals as _signals
from semantic_kernel_realtime.protocol.openai.decode import Decoder
from semantic_kernel_realtime.protocol.openai.encode import append_message, encode_event, item_create
from semantic_kernel_realtime.protocol.openai.event_types import canonical_type
from semantic_kernel_realtime.protocol.openai.history import history_items
from semantic_kernel_realtime.protocol.openai.session import as_realtime_settings, session_config
from semantic_kernel_realtime.protocol.openai.settings import RealtimeExecutionSettings
from semantic_kernel_realtime.protocol.openai.tools import update_settings_from_function_choice

_dumps = orjson.dumps


class OpenAICodec:
    """OpenAI Realtime GA over JSON text (WebSocket or a WebRTC data channel)."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        name="openai-ga", response_after_tool_output=True, input_sample_rate=24_000, output_sample_rate=24_000,
    )
    settings_class: ClassVar[type[PromptExecutionSettings]] = RealtimeExecutionSettings
    signal_types: ClassVar[frozenset[str]] = _signals.SIGNAL_TYPES

    __slots__ = ("model", "decoder", "decode")

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model
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

    def heard_text(self, item_id: str, audio_end_ms: int) -> str | None:
        return self.decoder.state.heard_text(item_id, audio_end_ms)

    def opening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None) -> list[str]:
        first = [{"type": "session.update", "session": session}] if session is not None else []
        first += [item_create(item) for item in history_items(chat_history)]
        return [_dumps(event).decode() for event in first]

    def encode(self, event: RealtimeEvents) -> str:
        return _dumps(encode_event(event, model=self.model)).decode()

    #: ``encode_audio(pcm) -> bytes``: the append message of raw PCM16 as UTF-8 JSON (the send path's fast path).
    encode_audio = staticmethod(append_message)
