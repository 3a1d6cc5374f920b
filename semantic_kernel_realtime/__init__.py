"""semantic-kernel-realtime: realtime speech-and-text models as Semantic Kernel services.

The root exports, lazily (so ``import semantic_kernel_realtime.protocol`` stays free of network
libraries): the connectors, the client base, settings, the receive stream's own events
(:mod:`.events`), the errors users catch (:mod:`.errors`) and the embedded server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_MODULES = {
    "semantic_kernel_realtime.client.base": ("RealtimeClientBase",),
    "semantic_kernel_realtime.connectors.openai": ("OpenAIRealtimeWebsocket", "OpenAIRealtimeWebRTC"),
    "semantic_kernel_realtime.connectors.azure": ("AzureRealtimeWebsocket", "AzureRealtimeWebRTC"),
    "semantic_kernel_realtime.protocol.openai.settings": ("RealtimeExecutionSettings",
                                                          "AzureRealtimeExecutionSettings"),
    "semantic_kernel_realtime.events": ("END", "MalformedServerEvent", "ObserverErrorEvent", "SendFailedEvent",
                                        "SessionEnd", "SessionEndedEvent", "StopPlaybackEvent"),
    "semantic_kernel_realtime.errors": ("AuthenticationError", "ConnectionClosedError", "ConnectionFailedError",
                                        "EncodeError", "ProtocolError", "RealtimeError", "TransportError"),
    "semantic_kernel_realtime.server": ("LocalRealtimeServer",),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [  # the names of _MODULES (a test keeps the two equal)
    "END",
    "AuthenticationError",
    "AzureRealtimeExecutionSettings",
    "AzureRealtimeWebRTC",
    "AzureRealtimeWebsocket",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "EncodeError",
    "LocalRealtimeServer",
    "MalformedServerEvent",
    "ObserverErrorEvent",
    "OpenAIRealtimeWebRTC",
    "OpenAIRealtimeWebsocket",
    "ProtocolError",
    "RealtimeClientBase",
    "RealtimeError",
    "RealtimeExecutionSettings",
    "SendFailedEvent",
    "SessionEnd",
    "SessionEndedEvent",
    "StopPlaybackEvent",
    "TransportError",
    "__version__",
]

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebRTC, AzureRealtimeWebsocket
    from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket
    from semantic_kernel_realtime.errors import (
        AuthenticationError,
        ConnectionClosedError,
        ConnectionFailedError,
        EncodeError,
        ProtocolError,
        RealtimeError,
        TransportError,
    )
    from semantic_kernel_realtime.events import (
        END,
        MalformedServerEvent,
        ObserverErrorEvent,
        SendFailedEvent,
        SessionEnd,
        SessionEndedEvent,
        StopPlaybackEvent,
    )
    from semantic_kernel_realtime.protocol.openai.settings import (
        AzureRealtimeExecutionSettings,
        RealtimeExecutionSettings,
    )
    from semantic_kernel_realtime.server import LocalRealtimeServer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'semantic_kernel_realtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
