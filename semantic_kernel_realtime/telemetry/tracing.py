"""RealtimeTelemetry: OpenTelemetry spans and metrics, and per-turn latency events, for any realtime client.

Rules:
- A :class:`~semantic_kernel_realtime.client.hooks.SessionHooks`: it observes the codec's protocol-neutral
  signals, the received and sent events, never a wire name, so it works for every codec, transport and
  connector. Attach one instance per client (``client.attach(RealtimeTelemetry())``); with Semantic
  Kernel's switch on, every connector attaches one by itself (:func:`auto_telemetry`).
- Spans (through the OpenTelemetry API; no exporter needed, nothing recorded without an SDK): one per
  session (``realtime {model}``), one per response (``chat {model}``) parented explicitly under the session,
  and one per tool call (``tool_call {name}``) under the response that asked for it. Semantic Kernel's own
  function span (``execute_tool ...``) becomes the tool span's child: the tool span is made current inside
  the call's task (``call_scope``), because the receive path runs in the transport's read callback, whose
  context is not the call's. Names and attributes: :mod:`.conventions`. A service that signals no response
  start (Gemini Live: ``capabilities.announces_responses`` False) has each response span start at the
  response's first output (a call, audio, the answer's words) while none is open; the ``ResponseEnded``
  that follows names and ends it. Such a span has no time-to-first-chunk or -audio (its start is its
  first output).
- Switches are Semantic Kernel's: ``SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS`` (spans and
  metrics) and ``..._SENSITIVE`` (also content: instructions, transcripts, tool arguments and results),
  read through SK's own settings when a session starts; ``diagnostics=`` / ``sensitive=`` override them.
- Latency: a :class:`~.turns.TurnTracker` measures each turn on the loop's monotonic clock; each finished
  turn is recorded in ``gen_ai.realtime.turn.latency`` and, with ``latency_events``, put on the receive
  queue as a ``TurnLatencyEvent`` just after the event that ended the turn.
- Per event, with diagnostics off and latency events on, the work is the tracker's; with diagnostics on,
  a few attribute reads more. Nothing here blocks; spans and metrics go to the SDK's own processors.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeFunctionResultEvent,
    RealtimeTextEvent,
)

from semantic_kernel_realtime import __version__
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.events import TRACK_AUDIO, TurnLatencyEvent, Usage
from semantic_kernel_realtime.protocol import audio_bytes
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    ItemAdded,
    ItemText,
    ResponseEnded,
    ResponseStarted,
    ServiceError,
    SessionConfigured,
    Signal,
    SpeechStarted,
    SpeechStopped,
)
from semantic_kernel_realtime.telemetry import conventions as c
from semantic_kernel_realtime.telemetry.switches import diagnostics_enabled, sensitive_enabled
from semantic_kernel_realtime.telemetry.turns import TurnTracker, is_silent, sum_usage

if TYPE_CHECKING:
    from semantic_kernel.contents.function_call_content import FunctionCallContent
    from semantic_kernel.contents.realtime_events import RealtimeEvents

    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.client.connection import Connection
    from semantic_kernel_realtime.events import SessionEndedEvent

__all__ = ["RealtimeTelemetry", "auto_telemetry"]

INSTRUMENTATION = "semantic_kernel_realtime"
_MAX_OPEN = 256  # responses or tool calls kept open at once (a service that never ends them cannot grow this)
_UNNAMED = ""  # the key of a response whose start was its first output, until its end names it

#: Usage field -> span attribute.
_USAGE_ATTRIBUTES = {
    "input_tokens": c.INPUT_TOKENS, "output_tokens": c.OUTPUT_TOKENS,
    "input_audio_tokens": c.RT_INPUT_AUDIO_TOKENS, "input_text_tokens": c.RT_INPUT_TEXT_TOKENS,
    "input_cached_tokens": c.RT_INPUT_CACHED_TOKENS, "output_audio_tokens": c.RT_OUTPUT_AUDIO_TOKENS,
    "output_text_tokens": c.RT_OUTPUT_TEXT_TOKENS,
}
#: token type -> (total field, {modality: field})
_TOKEN_SPLIT = {
    "input": ("input_tokens", {"audio": "input_audio_tokens", "text": "input_text_tokens"}),
    "output": ("output_tokens", {"audio": "output_audio_tokens", "text": "output_text_tokens"}),
}
_ERROR_TYPES = {asyncio.TimeoutError: "timeout", TimeoutError: "timeout", asyncio.CancelledError: "cancelled"}


def auto_telemetry(client: RealtimeClientBase) -> tuple[SessionHooks, ...]:
    """What a connector attaches by itself: a :class:`RealtimeTelemetry` when Semantic Kernel's diagnostics switch
    is on and none is attached yet (spans and metrics only: no events are added to the receive queue)."""
    if not diagnostics_enabled() or any(isinstance(hook, RealtimeTelemetry) for hook in client.hooks):
        return ()
    return (RealtimeTelemetry(latency_events=False),)


@dataclass
class _Instruments:
    duration: Any
    tokens: Any
    latency: Any
    barge_ins: Any
    reconnects: Any


_instruments: weakref.WeakKeyDictionary[Any, _Instruments] = weakref.WeakKeyDictionary()


def _instruments_for(provider: Any) -> _Instruments:
    """The instruments of ``provider``'s meter, made once per provider (an SDK warns about duplicates)."""
    found = _instruments.get(provider)
    if found is None:
        meter = metrics.get_meter(INSTRUMENTATION, __version__, meter_provider=provider)
        found = _Instruments(
            duration=meter.create_histogram(c.M_OPERATION_DURATION, unit="s",
                                            description=c.METRICS[c.M_OPERATION_DURATION][2],
                                            explicit_bucket_boundaries_advisory=c.DURATION_BUCKETS),
            tokens=meter.create_histogram(c.M_TOKEN_USAGE, unit="{token}", description=c.METRICS[c.M_TOKEN_USAGE][2],
                                          explicit_bucket_boundaries_advisory=c.TOKEN_BUCKETS),
            latency=meter.create_histogram(c.M_TURN_LATENCY, unit="s", description=c.METRICS[c.M_TURN_LATENCY][2],
                                           explicit_bucket_boundaries_advisory=c.DURATION_BUCKETS),
            barge_ins=meter.create_counter(c.M_BARGE_INS, unit="{barge_in}", description=c.METRICS[c.M_BARGE_INS][2]),
            reconnects=meter.create_counter(c.M_RECONNECTS, unit="{reconnect}",
                                            description=c.METRICS[c.M_RECONNECTS][2]),
        )
        _instruments[provider] = found
    return found


