"""Events the client itself puts on the receive queue (not wire events).

Their ``service_type`` starts with ``client.`` so they can never be mistaken for a service event.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from semantic_kernel.contents.realtime_events import RealtimeEvent

SESSION_ENDED = "client.session_ended"
SEND_FAILED = "client.send_failed"


class SessionEndedEvent(RealtimeEvent):
    """The session ended for a reason other than ``close_session()``; the last event before the end.

    ``reason`` is a human sentence; ``error`` the exception (typed, from ``transports.errors``) when there
    was one; ``clean`` whether the service closed normally.
    """

    service_type: str | None = SESSION_ENDED
    reason: str
    clean: bool = False
    error: Any | None = Field(default=None, exclude=True)


class SendFailedEvent(RealtimeEvent):
    """An event put on the send queue could not be sent (e.g. it is not a valid client event).

    The session goes on; ``service_event`` holds the event that was refused and ``error`` why.
    """

    service_type: str | None = SEND_FAILED
    error: Any = Field(exclude=True)
    message: str
