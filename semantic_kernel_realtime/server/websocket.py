"""The WebSocket endpoint ``GET /v1/realtime?model=...``: one engine per connection.

Rules:
- The peer only moves text. Events from the engine go into an ordered outbox drained by one writer task
  (JSON via orjson); the audio sink awaits :meth:`WebSocketPeer.drained` so a slow reader slows the
  response rather than growing the outbox, and the endpoint stops reading the client while
  ``INPUT_PAUSE`` events wait in the outbox (a client that sends without reading gets TCP backpressure,
  not an ever-growing queue of answers). A peer made with ``max_queued`` (a sideband: the call it follows
  does not wait for it) closes a client that lets that many events wait, with 1008, aborting the
  connection if the close frame cannot be written within ``SLOW_CLOSE_S``: the call goes on, and the
  server's memory does not grow with a client that never reads.
- Incoming text frames go straight to the engine; binary frames are answered with an ``invalid_json``
  error; a message over the host's ``max_message_bytes`` closes the connection with 1009 (aiohttp).
- With ``?call_id=`` the connection is a sideband of a live WebRTC call, handed to the ``sideband``
  attach function the server gives (:mod:`.sideband`); without one configured, ``call_id`` is refused
  with HTTP 404 ``call_id_not_found``, never given a new session.
- A new connection beyond the host's ``max_sessions`` is refused before the upgrade: HTTP 429
  ``rate_limit_exceeded``.
- When either side closes, or the connection breaks (any ``ConnectionError`` while writing), the engine
  is closed, the writer stopped and the connection unregistered: nothing is left running or registered.
- Duration cap emulation (the host's ``max_session_seconds``): ``session.created`` carries ``expires_at``
  (whole seconds since the epoch, as the live service sends), and when the time is up the peer gets an
  ``error`` with code ``session_expired``, then a close 1001, as the live service ends a session at its cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.errors import ApiError, call_id_not_found
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.limits import sessions_exhausted
from semantic_kernel_realtime.server.sinks import WebSocketAudioSink

logger = logging.getLogger(__name__)

PATH = "/v1/realtime"
HIGH_WATER = 256  # queued events before the audio sink waits
LOW_WATER = 64
INPUT_PAUSE = 4096  # queued events before the client's next message waits
SLOW_CLOSE_S = 2.0  # how long the close frame of a client that does not read may take before the abort
BINARY_REFUSED = ApiError("invalid_json", "Binary frames are not supported; send JSON text events.")


class WebSocketPeer:
    """Ordered, backpressured sending of events over one aiohttp WebSocket."""

    def __init__(self, ws: web.WebSocketResponse, *, max_queued: int | None = None,
                 abort: Callable[[], None] | None = None) -> None:
        self._ws = ws
        self._max_queued = max_queued
        self._abort = abort
        self._dropping: asyncio.Task[None] | None = None
        self._outbox: deque[dict[str, Any]] = deque()
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._closed = False
        self._writer = asyncio.get_running_loop().create_task(self._write(), name="realtime ws writer")

    def send_event(self, event: dict[str, Any]) -> None:
        if self._closed:
            return
        if self._max_queued is not None and len(self._outbox) >= self._max_queued:
            self._drop_slow_reader()
            return
        self._outbox.append(event)
        self._wakeup.set()
        if len(self._outbox) >= HIGH_WATER:
            self._drained.clear()

    async def drained(self) -> None:
        await self._drained.wait()

    async def room_for_input(self) -> None:
        """Return once the outbox is short enough to take the answers to another client message."""
        if len(self._outbox) >= INPUT_PAUSE:
            await self._drained.wait()

    async def _write(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._outbox:
                    event = self._outbox.popleft()
                    if len(self._outbox) <= LOW_WATER:
                        self._drained.set()
                    await self._ws.send_str(orjson.dumps(event).decode())
                self._drained.set()
        except (ConnectionError, RuntimeError) as exc:  # the peer went away mid-send (reset, lost, closing)
            logger.debug("websocket writer stopped: %r", exc)
        finally:
            self._closed = True
            self._outbox.clear()
            self._drained.set()

    async def close(self) -> None:
        """Stop the writer; events still queued are dropped (the connection is ending)."""
        self._closed = True
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        if self._dropping is not None:
            await self._dropping

    def _drop_slow_reader(self) -> None:
        logger.warning("closing a WebSocket whose client left %d events unread", len(self._outbox))
        self._closed = True
        self._outbox.clear()
        self._writer.cancel()
        self._dropping = asyncio.get_running_loop().create_task(self._close_slow_reader(), name="realtime ws drop")

    async def _close_slow_reader(self) -> None:
        try:
            await asyncio.wait_for(self._ws.close(code=1008, message=b"the client does not read its events"),
                                   SLOW_CLOSE_S)
        except (asyncio.TimeoutError, ConnectionError, RuntimeError):
            if self._abort is not None:
                self._abort()


#: ``attach(request, call_id)``: the sideband endpoint's handler
Attach = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


class WebSocketEndpoint:
    """``GET /v1/realtime``: upgrades, then runs one engine of ``host`` for the connection's life
    (``?call_id=``: handed to ``sideband``)."""

    def __init__(self, host: SessionHost, sideband: Attach | None = None) -> None:
        self._host = host
        self._sideband = sideband

    async def handle(self, request: web.Request) -> web.StreamResponse:
        host = self._host
        if "call_id" in request.query:
            if self._sideband is None:
                return call_id_not_found().to_response()
            return await self._sideband(request, request.query["call_id"])
        ws = await upgrade(request, host)
        if not isinstance(ws, web.WebSocketResponse):
            return ws  # refused
        peer = WebSocketPeer(ws)
        sink = WebSocketAudioSink(peer.send_event, drain=peer.drained, pace=host.output_audio_pace)
        engine = host.create_engine(peer.send_event, sink=sink, model=request.query.get("model"))
        host.register(ws)
        limit = getattr(host, "max_session_seconds", None)
        cap = None
        if limit:
            engine.session["expires_at"] = int(time.time() + limit)
            cap = asyncio.get_running_loop().create_task(_expire(ws, limit), name="realtime session cap")
        try:
            engine.start()
            await read_client(ws, peer, engine.receive_text)
        finally:
            try:
                if cap is not None:
                    cap.cancel()
                await engine.close()
                await peer.close()
            finally:
                host.unregister(ws)
                if not ws.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.close()
        return ws


async def upgrade(request: web.Request, host: SessionHost) -> web.StreamResponse:
    """Upgrade an OpenAI-protocol client to a WebSocket (prepared), or the refusal to return: HTTP 400 for a
    request that is not a WebSocket upgrade, 429 beyond the host's ``max_sessions``."""
    ws = web.WebSocketResponse(max_msg_size=host.limits.max_message_bytes, protocols=("realtime",), heartbeat=None)
    if not ws.can_prepare(request).ok:
        raise web.HTTPBadRequest(text="This endpoint speaks WebSocket (the OpenAI Realtime protocol).")
    if host.session_count >= host.limits.max_sessions:
        return sessions_exhausted(host.limits.max_sessions).to_response()
    await ws.prepare(request)
    return ws