@dataclass
class _Response:
    span: Span
    started: float
    first_chunk: float | None = None
    first_audio: float | None = None
    interrupted: bool = False
    output: list[str] = field(default_factory=list)
    signalled: bool = True  # False: started at its first output (the service signals no response start)


@dataclass
class _Tool:
    span: Span
    started: float
    error: str | None = None


@dataclass
class _Session:
    client: RealtimeClientBase
    started: float
    span: Span | None
    tracker: TurnTracker | None = None
    connections: int = 0
    barge_ins: int = 0
    responses_done: int = 0
    usage: list[Usage] = field(default_factory=list)
    responses: dict[str, _Response] = field(default_factory=dict)
    current: _Response | None = None
    tools: dict[str, _Tool] = field(default_factory=dict)
    user_texts: list[str] = field(default_factory=list)
    user_items: deque[str] = field(default_factory=lambda: deque(maxlen=64))
    media: bool = False
    ending: bool = False
    response_model: str | None = None
    unannounced: bool = False  # spans on, and the service signals no response start: see _first_output


class RealtimeTelemetry(SessionHooks):
    """Spans, metrics and per-turn latency events for the sessions of one client (see the module rules).

    Args:
        diagnostics: emit spans and metrics (default: Semantic Kernel's diagnostics switch).
        sensitive: also record content (default: Semantic Kernel's sensitive switch).
        latency_events: put a ``TurnLatencyEvent`` on the receive queue after each turn.
        tracer_provider / meter_provider: where spans and metrics go (default: the global providers).
    """

    signal_types = frozenset({ResponseStarted, ResponseEnded, CallCompleted, SpeechStarted, SpeechStopped, ItemText,
                              ItemAdded, SessionConfigured, ServiceError})
    event_types = None
    wants_sent = True

    def __init__(self, *, diagnostics: bool | None = None, sensitive: bool | None = None, latency_events: bool = True,
                 tracer_provider: Any | None = None, meter_provider: Any | None = None) -> None:
        self.diagnostics = diagnostics
        self.sensitive = sensitive
        self.latency_events = latency_events
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        self._s: _Session | None = None
        self._tracer: trace.Tracer | None = None
        self._metrics: _Instruments | None = None
        self._content = False
        self._base: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._signals = {
            ResponseStarted: self._response_started, ResponseEnded: self._response_ended, CallCompleted: self._call,
            SpeechStarted: self._speech_started, ItemText: self._text, ItemAdded: self._item,
            SessionConfigured: self._configured,
            ServiceError: self._service_error,
        }

    # -- session lifecycle -------------------------------------------------------------------------------

    def started(self, client: RealtimeClientBase) -> None:
        if self._s is not None and not self._s.ending:
            raise RuntimeError("a RealtimeTelemetry serves one client at a time: attach one per client")
        on = diagnostics_enabled() if self.diagnostics is None else self.diagnostics
        self._content = on and (sensitive_enabled() if self.sensitive is None else self.sensitive)
        self._loop = asyncio.get_running_loop()
        model = client.ai_model_id
        self._base = {c.OPERATION: c.OP_SESSION, c.PROVIDER: _provider(client), c.REQUEST_MODEL: model}
        span = None
        if on:
            self._tracer = trace.get_tracer(INSTRUMENTATION, __version__, tracer_provider=self._tracer_provider)
            self._metrics = _instruments_for(self._meter_provider if self._meter_provider is not None
                                             else metrics.get_meter_provider())
            span = self._tracer.start_span(f"{c.OP_SESSION} {model}", kind=SpanKind.CLIENT,
                                           attributes={**self._base, **_server(client)})
        else:
            self._tracer = self._metrics = None
        self._s = _Session(client=client, started=time.monotonic(), span=span)

    def opened(self, connection: Connection) -> None:
        s = self._s
        if s is None:
            return
        s.connections += 1
        media = bool(getattr(connection.transport, "carries_audio", False))
        s.media = media
        capabilities = type(connection.codec).capabilities
        s.unannounced = s.span is not None and not capabilities.announces_responses
        if s.tracker is None:
            s.tracker = TurnTracker(self._turn, input_sample_rate=capabilities.input_sample_rate,
                                    output_sample_rate=capabilities.output_sample_rate, media=media)
        if s.span is not None:
            s.span.set_attributes({c.RT_PROTOCOL: capabilities.name,
                                   c.RT_TRANSPORT: "webrtc" if media else "websocket"})
            if s.connections > 1:
                s.span.set_attribute(c.RT_RECONNECTS, s.connections - 1)
                s.span.add_event("reconnected", {"connection": s.connections})
                self._metrics.reconnects.add(1, self._attrs())  # type: ignore[union-attr]

    def ended(self, ended: SessionEndedEvent | None) -> None:
        s = self._s
        if s is None:
            return
        s.ending = True
        now = time.monotonic()
        error = None if ended is None or ended.clean else (type(ended.error).__name__ if ended.error is not None
                                                             else "session_ended")
        for call_id in list(s.tools):
            self._end_tool(call_id, now, error="session_ended")
        for response_id in list(s.responses):
            self._end_response(response_id, now, status=None, usage=None, error="session_ended")
        if s.tracker is not None:
            s.tracker.finish(now)
        if s.span is not None:
            s.span.set_attributes({c.RT_RESPONSES: s.responses_done, c.RT_BARGE_INS: s.barge_ins,
                                   **_usage_attributes(sum_usage(s.usage))})
            if error is not None:
                s.span.set_attribute(c.ERROR_TYPE, error)
                s.span.set_status(Status(StatusCode.ERROR, ended.cause if ended is not None else None))
            s.span.end()
            self._record_duration(now - s.started, {**self._attrs(), **({c.ERROR_TYPE: error} if error else {})})

    # -- received ----------------------------------------------------------------------------------------

    def received(self, event: RealtimeEvents) -> None:
        s = self._s
        if s is None:
            return
        kind = type(event)
        if kind is RealtimeAudioEvent:
            pcm = audio_bytes(event.audio)  # type: ignore[union-attr]
            silent = event.service_type == TRACK_AUDIO and is_silent(pcm)
            current = s.current
            if current is None and s.unannounced and pcm and not silent:
                current = self._first_output(s, None)
            tracker = s.tracker
            if (current is None or current.first_audio is not None) and (
                    tracker is None or (not silent and tracker.counted_audio(len(pcm)))):
                return  # the common case: one more chunk of an answer already timed
            now = time.monotonic()
            if tracker is not None:
                tracker.received_audio(now, len(pcm), silent=silent)
            if current is not None and current.first_audio is None and pcm and not silent:
                current.first_audio = now
                if current.first_chunk is None:
                    current.first_chunk = now
        elif kind is RealtimeTextEvent:
            current = s.current
            if event.text.metadata.get("role") == "user":  # type: ignore[union-attr]
                return
            if current is None and s.unannounced:
                current = self._first_output(s, None)
            if current is not None and current.first_chunk is None:
                current.first_chunk = time.monotonic()

    def signal(self, signal: Signal) -> None:
        s = self._s
        if s is None:
            return
        now = time.monotonic()
        if s.tracker is not None:
            s.tracker.signal(now, signal)
        handler = self._signals.get(type(signal))
        if handler is not None:
            handler(s, now, signal)

    # -- sent ----------------------------------------------------------------------------------------------

    def sent(self, event: RealtimeEvents | None, message: str | None) -> None:
        s = self._s
        if s is None or event is None:
            return
        kind = type(event)
        if kind is RealtimeAudioEvent:
            tracker = s.tracker
            if tracker is not None and not s.media:
                pcm = audio_bytes(event.audio)  # type: ignore[union-attr]
                tracker.sent_audio(time.monotonic(), len(pcm), sound=tracker.wants_sound and not is_silent(pcm))
        elif kind is RealtimeFunctionResultEvent:
            result = event.function_result  # type: ignore[union-attr]
            call_id = result.call_id or ""
            now = time.monotonic()
            if s.tracker is not None:
                s.tracker.tool_output(now, call_id)
            self._end_tool(call_id, now, result=result.result)

    # -- tool calls ----------------------------------------------------------------------------------------

    def call_scope(self, call: FunctionCallContent) -> Any:
        s = self._s
        tool = s.tools.get(call.call_id or "") if s is not None else None
        return _current(tool) if tool is not None else None

    # -- signal handlers ---------------------------------------------------------------------------------

    def _response_started(self, s: _Session, now: float, signal: ResponseStarted) -> None:
        self._start_response(s, now, signal.response_id)

    def _start_response(self, s: _Session, now: float, response_id: str, *, signalled: bool = True
                        ) -> _Response | None:
        if self._tracer is None or s.span is None or len(s.responses) >= _MAX_OPEN:
            return None
        model = s.client.ai_model_id
        span = self._tracer.start_span(
            f"{c.OP_RESPONSE} {model}", context=trace.set_span_in_context(s.span), kind=SpanKind.CLIENT,
            attributes={**self._base, c.OPERATION: c.OP_RESPONSE,
                        **({c.RESPONSE_ID: response_id} if response_id else {}),
                        **({c.RESPONSE_MODEL: s.response_model} if s.response_model else {})})
        s.current = s.responses[response_id] = _Response(span, now, signalled=signalled)
        return s.current

    def _first_output(self, s: _Session, response_id: str | None) -> _Response | None:
        """The service signals no response start: its first output while no response is open starts one."""
        return self._start_response(s, time.monotonic(), response_id or _UNNAMED, signalled=False)

    def _response_ended(self, s: _Session, now: float, signal: ResponseEnded) -> None:
        if signal.usage is not None:
            s.usage.append(signal.usage)
        if s.unannounced and signal.response_id and signal.response_id not in s.responses and _UNNAMED in s.responses:
            response = s.responses.pop(_UNNAMED)  # started at its first output: its end names it
            response.span.set_attribute(c.RESPONSE_ID, signal.response_id)
            s.responses[signal.response_id] = response
        if signal.response_id is not None and signal.response_id in s.responses:
            error = signal.status if signal.status in ("failed", "incomplete") else None
            self._end_response(signal.response_id, now, signal.status, signal.usage, error)

    def _call(self, s: _Session, now: float, signal: CallCompleted) -> None:
        call = signal.call
        call_id = call.call_id or ""
        if self._tracer is None or s.span is None or not call_id or call_id in s.tools or len(s.tools) >= _MAX_OPEN:
            return
        response = s.responses.get(signal.response_id or "")
        if response is None and s.unannounced:
            response = s.current or self._first_output(s, signal.response_id)
        parent = response.span if response is not None else s.span
        attributes = {**self._base, c.OPERATION: c.OP_TOOL, c.TOOL_NAME: call.name or "", c.TOOL_CALL_ID: call_id,
                      c.TOOL_TYPE: "function"}
        if self._content and call.arguments is not None:
            attributes[c.TOOL_ARGUMENTS] = call.arguments if isinstance(call.arguments, str) else _json(call.arguments)
        span = self._tracer.start_span(f"tool_call {call.name}", context=trace.set_span_in_context(parent),
                                       kind=SpanKind.INTERNAL, attributes=attributes)
        s.tools[call_id] = _Tool(span, now)

    def _speech_started(self, s: _Session, now: float, signal: SpeechStarted) -> None:
        if not s.responses:
            return
        s.barge_ins += 1
        for response in s.responses.values():
            response.interrupted = True
        if self._metrics is not None:
            self._metrics.barge_ins.add(1, self._attrs())

    def _text(self, s: _Session, now: float, signal: ItemText) -> None:
        if not self._content:
            return
        if signal.role == "user":
            if signal.item_id not in s.user_items:
                s.user_items.append(signal.item_id)
                s.user_texts.append(signal.text)
                del s.user_texts[:-16]
        elif s.current is not None:
            s.current.output.append(signal.text)

    def _item(self, s: _Session, now: float, signal: ItemAdded) -> None:
        item = signal.item
        if self._content and item.role == "user" and item.kind == "message" and item.text \
                and item.id not in s.user_items:
            s.user_items.append(item.id)
            s.user_texts.append(item.text)
            del s.user_texts[:-16]

    def _configured(self, s: _Session, now: float, signal: SessionConfigured) -> None:
        if signal.model:
            s.response_model = signal.model
        if s.span is None:
            return
        attributes: dict[str, Any] = {c.RT_OUTPUT_MODALITIES: list(signal.output_modalities)}
        if signal.model:
            attributes[c.RESPONSE_MODEL] = signal.model
        if signal.voice:
            attributes[c.RT_VOICE] = signal.voice
        if signal.tools:
            attributes[c.TOOL_DEFINITIONS] = _json(list(signal.tools))
        if self._content and signal.instructions:
            attributes[c.SYSTEM_INSTRUCTIONS] = signal.instructions
        s.span.set_attributes(attributes)

    def _service_error(self, s: _Session, now: float, signal: ServiceError) -> None:
        if s.span is not None:
            s.span.add_event("gen_ai.realtime.service_error",
                             {c.ERROR_TYPE: signal.code or "error", "message": signal.message})

    # -- internals -----------------------------------------------------------------------------------------

    def _attrs(self) -> dict[str, Any]:
        return {k: v for k, v in self._base.items() if v is not None}

    def _end_response(self, response_id: str, now: float, status: str | None, usage: Usage | None,
                      error: str | None) -> None:
        s = self._s
        assert s is not None
        response = s.responses.pop(response_id)
        if s.current is response:
            s.current = next(reversed(s.responses.values()), None)
        s.responses_done += 1
        span = response.span
        attributes: dict[str, Any] = {**_usage_attributes(usage), c.RT_INTERRUPTED: response.interrupted}
        if status is not None:
            attributes[c.FINISH_REASONS] = [status]
        if response.first_chunk is not None and response.signalled:
            attributes[c.TIME_TO_FIRST_CHUNK] = round(response.first_chunk - response.started, 6)
        if response.first_audio is not None and response.signalled:
            attributes[c.RT_TIME_TO_FIRST_AUDIO] = round(response.first_audio - response.started, 6)
        if self._content:
            if s.user_texts:
                attributes[c.INPUT_MESSAGES] = _messages("user", s.user_texts)
                s.user_texts = []
            if response.output:
                attributes[c.OUTPUT_MESSAGES] = _messages("assistant", response.output)
        if error is not None:
            attributes[c.ERROR_TYPE] = error
            span.set_status(Status(StatusCode.ERROR, error))
        span.set_attributes(attributes)
        span.end()
        metric_attrs = {**self._attrs(), c.OPERATION: c.OP_RESPONSE,
                        **({c.RESPONSE_MODEL: s.response_model} if s.response_model else {})}
        self._record_duration(now - response.started, {**metric_attrs, **({c.ERROR_TYPE: error} if error else {})})
        if usage is not None and self._metrics is not None:
            for token_type, (total_field, split) in _TOKEN_SPLIT.items():
                total = getattr(usage, total_field)
                parts = {modality: getattr(usage, name) for modality, name in split.items()}
                known = {m: n for m, n in parts.items() if n}
                rest = (total or 0) - sum(known.values())
                if rest > 0:
                    known["other"] = rest
                for modality, count in known.items():
                    self._metrics.tokens.record(count, {**metric_attrs, c.TOKEN_TYPE: token_type,
                                                        c.RT_MODALITY: modality})

    def _end_tool(self, call_id: str, now: float, result: Any = None, error: str | None = None) -> None:
        s = self._s
        tool = s.tools.pop(call_id, None) if s is not None else None
        if tool is None:
            return
        span = tool.span
        if self._content and result is not None:
            span.set_attribute(c.TOOL_RESULT, result if isinstance(result, str) else _json(result))
        error = tool.error or error
        if error is not None:
            span.set_attribute(c.ERROR_TYPE, error)
            span.set_status(Status(StatusCode.ERROR, error))
        span.end()
        self._record_duration(now - tool.started, {**self._attrs(), c.OPERATION: c.OP_TOOL,
                                                   **({c.ERROR_TYPE: error} if error else {})})

    def _record_duration(self, seconds: float, attributes: dict[str, Any]) -> None:
        if self._metrics is not None:
            self._metrics.duration.record(max(seconds, 0.0), {k: v for k, v in attributes.items() if v is not None})

    def _turn(self, event: TurnLatencyEvent) -> None:
        if self._metrics is not None:
            attrs = self._attrs()
            for name, stage in c.TURN_STAGES.items():
                value = getattr(event, name)
                if value is not None:
                    self._metrics.latency.record(value / 1000, {**attrs, c.RT_LATENCY_STAGE: stage})
            for tool in event.tools:
                if tool.duration_ms is not None:
                    self._metrics.latency.record(tool.duration_ms / 1000, {**attrs, c.RT_LATENCY_STAGE: "tool",
                                                                           c.TOOL_NAME: tool.name})
        s = self._s
        if not self.latency_events or s is None:
            return
        put = s.client.receive_buffer.put_nowait
        if s.ending or self._loop is None:
            put(event)  # before the end marker
        else:
            self._loop.call_soon(put, event)  # after the event that ended the turn


