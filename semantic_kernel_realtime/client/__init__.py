"""The client layer: :class:`RealtimeClientBase` (the SK service facade, owner of the queues) and the
per-connection :class:`~.connection.Connection` that composes a codec and a transport."""

from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.events import END, SendFailedEvent, SessionEnd, SessionEndedEvent

__all__ = ["END", "RealtimeClientBase", "SendFailedEvent", "SessionEnd", "SessionEndedEvent"]
