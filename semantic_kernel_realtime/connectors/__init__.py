"""Connectors: OpenAI and Azure OpenAI, composed from the client base and a transport (no inheritance grid)."""

from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebsocket
from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebsocket

__all__ = ["AzureRealtimeWebsocket", "OpenAIRealtimeWebsocket"]
