"""Sideband: attach a client to a call whose media is elsewhere (a browser's WebRTC call, a phone line).

Rules:
- A sideband is the connector's WebSocket link aimed at ``?call_id=<id>`` instead of ``?model=``
  (``endpoint.sideband_url(call_id)``), with the long-lived credential: the OpenAI and Azure WebSocket
  connectors take ``call_id=...`` (:class:`SidebandOptions`) and are otherwise unchanged, so a
  ``RealtimeClientBase`` with a kernel runs function calling, the history mirror and telemetry for the call.
- It carries no audio and assumes none: the call's audio stays on its media; what the client sends is
  events (a ``session.update`` with the kernel's tools, function outputs, responses).
- The service's refusal of the id (HTTP 404: unknown, ended, or another client's call) is a
  :class:`~semantic_kernel_realtime.errors.CallNotFoundError` from ``create_session``; refused credentials
  stay an ``AuthenticationError``. The id is not a secret, but it never goes into a log line with a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from semantic_kernel_realtime.errors import CallNotFoundError, ConnectionFailedError
from semantic_kernel_realtime.transports.websocket import WebSocketTransport

__all__ = ["SidebandOptions", "SidebandTransport"]


class SidebandOptions(BaseModel):
    """The sideband field of the WebSocket connectors: ``call_id``, the live call to attach to (the last
    segment of the ``Location`` a ``POST /realtime/calls`` answered with); None opens a new session."""

    call_id: str | None = None


class SidebandTransport(WebSocketTransport):
    """A WebSocket attached to the call ``call_id``: a 404 at the handshake is :class:`CallNotFoundError`."""

    def __init__(self, url: str, headers: Mapping[str, str] | None = None, *, call_id: str, **kwargs: Any) -> None:
        super().__init__(url, headers, **kwargs)
        self.call_id = call_id

    async def open(self) -> None:
        try:
            await super().open()
        except ConnectionFailedError as exc:
            if exc.status != 404:
                raise
            raise CallNotFoundError(
                f"no live call {self.call_id!r} to attach to at {self.url.split('?')[0]} (HTTP 404: the id is unknown, "
                "the call has ended, or it belongs to another client)", call_id=self.call_id) from None
