"""Connectors: OpenAI and Azure OpenAI, composed from the client base and a transport (no inheritance grid)."""

from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebRTC, AzureRealtimeWebsocket
from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket

__all__ = ["AzureRealtimeWebRTC", "AzureRealtimeWebsocket", "OpenAIRealtimeWebRTC", "OpenAIRealtimeWebsocket"]
