"""The embedded OpenAI Realtime GA server (a separate peer: it never imports our client or codec).

``LocalRealtimeServer`` (``app``) serves ``/v1/realtime`` over WebSocket on aiohttp; each connection
runs a transport-agnostic ``SessionEngine`` (``engine``) that validates events with the openai GA types
(``validation``), detects speech (``vad``), asks a ``Responder`` (``responder``) what to say and
speaks through the speech engines (``speech``) into an ``AudioSink`` (``sinks``). The endpoints
(``websocket``, ``client_secrets``, ``webrtc``) are given the server as their ``SessionHost`` (``host``);
every refusal is an ``ApiError`` (``errors``). docs/server-internals.md draws the module structure.

The names below are exported lazily, so ``sk-realtime serve --help`` (``server.cli``) needs no aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

_MODULES = {
    "semantic_kernel_realtime.server.app": ("LocalRealtimeServer",),
    "semantic_kernel_realtime.server.engine": ("SessionEngine",),
    "semantic_kernel_realtime.server.errors": ("ApiError",),
    "semantic_kernel_realtime.server.responder": ("FunctionCall", "Responder", "ResponseRequest", "RuleResponder",
                                                  "TextDelta"),
    "semantic_kernel_realtime.server.sinks": ("AudioPart", "AudioSink", "WebSocketAudioSink"),
    "semantic_kernel_realtime.server.validation": ("EventValidationError", "validate_client_event",
                                                   "validate_server_event"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

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

if TYPE_CHECKING:
    from semantic_kernel_realtime.server.app import LocalRealtimeServer
    from semantic_kernel_realtime.server.engine import SessionEngine
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'semantic_kernel_realtime.server' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