@contextmanager
def _current(tool: _Tool) -> Iterator[None]:
    """Make the tool's span current in this task (the kernel function's span becomes its child); note how it failed."""
    token = otel_context.attach(trace.set_span_in_context(tool.span))
    try:
        yield
    except BaseException as exc:
        tool.error = _ERROR_TYPES.get(type(exc), type(exc).__name__)
        raise
    finally:
        otel_context.detach(token)


def _provider(client: Any) -> str | None:
    return getattr(type(client), "MODEL_PROVIDER_NAME", None)


def _server(client: Any) -> dict[str, Any]:
    """``server.address`` / ``server.port`` from the connector's endpoint, when it has one."""
    try:
        url = client.realtime_endpoint.websocket_url(client.ai_model_id)
        parts = urlsplit(url)
        port = parts.port or {"wss": 443, "https": 443, "ws": 80, "http": 80}.get(parts.scheme)
    except Exception:
        return {}
    return {c.SERVER_ADDRESS: parts.hostname, c.SERVER_PORT: port} if parts.hostname else {}


def _usage_attributes(usage: Usage | None) -> dict[str, int]:
    if usage is None:
        return {}
    return {attribute: value for name, attribute in _USAGE_ATTRIBUTES.items()
            if (value := getattr(usage, name)) is not None}


def _messages(role: str, texts: list[str]) -> str:
    """GenAI messages JSON: ``[{"role": ..., "parts": [{"type": "text", "content": ...}]}]``."""
    return _json([{"role": role, "parts": [{"type": "text", "content": text} for text in texts]}])


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()
