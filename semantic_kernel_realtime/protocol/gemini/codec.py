"""The Gemini Live codec: the :class:`~semantic_kernel_realtime.protocol.base.Codec` of Google's Live API.

Rules: a thin composition of this package's modules: ``decode`` (server messages -> SK events, minting the
ids Gemini does not send), ``encode`` (SK events -> client messages), ``setup`` (settings -> ``setup``,
kernel functions -> declarations) and ``signals``. Capabilities: the service continues by itself after
``toolResponse`` (no response request), takes PCM16 at 16 kHz and speaks at 24 kHz, and can resume a
session by handle. A connection opens with ``setup`` (always: the Live API requires it first), then the
seeded history as one ``clientContent`` that does not end the turn. The API's JSON arrives in binary
frames; ``decode`` takes bytes or text. A connection that continues a session (``reopening``) names the
last resumption handle in its ``setup`` when the session asked for resumption and got a handle: the
service restores the conversation itself; otherwise it replays the conversation as seeded history. The
Live API accepts any key at the handshake and judges it after
``setup``: a close 1007/1008 whose reason names the key or the credentials is that refusal
(``close_error``: an ``AuthenticationError``, not retryable).

Interruptions: the service cuts a response the user speaks over by itself and keeps what it had sent, so
the codec has no ``truncate_request`` and no ``heard_text`` (nothing to truncate, the mirror keeps the
words received); it keeps ``output_audio`` (the decoder's) and says ``interrupted`` as
:class:`~semantic_kernel_realtime.protocol.base.ResponseInterrupted`, on which barge-in stops playback.
``response_request`` takes the protocol's ``event_id`` / ``allow_tools`` and ignores them: the Live API has
no event ids and no per-turn tool choice (function calling never asks it for a response anyway: the
service continues by itself after tool outputs).

The service announces no response start (``announces_responses`` False). Any ``clientContent`` interrupts the
model's current generation, so the client's ``cancel_request`` is an empty one (the service then says
``interrupted``, and keeps what it had sent), and a scripted line is a user turn that asks for it and ends
the turn (the Live API has no per-response instructions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import orjson
from semantic_kernel.connectors.ai.function_calling_utils import prepare_settings_for_function_calling
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeEvents, RealtimeFunctionResultEvent
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.errors import AuthenticationError, ConnectionClosedError, RealtimeError
from semantic_kernel_realtime.protocol.base import SCRIPTED_LINE, Capabilities, OutputAudio, Signal
from semantic_kernel_realtime.protocol.gemini import signals as _signals
from semantic_kernel_realtime.protocol.gemini.decode import Decoder
from semantic_kernel_realtime.protocol.gemini.encode import (
    SESSION_UPDATE,
    Encoder,
    client_content,
    history_turns,
    turn,
)
from semantic_kernel_realtime.protocol.gemini.settings import GoogleLiveExecutionSettings
from semantic_kernel_realtime.protocol.gemini.setup import (
    as_live_settings,
    model_path,
    setup_config,
    update_settings_from_function_choice,
)

_dumps = orjson.dumps

#: The model a session opens with when none is named.
DEFAULT_MODEL = "gemini-live-2.5-flash-preview"
#: The Live API accepts the WebSocket whatever the key, then refuses a bad one by closing after ``setup``
#: (1007 "API key not valid. Please pass a valid API key.", or 1008 for a token without permission).
_REFUSAL_CODES = frozenset({1007, 1008})
_CREDENTIALS = re.compile(r"api[ _-]?key|credential|authenticat|unauthori[sz]ed|permission[ _]denied",
                          re.IGNORECASE)


class GeminiCodec:
    """Gemini Live (``BidiGenerateContent``) over JSON messages."""

    capabilities: ClassVar[Capabilities] = Capabilities(
        name="gemini-live", response_after_tool_output=False, input_sample_rate=16_000, output_sample_rate=24_000,
        resumable=True, reconfigurable=False, echoes_items=False, announces_responses=False,
    )
    #: Gemini names no items: nothing the client sends can be confirmed by id.
    created_item: ClassVar[None] = None
    settings_class: ClassVar[type[PromptExecutionSettings]] = GoogleLiveExecutionSettings
    signal_types: ClassVar[frozenset[str]] = _signals.SIGNAL_TYPES

    __slots__ = ("model", "decoder", "encoder", "decode")

    def __init__(self, *, model: str | None = None) -> None:
        self.model = model
        self.decoder = Decoder(self.capabilities.output_sample_rate * 2 // 1000)
        self.encoder = Encoder(self.capabilities.input_sample_rate, self.decoder.minted_call_ids)
        #: ``decode(message) -> events``: the decoder's own method, so the hot path has no extra call.
        self.decode: Callable[[str | bytes], list[RealtimeEvents]] = self.decoder.decode_message

    # -- stateless -------------------------------------------------------------------------------------

    @classmethod
    def prepare_settings(cls, settings: PromptExecutionSettings | None, kernel: Kernel | None) -> Any:
        prepared = as_live_settings(settings)
        if kernel is not None and prepared.function_choice_behavior is not None:
            prepared = prepare_settings_for_function_calling(  # type: ignore[assignment]
                prepared, GoogleLiveExecutionSettings, update_settings_from_function_choice, kernel=kernel
            )
        return prepared

    @classmethod
    def text_only(cls, settings: PromptExecutionSettings | None) -> Any:
        text = as_live_settings(settings).model_copy(deep=True)
        text.response_modalities = ["TEXT"]
        text.function_choice_behavior = None
        return text

    update_settings_from_function_choice = staticmethod(update_settings_from_function_choice)

    @classmethod
    def session_object(cls, settings: PromptExecutionSettings, *, model: str | None = None) -> dict[str, Any]:
        setup = setup_config(settings)
        if model:
            setup = {"model": model_path(model), **setup}
        return setup

    @classmethod
    def session_update(cls, settings: PromptExecutionSettings) -> RealtimeEvents:
        # Sending it gives a SendFailedEvent that says why: the Live API has no mid-session reconfiguration.
        return RealtimeEvent(service_type=SESSION_UPDATE, service_event={"settings": settings})

    @classmethod
    def history(cls, chat_history: ChatHistory | None) -> list[RealtimeEvents]:
        _, turns = history_turns(chat_history)
        if not turns:
            return []
        return [RealtimeEvent(service_type="clientContent", service_event={"turns": turns, "turnComplete": False})]

    @classmethod
    def response_request(cls, *, event_id: str | None = None, allow_tools: bool = True) -> RealtimeEvents:
        return RealtimeEvent(service_type="clientContent", service_event={"turnComplete": True})

    @classmethod
    def cancel_request(cls, *, event_id: str | None = None) -> RealtimeEvents:
        return RealtimeEvent(service_type="clientContent", service_event={"turnComplete": False})

    @classmethod
    def scripted_response(cls, line: str) -> list[RealtimeEvents]:
        return [RealtimeEvent(service_type="clientContent", service_event=client_content(
            [turn("user", [{"text": SCRIPTED_LINE.format(line=line)}])], turn_complete=True)["clientContent"])]

    @classmethod
    def function_result(cls, result: FunctionResultContent) -> RealtimeEvents:
        return RealtimeFunctionResultEvent(service_type="toolResponse", function_result=result)

    @classmethod
    def canonical_type(cls, service_type: str) -> str:
        return service_type

    @classmethod
    def signals(cls, event: RealtimeEvents) -> Sequence[Signal]:
        return _signals.signals(event)

    @classmethod
    def close_error(cls, error: ConnectionClosedError) -> RealtimeError:
        reason = error.reason or ""
        if error.code in _REFUSAL_CODES and _CREDENTIALS.search(reason):
            return AuthenticationError(
                f"the Gemini Live service refused the credentials after setup (close {error.code}: {reason}); "
                "check the API key (GOOGLE_AI_API_KEY) or the Vertex AI token", code=error.code, reason=reason)
        return error

    # -- one connection ----------------------------------------------------------------------------------

    @property
    def output_audio(self) -> OutputAudio:
        return self.decoder.output_audio

    def opening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None) -> list[str]:
        setup = dict(session or {})
        setup["model"] = model_path(setup.get("model") or self.model or DEFAULT_MODEL)
        system, turns = history_turns(chat_history)
        if system:
            instruction = setup.get("systemInstruction") or {"parts": []}
            setup["systemInstruction"] = {**instruction, "parts": [{"text": t} for t in system]
                                          + list(instruction.get("parts") or [])}
        messages = [{"setup": setup}]
        if turns:
            messages.append(client_content(turns))
        return [_dumps(message).decode() for message in messages]

    def reopening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None, previous: Any
                  ) -> tuple[list[str], bool]:
        handle = getattr(getattr(previous, "decoder", None), "resumption_handle", None)
        if handle and session is not None and "sessionResumption" in session:
            setup = {**session, "sessionResumption": {**(session.get("sessionResumption") or {}), "handle": handle}}
            setup["model"] = model_path(setup.get("model") or self.model or DEFAULT_MODEL)
            return [_dumps({"setup": setup}).decode()], True
        return self.opening(session, chat_history), False

    def encode(self, event: RealtimeEvents) -> str:
        return _dumps(self.encoder.encode(event)).decode()
