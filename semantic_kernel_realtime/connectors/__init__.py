"""Connectors: OpenAI, Azure OpenAI and Google Gemini Live.

Each is an endpoint (the vendor) x a link (WebSocket or WebRTC) x a codec.
"""

from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebRTC, AzureRealtimeWebsocket
from semantic_kernel_realtime.connectors.google import GoogleLiveWebsocket
from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket

__all__ = ["AzureRealtimeWebRTC", "AzureRealtimeWebsocket", "GoogleLiveWebsocket", "OpenAIRealtimeWebRTC",
           "OpenAIRealtimeWebsocket"]
