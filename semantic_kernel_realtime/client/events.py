"""The client's synthetic events; their home is :mod:`semantic_kernel_realtime.events` (this module is an alias)."""

from semantic_kernel_realtime.events import SEND_FAILED, SESSION_ENDED, SendFailedEvent, SessionEndedEvent

__all__ = ["SEND_FAILED", "SESSION_ENDED", "SendFailedEvent", "SessionEndedEvent"]
