"""The embedded OpenAI Realtime GA server (a separate peer: it never imports our client or codec).

``LocalRealtimeServer`` (``app``) serves ``/v1/realtime`` over WebSocket on aiohttp; each connection
runs a transport-agnostic ``SessionEngine`` (``engine``) that validates events with the openai GA types
(``validation``), detects speech (``vad``), asks a ``Responder`` (``responder``) what to say and
speaks through the speech engines (``speech``) into an ``AudioSink`` (``sinks``). The endpoints
(``websocket``, ``client_secrets``, ``webrtc``) are given the server as their ``SessionHost`` (``host``);
every refusal is an ``ApiError`` (``errors``). docs/server.md draws the module structure.
"""

from semantic_kernel_realtime.server.app import LocalRealtimeServer
from semantic_kernel_realtime.server.engine import SessionEngine
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.responder import (
    FunctionCall,
    Responder,
    ResponseRequest,
    RuleResponder,
    TextDelta,
)
from semantic_kernel_realtime.server.sinks import AudioPart, AudioSink, WebSocketAudioSink
from semantic_kernel_realtime.server.validation import (
    EventValidationError,
    validate_client_event,
    validate_server_event,
)

__all__ = [
    "ApiError",
    "AudioPart",
    "AudioSink",
    "EventValidationError",
    "FunctionCall",
    "LocalRealtimeServer",
    "Responder",
    "ResponseRequest",
    "RuleResponder",
    "SessionEngine",
    "TextDelta",
    "WebSocketAudioSink",
    "validate_client_event",
    "validate_server_event",
]
