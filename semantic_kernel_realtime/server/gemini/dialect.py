"""The Gemini Live WebSocket endpoint: a Gemini peer in front of the same session engine as the OpenAI one.

Rules:
- Paths: ``/ws/google.ai.generativelanguage.{v1beta,v1alpha,v1}.GenerativeService.BidiGenerateContent`` (and the
  Vertex AI ``.../google.cloud.aiplatform.{v1,v1beta1}.LlmBidiService/BidiGenerateContent``). When the server
  has an API key, the handshake needs it (``x-goog-api-key`` header, ``?key=`` or a bearer token): HTTP 401
  otherwise.
- Every client message is judged by google-genai's types (:mod:`.validation`); the first must be ``setup``.
  A message the Live API would refuse closes the connection with 1007 and the reason, as the service does.
- The dialect drives a :class:`~semantic_kernel_realtime.server.engine.SessionEngine` through its public
  surface only: a ``setup`` becomes a GA ``session.update``; ``realtimeInput.audio`` (16 kHz, or the rate its
  MIME type names) is converted to 24 kHz by the package's one :class:`~semantic_kernel_realtime.audio.Resampler`
  and pushed; ``clientContent`` interrupts the response being generated, as the Live API's does (the turn ends
  ``interrupted``), and its turns become items (``turnComplete`` asks for a response); ``toolResponse``
  becomes function outputs and the next response (Gemini continues by itself). The engine's GA events are
  translated back (``_EVENTS``): model audio and text parts, transcriptions (when the setup asked),
  ``toolCall``, ``interrupted`` on barge-in, ``generationComplete`` / ``turnComplete`` with ``usageMetadata``.
  Messages go out in binary frames, as the live service sends them.
- Resumption: with ``sessionResumption`` in the setup, every completed turn sends a ``sessionResumptionUpdate``
  whose handle names a copy of the conversation; a later ``setup`` with that handle starts its engine with
  those items (the conversation really resumes). Handles live in the server (``GeminiOptions.handles``,
  the most recent :data:`MAX_HANDLES`).
- Duration cap emulation (``GeminiOptions.session_limit``): ``go_away_notice`` seconds before the limit the
  server sends ``goAway`` with ``timeLeft``, and at the limit it closes the connection (1000).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from semantic_kernel_realtime.audio import Resampler
from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.gemini import validation
from semantic_kernel_realtime.server.gemini.validation import GeminiValidationError, parse_client_message
from semantic_kernel_realtime.server.sinks import WebSocketAudioSink
from semantic_kernel_realtime.server.websocket import WebSocketPeer

if TYPE_CHECKING:
    from semantic_kernel_realtime.server.host import SessionHost

logger = logging.getLogger(__name__)

GEMINI_PATHS = tuple(
    [f"/ws/google.ai.generativelanguage.{v}.GenerativeService.BidiGenerateContent" for v in ("v1beta", "v1alpha", "v1")]
    + [f"/ws/google.cloud.aiplatform.{v}.LlmBidiService/BidiGenerateContent" for v in ("v1", "v1beta1")]
)
MAX_HANDLES = 256
ENGINE_RATE = 24_000
INPUT_RATE = 16_000
OUTPUT_MIME = "audio/pcm;rate=24000"


@dataclass
class GeminiOptions:
    """The Gemini dialect's server-wide settings and state."""

    session_limit: float | None = None
    """Seconds a connection may last (``None``: no limit): the duration cap emulation."""
    go_away_notice: float = 1.0
    """Seconds before the limit that ``goAway`` is sent."""
    handles: OrderedDict[str, list[dict[str, Any]]] = field(default_factory=OrderedDict)


OPTIONS_KEY: web.AppKey[GeminiOptions] = web.AppKey("sk_realtime_gemini", GeminiOptions)


