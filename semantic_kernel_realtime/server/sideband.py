"""``GET /v1/realtime?call_id=<id>``: a sideband WebSocket attached to a live WebRTC call.

The sideband is how an application's backend follows and controls a call whose media goes elsewhere (a
browser): it sees the call's events and sends client events to the call's own session engine (its
``session.update`` configures the call's session; its ``conversation.item.create`` of a function output
reaches the model). It carries no audio: the call's audio stays on its tracks.

Rules:
- The call must be live and the presented credential must control it
  (:meth:`~.webrtc.WebRTCCall.controllable_by`: the call's own ``ek_…`` secret or the API key). Anything
  else, an unknown or ended id or someone else's call, is refused before the upgrade with the live
  service's HTTP 404 ``call_id_not_found``: never a new session.
- Once attached, the sideband gets every event the call's engine emits, in order, starting with a
  ``session.created`` that shows the call's session as it is now; what it sends is handled exactly as
  the data channel's messages are (binary frames get ``invalid_json``, as on any WebSocket).
- The call ends for both: when the call ends the sideband is closed (1000, "call ended"); when the
  sideband goes, the call goes on. Several sidebands may attach to one call; each counts as a session
  for ``max_sessions`` (a new one beyond it gets HTTP 429) and is closed by the server's ``stop()``.
- The call never waits for a sideband: one that lets ``limits.max_sideband_backlog`` events wait unread is
  closed (1008, :class:`~.websocket.WebSocketPeer`), and the call goes on.
"""

from __future__ import annotations

import contextlib
import logging

from aiohttp import web

from semantic_kernel_realtime.server.auth import request_token
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.webrtc import CallEndpoint
from semantic_kernel_realtime.server.websocket import WebSocketPeer, aborter, read_client, upgrade

logger = logging.getLogger(__name__)

#: the query parameter that names the call
PARAM = "call_id"


class SidebandEndpoint:
    """Attaches sideband WebSockets to the live calls of ``calls`` (the host's call endpoint)."""

    def __init__(self, host: SessionHost, calls: CallEndpoint) -> None:
        self._host = host
        self._calls = calls

    async def attach(self, request: web.Request, call_id: str) -> web.StreamResponse:
        host = self._host
        try:
            call = self._calls.live_call(call_id, request_token(request))
        except ApiError as exc:
            return exc.to_response()
        ws = await upgrade(request, host)
        if not isinstance(ws, web.WebSocketResponse):
            return ws  # refused
        peer = WebSocketPeer(ws, max_queued=host.limits.max_sideband_backlog, abort=aborter(request))

        async def close() -> None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=1000, message=b"call ended")

        host.register(ws)
        detach = call.attach_sideband(peer.send_event, close)
        logger.info("sideband attached to webrtc call %s", call.id)
        try:
            await read_client(ws, peer, call.receive_text)
        finally:
            try:
                detach()
                await peer.close()
            finally:
                host.unregister(ws)
                if not ws.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.close()
            logger.info("sideband of webrtc call %s detached", call.id)
        return ws
