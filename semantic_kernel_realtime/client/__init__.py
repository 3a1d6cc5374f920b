"""The client layer: :class:`RealtimeClientBase` composes a protocol decoder/encoder and a transport."""

from semantic_kernel_realtime.client.base import END, RealtimeClientBase
from semantic_kernel_realtime.client.events import SendFailedEvent, SessionEndedEvent

__all__ = ["END", "RealtimeClientBase", "SendFailedEvent", "SessionEndedEvent"]