def add_routes(app: web.Application, server: SessionHost) -> GeminiOptions:
    """Serve the Gemini Live paths on ``app`` for the ``server`` that hosts the sessions; returns the options."""
    options = GeminiOptions()
    app[OPTIONS_KEY] = options

    async def handler(request: web.Request) -> web.StreamResponse:
        return await gemini_websocket(request, server, options)

    for path in GEMINI_PATHS:
        app.router.add_get(path, handler)
    return options


def _token(request: web.Request) -> str | None:
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    if key:
        return key
    auth = request.headers.get("Authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


class _BinaryFrames:
    """What :class:`WebSocketPeer` writes to, sending each JSON text as a binary frame (as the service does)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def send_str(self, text: str) -> None:
        await self._ws.send_bytes(text.encode())


async def gemini_websocket(request: web.Request, server: SessionHost, options: GeminiOptions
                           ) -> web.StreamResponse:
    if server.credentials.required and not server.credentials.accepts(_token(request), allow_secret=False):
        return web.json_response({"error": {"code": 401, "message": "API key not valid. Please pass a valid API key.",
                                            "status": "UNAUTHENTICATED"}}, status=401)
    if server.session_count >= server.limits.max_sessions:
        return web.json_response({"error": {"code": 429, "message": f"This server already runs its maximum of "
                                            f"{server.limits.max_sessions} sessions; close one or try again later.",
                                            "status": "RESOURCE_EXHAUSTED"}}, status=429)
    ws = web.WebSocketResponse(max_msg_size=server.limits.max_message_bytes, heartbeat=None)
    if not ws.can_prepare(request).ok:
        raise web.HTTPBadRequest(text="This endpoint speaks WebSocket (the Gemini Live protocol).")
    await ws.prepare(request)
    if "google.genai.types" not in sys.modules:  # the judge's first import takes seconds: not on the loop
        await asyncio.get_running_loop().run_in_executor(None, validation.load)
    session = GeminiSession(server, options, WebSocketPeer(_BinaryFrames(ws)))  # type: ignore[arg-type]
    server.register(ws)
    limit = asyncio.get_running_loop().create_task(session.cap(ws)) if options.session_limit else None
    try:
        async for message in ws:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                problem = session.receive(message.data)
                if problem is not None:
                    await session.flush()
                    await ws.close(code=1007, message=problem.encode()[:120])
                    break
            elif message.type == WSMsgType.ERROR:
                break
    finally:
        if limit is not None:
            limit.cancel()
        await session.close()
        server.unregister(ws)
        if not ws.closed:
            await ws.close()
    return ws


class GeminiSession:
    """One Gemini Live connection: client messages -> engine events, engine events -> server messages."""

    def __init__(self, server: SessionHost, options: GeminiOptions, peer: WebSocketPeer) -> None:
        self.server = server
        self.options = options
        self.peer = peer
        sink = WebSocketAudioSink(self._on_engine, drain=peer.drained, pace=server.output_audio_pace)
        self.engine = server.create_engine(self._on_engine, sink=sink)
        self.setup: dict[str, Any] | None = None
        self._setup_complete_pending = False
        self._resumable = False
        self._input_transcription = False
        self._output_transcription = False
        self._resamplers: dict[int, Resampler] = {}
        self._call_names: dict[str, str] = {}  # call_id -> name, for responses without an id
        self.messages_received = 0

    # -- client -> engine ------------------------------------------------------------------------------

    def receive(self, data: str | bytes) -> str | None:
        """Handle one client message; a reason to close (1007) when the Live API would refuse it."""
        try:
            _, raw = parse_client_message(data)
        except GeminiValidationError as exc:
            return str(exc)
        self.messages_received += 1
        field_name = next(iter(raw))
        if self.setup is None and field_name != "setup":
            return "The first message must be 'setup'."
        handler = _CLIENT.get(field_name)
        if handler is None:
            return f"Unsupported client message field '{field_name}'."
        try:
            handler(self, _camel(raw[field_name]))
        except (ValueError, KeyError, TypeError) as exc:  # binascii.Error is a ValueError
            return f"Invalid value in '{field_name}': {type(exc).__name__}: {exc}"
        return None

    def _on_setup(self, setup: dict[str, Any]) -> None:
        if self.setup is not None:
            raise_close = "setup may be sent only once"
            logger.info("gemini: %s", raise_close)
            return
        self.setup = setup
        session: dict[str, Any] = {"type": "realtime"}
        instruction = setup.get("systemInstruction")
        if instruction:
            parts = instruction.get("parts") if isinstance(instruction, dict) else None
            texts = [p.get("text", "") for p in parts or [] if isinstance(p, dict)] if parts is not None \
                else [str(instruction)]
            session["instructions"] = "\n".join(t for t in texts if t)
        generation = setup.get("generationConfig") or {}
        modalities = [str(m).upper() for m in generation.get("responseModalities") or ["AUDIO"]]
        session["output_modalities"] = ["audio"] if "AUDIO" in modalities else ["text"]
        tools = []
        for tool in setup.get("tools") or []:
            for declaration in tool.get("functionDeclarations") or []:
                tools.append({"type": "function", "name": declaration["name"],
                              "description": declaration.get("description") or "",
                              "parameters": _json_schema(declaration.get("parameters")
                                                         or declaration.get("parametersJsonSchema")
                                                         or {"type": "OBJECT", "properties": {}})})
        session["tools"] = tools
        audio_in: dict[str, Any] = {}
        self._input_transcription = setup.get("inputAudioTranscription") is not None
        self._output_transcription = setup.get("outputAudioTranscription") is not None
        if self._input_transcription:
            audio_in["transcription"] = {"model": "whisper-1"}
        detection = (setup.get("realtimeInputConfig") or {}).get("automaticActivityDetection") or {}
        if detection.get("disabled"):
            audio_in["turn_detection"] = None
        else:
            vad: dict[str, Any] = {"type": "server_vad"}
            if detection.get("silenceDurationMs") is not None:
                vad["silence_duration_ms"] = int(detection["silenceDurationMs"])
            if detection.get("prefixPaddingMs") is not None:
                vad["prefix_padding_ms"] = int(detection["prefixPaddingMs"])
            audio_in["turn_detection"] = vad
        session["audio"] = {"input": audio_in}
        resumption = setup.get("sessionResumption")
        self._resumable = resumption is not None
        self._setup_complete_pending = True
        if setup.get("model"):
            self.engine.session["model"] = str(setup["model"]).rpartition("/")[2]
        self.engine.start()
        self.engine.receive({"type": "session.update", "session": session})
        handle = (resumption or {}).get("handle")
        if handle:
            for item in copy.deepcopy(self.options.handles.get(handle, [])):
                self.engine.receive({"type": "conversation.item.create", "item": item})

    def _on_realtime_input(self, body: dict[str, Any]) -> None:
        blob = body.get("audio")
        for chunk in body.get("mediaChunks") or []:
            if str(chunk.get("mimeType", "")).startswith("audio/"):
                blob = chunk
        if blob is not None:
            self._push_audio(blob)
        if body.get("text"):
            self._item({"type": "message", "role": "user", "content": [{"type": "input_text", "text": body["text"]}]})
            self.engine.receive({"type": "response.create"})
        if body.get("activityEnd") is not None:
            with contextlib.suppress(Exception):
                self.engine.receive({"type": "input_audio_buffer.commit"})
                self.engine.receive({"type": "response.create"})

    def _push_audio(self, blob: dict[str, Any]) -> None:
        mime = str(blob.get("mimeType") or "audio/pcm")
        rate = INPUT_RATE
        for param in mime.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip() == "rate" and value.strip().isdigit():
                rate = int(value)
        pcm = _b64decode(str(blob.get("data") or ""))
        resampler = self._resamplers.get(rate)
        if resampler is None:
            resampler = self._resamplers[rate] = Resampler(rate, ENGINE_RATE)
        self.engine.push_audio(resampler.convert(pcm))

    def _on_client_content(self, body: dict[str, Any]) -> None:
        active = self.engine.active_response
        if active is not None and not active.cancelling:  # client content interrupts the current generation
            self.engine.receive({"type": "response.cancel"})
        for turn in body.get("turns") or []:
            role = "assistant" if turn.get("role") == "model" else "user"
            for part in turn.get("parts") or []:
                if "text" in part:
                    kind = "output_text" if role == "assistant" else "input_text"
                    self._item({"type": "message", "role": role, "content": [{"type": kind, "text": part["text"]}]})
                elif "functionCall" in part:
                    call = part["functionCall"]
                    call_id = call.get("id") or ids.call_id()
                    self._call_names[call_id] = call.get("name", "")
                    self._item({"type": "function_call", "call_id": call_id, "name": call.get("name", ""),
                                "arguments": orjson.dumps(call.get("args") or {}).decode()})
                elif "functionResponse" in part:
                    self._output(part["functionResponse"])
        if body.get("turnComplete"):
            self.engine.receive({"type": "response.create"})

    def _on_tool_response(self, body: dict[str, Any]) -> None:
        for response in body.get("functionResponses") or []:
            self._output(response)
        self.engine.receive({"type": "response.create"})

    def _output(self, response: dict[str, Any]) -> None:
        call_id = response.get("id") or next(
            (cid for cid, name in reversed(self._call_names.items()) if name == response.get("name")), ids.call_id())
        value = response.get("response") or {}
        output = value.get("output", value) if isinstance(value, dict) else value
        self._item({"type": "function_call_output", "call_id": call_id,
                    "output": output if isinstance(output, str) else orjson.dumps(output).decode()})

    def _item(self, item: dict[str, Any]) -> None:
        self.engine.receive({"type": "conversation.item.create", "item": item})

    # -- engine -> client ------------------------------------------------------------------------------

    def _on_engine(self, event: dict[str, Any]) -> None:
        if event.get("type") == "error":
            logger.warning("gemini: the engine refused a translated event: %s", event.get("error"))
        handler = _EVENTS.get(event.get("type", ""))
        if handler is not None:
            handler(self, event)

    def _send(self, message: dict[str, Any]) -> None:
        self.peer.send_event(message)

    def _session_updated(self, event: dict[str, Any]) -> None:
        if self._setup_complete_pending:
            self._setup_complete_pending = False
            self._send({"setupComplete": {}})

    def _audio_delta(self, event: dict[str, Any]) -> None:
        self._send({"serverContent": {"modelTurn": {"parts": [
            {"inlineData": {"mimeType": OUTPUT_MIME, "data": event["delta"]}}]}}})

    def _text_delta(self, event: dict[str, Any]) -> None:
        self._send({"serverContent": {"modelTurn": {"parts": [{"text": event["delta"]}]}}})

    def _output_transcript(self, event: dict[str, Any]) -> None:
        if self._output_transcription:
            self._send({"serverContent": {"outputTranscription": {"text": event["delta"]}}})

    def _input_transcript(self, event: dict[str, Any]) -> None:
        if self._input_transcription and event.get("transcript"):
            self._send({"serverContent": {"inputTranscription": {"text": event["transcript"], "finished": True}}})

    def _call(self, event: dict[str, Any]) -> None:
        self._call_names[event["call_id"]] = event["name"]
        try:
            args = orjson.loads(event.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            args = {}
        self._send({"toolCall": {"functionCalls": [{"id": event["call_id"], "name": event["name"], "args": args}]}})

    def _response_done(self, event: dict[str, Any]) -> None:
        response = event.get("response") or {}
        usage = _usage_metadata(response.get("usage"))
        if response.get("status") == "cancelled":
            self._send({"serverContent": {"interrupted": True}})
        else:
            self._send({"serverContent": {"generationComplete": True}})
        self._send({"serverContent": {"turnComplete": True}, **({"usageMetadata": usage} if usage else {})})
        if self._resumable:
            handle = f"handle_{ids.event_id()}"
            handles = self.options.handles
            handles[handle] = [_replayable(item) for item in self.engine.conversation.items]
            while len(handles) > MAX_HANDLES:
                handles.popitem(last=False)
            self._send({"sessionResumptionUpdate": {"newHandle": handle, "resumable": True,
                                                    "lastConsumedClientMessageIndex": str(self.messages_received)}})

    # -- lifecycle -------------------------------------------------------------------------------------

    async def cap(self, ws: web.WebSocketResponse) -> None:
        """The duration cap emulation: ``goAway`` ahead of the limit, then the close."""
        limit = self.options.session_limit or 0.0
        notice = min(self.options.go_away_notice, limit)
        await asyncio.sleep(limit - notice)
        self._send({"goAway": {"timeLeft": f"{notice:g}s"}})
        await asyncio.sleep(notice)
        await self.flush()
        await ws.close(code=1000, message=b"session duration limit reached")

    async def flush(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.peer.drained(), 1.0)

    async def close(self) -> None:
        await self.engine.close()
        await self.peer.close()


def _b64decode(data: str) -> bytes:
    """Proto JSON bytes: standard or URL-safe base64, padding optional (the SDKs send either)."""
    data = data.replace("-", "+").replace("_", "/")
    return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)


def _camel(value: Any) -> Any:
    """Client messages in snake_case read as camelCase (both are valid JSON for the Live API)."""
    if isinstance(value, dict):
        return {_camel_key(k): (v if k in ("args", "response", "properties") else _camel(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _camel_key(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _json_schema(schema: Any) -> Any:
    """A Live API Schema as the JSON schema the engine's responder reads (lower-case types)."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _json_schema(sub) for name, sub in value.items()}
        elif key in ("items",):
            out[key] = _json_schema(value)
        elif key != "nullable":
            out[key] = value
    return out


def _replayable(item: dict[str, Any]) -> dict[str, Any]:
    """A conversation item as a client may create it again (audio replaced by its transcript)."""
    kind = item.get("type")
    if kind == "function_call":
        return {"type": kind, "call_id": item["call_id"], "name": item["name"], "arguments": item.get("arguments", "")}
    if kind == "function_call_output":
        return {"type": kind, "call_id": item["call_id"], "output": item.get("output", "")}
    role = item.get("role", "user")
    words = " ".join(c.get("text") or c.get("transcript") or "" for c in item.get("content") or ()).strip()
    kind_of_text = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind_of_text, "text": words}]}


