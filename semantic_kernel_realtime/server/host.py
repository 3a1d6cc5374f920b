"""What the endpoints need from the server that hosts their sessions: the :class:`SessionHost` protocol.

Rules: endpoint modules (``websocket``, ``client_secrets``, ``webrtc``) are handed a host when the server
registers their routes; they never import the server's module (``app``), so the dependency points one
way: ``app`` -> endpoints -> ``host`` -> engine. :class:`~.app.LocalRealtimeServer` is the host.
"""

from __future__ import annotations

from typing import Any, Protocol

from semantic_kernel_realtime.server.auth import ClientSecretStore, Credentials
from semantic_kernel_realtime.server.engine import SessionEngine
from semantic_kernel_realtime.server.limits import ServerLimits
from semantic_kernel_realtime.server.sinks import AudioSink, Emit


class SessionHost(Protocol):
    """The server as its endpoints see it."""

    #: the API key check (and the ephemeral secrets it accepts)
    credentials: Credentials
    #: minted ``ek_…`` secrets and the session each one starts
    client_secrets: ClientSecretStore
    #: speed factor for WebSocket response audio (None: as fast as the socket drains)
    output_audio_pace: float | None
    #: the bounds endpoints enforce (message size, sessions, calls per key, call timeouts)
    limits: ServerLimits

    @property
    def session_count(self) -> int:
        """Live registered connections (WebSocket sessions and WebRTC calls)."""
        ...

    def create_engine(
        self, emit: Emit, *, sink: AudioSink | None = None, model: str | None = None,
        session: dict[str, Any] | None = None,
    ) -> SessionEngine:
        """A session engine configured like the server's; the caller starts, feeds and closes it."""
        ...

    def session_for(self, session: dict[str, Any] | None) -> dict[str, Any]:
        """The server's default session merged with ``session`` (already validated); may raise an ApiError."""
        ...

    def register(self, connection: Any) -> None:
        """Track a live connection (``stop()`` closes it and awaits the task that registered it)."""
        ...

    def unregister(self, connection: Any) -> None:
        ...
