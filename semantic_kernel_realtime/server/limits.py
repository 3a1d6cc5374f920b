"""How much one server takes on: the :class:`ServerLimits` a ``LocalRealtimeServer`` enforces.

Rules:
- Every bound is a field with a default that keeps one laptop safe with the default number of sessions;
  pass ``LocalRealtimeServer(limits=ServerLimits(...))`` to change them. docs/server.md lists them with
  what a client sees when one is exceeded.
- Bounds on memory hold per session (input buffer, conversation, stored audio), bounds on concurrency
  per server (sessions) and per credential (WebRTC calls); a time bound ends WebRTC calls whose peer never
  connected.
- A session never fails because of a bound: what exceeds it is refused (an ``error`` event, HTTP 429, a
  WebSocket close 1009) or the oldest data is dropped, and the session goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from semantic_kernel_realtime.server import audio_formats
from semantic_kernel_realtime.server.errors import ApiError

MINUTE_MS = 60_000


@dataclass(frozen=True)
class ServerLimits:
    """The bounds of one server (every field has a safe default)."""

    #: largest client message (WebSocket frame or data-channel message); the service documents 15 MiB of
    #: audio per ``input_audio_buffer.append``
    max_message_bytes: int = 16 * 1024 * 1024
    #: the input audio buffer keeps at most this much audio; beyond it the oldest audio is dropped
    max_input_audio_ms: int = 5 * MINUTE_MS
    #: items of a session's conversation; beyond it the oldest items are dropped (like ``truncation: auto``)
    max_conversation_items: int = 1_000
    #: audio kept for a session's conversation items (what ``conversation.item.retrieve`` returns); beyond it
    #: the oldest items lose their audio (their transcripts stay)
    max_stored_audio_ms: int = 20 * MINUTE_MS
    #: live sessions of the server (WebSocket connections and WebRTC calls together)
    max_sessions: int = 100
    #: live WebRTC calls per credential (per API key or client secret; all anonymous callers share one)
    max_calls_per_key: int = 10
    #: a WebRTC call whose peer has not opened the data channel this long after the answer is ended (once
    #: connected, a call whose peer is gone ends when ICE consent expires, ~30 s: RFC 7675, in aioice)
    call_connect_timeout_s: float = 20.0
    #: events waiting for a sideband WebSocket that does not read them; beyond it the sideband is closed
    #: (1008) and the call it followed goes on
    max_sideband_backlog: int = 10_000

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value <= 0:
                raise ValueError(f"ServerLimits.{name} must be positive (got {value!r})")

    @property
    def max_input_audio_bytes(self) -> int:
        return self.max_input_audio_ms * audio_formats.BYTES_PER_MS

    @property
    def max_stored_audio_bytes(self) -> int:
        return self.max_stored_audio_ms * audio_formats.BYTES_PER_MS


def sessions_exhausted(limit: int) -> ApiError:
    """HTTP 429 for a connection or call beyond the server's ``max_sessions``."""
    return ApiError("rate_limit_exceeded", f"This server already runs its maximum of {limit} sessions; "
                    "close one or try again later.", type="requests", status=429)


def calls_exhausted(limit: int) -> ApiError:
    """HTTP 429 for a WebRTC call beyond ``max_calls_per_key`` for its credential."""
    return ApiError("rate_limit_exceeded", f"This credential already holds its maximum of {limit} calls; "
                    "hang one up or try again later.", type="requests", status=429)
