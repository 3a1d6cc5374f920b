"""semantic-kernel-realtime: realtime speech-and-text models as Semantic Kernel services.

The root exports, lazily (so ``import semantic_kernel_realtime.protocol`` stays free of network
libraries): the connectors, the client base, settings, the receive stream's own events
(:mod:`.events`), the errors users catch (:mod:`.errors`), the embedded server, and the audio-file
helpers the demo and the samples use (``read_audio_file``, ``synthesize_speech``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_MODULES = {
    "semantic_kernel_realtime.client.base": ("RealtimeClientBase",),
    "semantic_kernel_realtime.client.flow": ("ReceiveQueue",),
    "semantic_kernel_realtime.client.supervisor": ("ReconnectPolicy",),
    "semantic_kernel_realtime.connectors.openai": ("OpenAIRealtimeWebsocket", "OpenAIRealtimeWebRTC"),
    "semantic_kernel_realtime.connectors.azure": ("AzureRealtimeWebsocket", "AzureRealtimeWebRTC"),
    "semantic_kernel_realtime.connectors.google": ("GoogleLiveWebsocket",),
    "semantic_kernel_realtime.protocol.gemini.settings": ("GoogleLiveExecutionSettings",),
    "semantic_kernel_realtime.protocol.openai.settings": ("RealtimeExecutionSettings",
                                                          "AzureRealtimeExecutionSettings"),
    "semantic_kernel_realtime.events": ("END", "MalformedServerEvent", "ObserverErrorEvent", "ReconnectedEvent",
                                        "ReconnectingEvent", "ResponseDoneEvent", "SendFailedEvent", "SessionEnd",
                                        "SessionEndedEvent", "StopPlaybackEvent",
                                        "TextDoneEvent", "Usage", "UsageEvent"),
    "semantic_kernel_realtime.errors": ("AudioFileError", "AuthenticationError", "CallNotFoundError",
                                        "ConfigurationError",
                                        "ConnectionClosedError", "ConnectionFailedError", "ConnectionTimeoutError",
                                        "EncodeError",
                                        "ProtocolError", "RealtimeError", "TransportError"),
    "semantic_kernel_realtime.server": ("LocalRealtimeServer",),
    "semantic_kernel_realtime.demo.audio": ("read_audio_file", "synthesize_speech"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [  # the names of _MODULES (a test keeps the two equal)
    "END",
    "AudioFileError",
    "AuthenticationError",
    "AzureRealtimeExecutionSettings",
    "AzureRealtimeWebRTC",
    "AzureRealtimeWebsocket",
    "CallNotFoundError",
    "ConfigurationError",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "ConnectionTimeoutError",
    "EncodeError",
    "GoogleLiveExecutionSettings",
    "GoogleLiveWebsocket",
    "LocalRealtimeServer",
    "MalformedServerEvent",
    "ObserverErrorEvent",
    "OpenAIRealtimeWebRTC",
    "OpenAIRealtimeWebsocket",
    "ProtocolError",
    "RealtimeClientBase",
    "RealtimeError",
    "RealtimeExecutionSettings",
    "ReceiveQueue",
    "ReconnectPolicy",
    "ReconnectedEvent",
    "ReconnectingEvent",
    "ResponseDoneEvent",
    "SendFailedEvent",
    "SessionEnd",
    "SessionEndedEvent",
    "StopPlaybackEvent",
    "TextDoneEvent",
    "TransportError",
    "Usage",
    "UsageEvent",
    "__version__",
    "read_audio_file",
    "synthesize_speech",
]

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.client.flow import ReceiveQueue
    from semantic_kernel_realtime.client.supervisor import ReconnectPolicy
    from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebRTC, AzureRealtimeWebsocket
    from semantic_kernel_realtime.connectors.google import GoogleLiveWebsocket
    from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket
    from semantic_kernel_realtime.demo.audio import read_audio_file, synthesize_speech
    from semantic_kernel_realtime.errors import (
        AudioFileError,
        AuthenticationError,
        CallNotFoundError,
        ConfigurationError,
        ConnectionClosedError,
        ConnectionFailedError,
        ConnectionTimeoutError,
        EncodeError,
        ProtocolError,
        RealtimeError,
        TransportError,
    )
    from semantic_kernel_realtime.events import (
        END,
        MalformedServerEvent,
        ObserverErrorEvent,
        ReconnectedEvent,
        ReconnectingEvent,
        ResponseDoneEvent,
        SendFailedEvent,
        SessionEnd,
        SessionEndedEvent,
        StopPlaybackEvent,
        TextDoneEvent,
        Usage,
        UsageEvent,
    )
    from semantic_kernel_realtime.protocol.gemini.settings import GoogleLiveExecutionSettings
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