def aborter(request: web.Request) -> Callable[[], None]:
    """Drops the request's connection at once (for a client that reads nothing, so takes no close frame)."""
    def abort() -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    return abort


async def read_client(ws: web.WebSocketResponse, peer: WebSocketPeer, receive_text: Callable[[str], None]) -> None:
    """Hand the client's text frames to ``receive_text`` until the connection ends: binary frames are answered
    with ``invalid_json``, and reading waits while answers pile up in the peer's outbox (backpressure)."""
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            receive_text(message.data)
        elif message.type == WSMsgType.BINARY:
            peer.send_event(BINARY_REFUSED.to_event())
        elif message.type == WSMsgType.ERROR:
            logger.debug("websocket error: %s", ws.exception())
            break
        await peer.room_for_input()


async def _expire(ws: web.WebSocketResponse, limit: float) -> None:
    """End the session at its cap as the live service does: an ``error`` ``session_expired``, then a close 1001."""
    await asyncio.sleep(limit)
    error = {"type": "error", "event_id": ids.event_id(),
             "error": {"type": "invalid_request_error", "code": "session_expired", "param": None, "event_id": None,
                       "message": f"Your session hit the maximum duration of {limit:g} seconds."}}
    with contextlib.suppress(ConnectionResetError, RuntimeError):
        await ws.send_str(orjson.dumps(error).decode())
        await ws.close(code=1001, message=b"session expired")