def _usage_metadata(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, dict):
        return None
    inputs = usage.get("input_token_details") or {}
    outputs = usage.get("output_token_details") or {}

    def details(split: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"modality": m.upper(), "tokenCount": split.get(f"{m}_tokens", 0)} for m in ("text", "audio")
                if split.get(f"{m}_tokens")]

    metadata = {"promptTokenCount": usage.get("input_tokens", 0), "responseTokenCount": usage.get("output_tokens", 0),
                "totalTokenCount": usage.get("total_tokens", 0)}
    if details(inputs):
        metadata["promptTokensDetails"] = details(inputs)
    if details(outputs):
        metadata["responseTokensDetails"] = details(outputs)
    return metadata


_CLIENT: dict[str, Callable[[GeminiSession, Any], None]] = {
    "setup": GeminiSession._on_setup,
    "realtimeInput": GeminiSession._on_realtime_input,
    "realtime_input": GeminiSession._on_realtime_input,
    "clientContent": GeminiSession._on_client_content,
    "client_content": GeminiSession._on_client_content,
    "toolResponse": GeminiSession._on_tool_response,
    "tool_response": GeminiSession._on_tool_response,
}

_EVENTS: dict[str, Callable[[GeminiSession, dict[str, Any]], None]] = {
    "session.updated": GeminiSession._session_updated,
    "response.output_audio.delta": GeminiSession._audio_delta,
    "response.output_text.delta": GeminiSession._text_delta,
    "response.output_audio_transcript.delta": GeminiSession._output_transcript,
    "conversation.item.input_audio_transcription.completed": GeminiSession._input_transcript,
    "response.function_call_arguments.done": GeminiSession._call,
    "response.done": GeminiSession._response_done,
}
