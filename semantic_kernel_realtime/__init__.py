"""semantic-kernel-realtime: realtime speech-and-text models as Semantic Kernel services.

The root exports the client base and the connectors lazily, so ``import semantic_kernel_realtime.protocol``
stays free of network libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "RealtimeClientBase": "semantic_kernel_realtime.client.base",
    "OpenAIRealtimeWebsocket": "semantic_kernel_realtime.connectors.openai",
    "AzureRealtimeWebsocket": "semantic_kernel_realtime.connectors.azure",
    "OpenAIRealtimeWebRTC": "semantic_kernel_realtime.connectors.openai",
    "AzureRealtimeWebRTC": "semantic_kernel_realtime.connectors.azure",
    "RealtimeExecutionSettings": "semantic_kernel_realtime.protocol.settings",
    "AzureRealtimeExecutionSettings": "semantic_kernel_realtime.protocol.settings",
    "LocalRealtimeServer": "semantic_kernel_realtime.server",
}

__all__ = [
    "AzureRealtimeExecutionSettings",
    "AzureRealtimeWebRTC",
    "AzureRealtimeWebsocket",
    "LocalRealtimeServer",
    "OpenAIRealtimeWebRTC",
    "OpenAIRealtimeWebsocket",
    "RealtimeClientBase",
    "RealtimeExecutionSettings",
    "__version__",
]

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebsocket
    from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebsocket
    from semantic_kernel_realtime.protocol.settings import AzureRealtimeExecutionSettings, RealtimeExecutionSettings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'semantic_kernel_realtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
