"""WebSocket transport on the ``websockets`` library (asyncio implementation).

Rules:
- ``open()`` connects with the given headers; HTTP 401/403 become :class:`AuthenticationError`, any
  other refusal or network failure :class:`ConnectionFailedError`. Header values (keys, tokens) never
  appear in messages or logs.
- Receiving is push (see ``transports.base``): the connection is a ``websockets`` ``ClientConnection``
  subclass (the library's ``create_connection`` hook) whose ``process_event`` hands each complete data
  message, as the frame's UTF-8 bytes, to the ``listen()`` sink from inside ``data_received``. The
  library's message queue, its ``recv()`` and a task wake-up per message are skipped: the consumer runs
  in the loop iteration that read the socket. Fragmented messages are joined first; handshake, ping,
  pong and close frames go through the library unchanged. Messages that arrive before ``listen()`` are
  kept and delivered first.
- When the connection ends, whoever ended it, ``listen()`` raises :class:`ConnectionClosedError`
  carrying the close code, its reason (with any credential of the handshake's headers blanked out, should
  a service echo one) and whether it was clean. If the sink raises, the connection is closed and
  ``listen()`` raises that exception.
- ``send_text()`` writes one text frame (``bytes`` are taken as UTF-8 text, without a copy); sends are
  serialised by the library, each frame written before the call first waits (for the socket to drain), so
  the order of calls is the order on the wire.
- Timeouts hold: ``open()`` ends within ``open_timeout``; ``close()`` within ``close_timeout`` whatever the
  peer does (a peer that never answers the close, or stops reading so the close frame cannot even be
  written: the TCP connection is then aborted); a close frame from the peer not followed by the end of TCP
  ends the connection ``close_timeout`` later (aborted); keepalive pings every ``ping_interval`` seconds
  detect a dead peer when no pong comes within ``ping_timeout`` (the library then fails the connection:
  code 1011, "keepalive ping timeout").
- Flow control: :meth:`pause_reading` stops reading the socket (TCP backpressure reaches the server: the
  flow control the push path bypasses in the library), :meth:`resume_reading` starts again. Frames already
  read are still delivered; nothing is dropped. While reading is paused no pong can arrive either, so a
  pause longer than ``ping_timeout`` ends the connection as a dead peer. ``close()`` reads again first, so
  the closing handshake can complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.frames import Opcode

from semantic_kernel_realtime.errors import (
    AuthenticationError,
    ConnectionClosedError,
    ConnectionFailedError,
)
from semantic_kernel_realtime.transports.base import Inbox, MessageSink

__all__ = ["WebSocketTransport"]

logger = logging.getLogger(__name__)

_CLEAN_CODES = (1000, 1001)
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-goog-api-key", "openai-organization", "openai-project",
                             "cookie"})
_REDACTED = "[redacted]"


class _RedactingLogger(logging.LoggerAdapter):
    """The ``websockets`` library logs handshake headers at DEBUG, credentials included; hide their values."""

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        if len(args) == 2 and isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS:
            args = (args[0], "[redacted]")
        super().log(level, msg, *args, **kwargs)  # type: ignore[arg-type]

    def debug(self, msg: object, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        if self.isEnabledFor(logging.DEBUG):
            self.log(logging.DEBUG, msg, *args, **kwargs)


_ws_logger = _RedactingLogger(logging.getLogger("websockets.client"), {})


def _closed_error(exc: ConnectionClosed | None, who: str = "", secrets: tuple[str, ...] = ()) -> ConnectionClosedError:
    frame = None
    if exc is not None:
        frame = exc.rcvd or exc.sent
    code = frame.code if frame else 1006
    reason = frame.reason if frame else ""
    for secret in secrets:
        reason = reason.replace(secret, _REDACTED)
    clean = code in _CLEAN_CODES
    what = "closed" if clean else "lost"
    detail = f" ({reason})" if reason else ""
    return ConnectionClosedError(f"websocket connection {what}{who}: code {code}{detail}", code=code,
                                 reason=reason, clean=clean)


class _PushConnection(ClientConnection):
    """A client connection that delivers each complete data message to ``sink`` as it is parsed."""

    # slots, not __dict__ entries: more keys would resize the connection's instance dict (~1.3 KB)
    __slots__ = ("inbox", "_fragments", "_abort_timer")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inbox = Inbox()
        self._fragments: list[bytes] | None = None
        self._abort_timer: asyncio.TimerHandle | None = None

    def process_event(self, event: Any) -> None:
        if self.response is None:  # the handshake response
            super().process_event(event)
            return
        opcode = event.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if event.fin:
                self._deliver(event.data)
            else:
                self._fragments = [event.data]
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(event.data)
            if event.fin:
                message = b"".join(self._fragments)
                self._fragments = None
                self._deliver(message)
        else:  # ping, pong, close: the library's business
            super().process_event(event)
            if opcode is Opcode.CLOSE and self._abort_timer is None:
                # The peer closed: TCP must end within close_timeout, else it never will (the library only
                # enforces that deadline while it writes).
                self._abort_timer = self.loop.call_later(self.close_timeout or 0.0, self.transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._abort_timer is not None:
            self._abort_timer.cancel()
        super().connection_lost(exc)

    def _deliver(self, message: bytes) -> None:
        if self.inbox.deliver(message) is not None:
            self.transport.close()  # listen() raises the sink's error once the connection is gone


class WebSocketTransport:
    """A :class:`~semantic_kernel_realtime.transports.base.Transport` over one WebSocket connection.

    Args:
        url: ``ws://`` or ``wss://`` URL of the realtime endpoint (query included, e.g. ``?model=``).
        headers: extra HTTP headers for the handshake (authentication). Never logged.
        open_timeout: seconds to wait for the handshake.
        close_timeout: seconds ``close()`` (and a close by the peer) may take before the TCP connection is aborted.
        max_size: largest accepted message in bytes (``None``: unlimited).
        ping_interval: seconds between keepalive pings (``None``: no pings).
        ping_timeout: seconds to wait for a ping's pong before the peer is taken for dead (``None``: forever).
        ssl: the TLS context of a ``wss://`` URL (``None``: the system's trusted certificates).
    """

    carries_audio = False

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        open_timeout: float = 10.0,
        close_timeout: float = 2.0,
        max_size: int | None = 16 * 2**20,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        ssl: Any | None = None,
    ) -> None:
        self.url = url
        self._ssl = ssl
        self._headers = dict(headers or {})
        self._open_timeout = open_timeout
        self._close_timeout = close_timeout
        self._max_size = max_size
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._ws: _PushConnection | None = None
        self._closed_by_us = False
        #: The credentials in the headers (a bearer token without its scheme too), longest first.
        self._secrets = tuple(sorted({part for name, value in self._headers.items() if name.lower() in _SECRET_HEADERS
                                      for part in (value, value.partition(" ")[2]) if len(part) >= 4},
                                     key=len, reverse=True))

    def __repr__(self) -> str:
        return f"WebSocketTransport(url={self.url.split('?')[0]!r})"

    @property
    def connection(self) -> ClientConnection | None:
        """The ``websockets`` connection (for inspection; receive through :meth:`listen`)."""
        return self._ws

    async def open(self) -> None:
        try:
            self._ws = await connect(
                self.url,
                additional_headers=self._headers,
                open_timeout=self._open_timeout,
                max_size=self._max_size,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_timeout,
                close_timeout=self._close_timeout,
                compression=None,  # realtime audio is base64 noise: deflate costs CPU and saves little
                logger=_ws_logger,
                create_connection=_PushConnection,
                **({"ssl": self._ssl} if self._ssl is not None else {}),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            where = self.url.split("?")[0]
            if status in (401, 403):
                raise AuthenticationError(
                    f"the realtime service at {where} refused the credentials (HTTP {status}); "
                    "check the API key, token or deployment", status=status) from None
            raise ConnectionFailedError(f"the realtime service at {where} answered HTTP {status}",
                                        status=status) from None
        except InvalidURI as exc:
            raise ConnectionFailedError(f"invalid websocket URL: {exc}") from None
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise ConnectionFailedError(
                f"could not connect to {self.url.split('?')[0]}: {type(exc).__name__}: {exc}") from None

    async def send_text(self, message: str | bytes) -> None:
        ws = self._require()
        try:
            await ws.send(message, text=True)  # bytes: UTF-8 text already (the audio fast path), sent as is
        except ConnectionClosed as exc:
            raise _closed_error(exc, secrets=self._secrets) from None

    async def listen(self, on_message: MessageSink) -> None:
        ws = self._require()
        await ws.inbox.listen(on_message, ws.wait_closed)
        raise _closed_error(ws.protocol.close_exc, " by this client" if self._closed_by_us else "", self._secrets)

    async def close(self) -> None:
        ws = self._ws
        if ws is None:
            return
        self._closed_by_us = True
        self.resume_reading()  # the peer's close frame must be read for the handshake to complete
        try:
            # The library bounds its wait for the peer's answer, not the write of the close frame itself
            # (a peer that stops reading leaves it waiting for the socket to drain).
            await asyncio.wait_for(ws.close(), self._close_timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            ws.transport.abort()
            if isinstance(exc, asyncio.CancelledError):
                raise
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ws.wait_closed(), 1.0)  # connection_lost runs in the next loop iteration

    def pause_reading(self) -> None:
        """Stop reading the socket (TCP backpressure); frames already read are still delivered."""
        ws = self._ws
        if ws is not None and not ws.transport.is_closing() and ws.transport.is_reading():
            ws.transport.pause_reading()

    def resume_reading(self) -> None:
        """Read the socket again after :meth:`pause_reading`."""
        ws = self._ws
        if ws is not None and not ws.transport.is_closing() and not ws.transport.is_reading():
            ws.transport.resume_reading()

    def _require(self) -> _PushConnection:
        if self._ws is None:
            raise ConnectionClosedError("websocket transport is not open", clean=False)
        return self._ws


