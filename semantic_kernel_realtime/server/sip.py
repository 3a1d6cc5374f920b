"""OpenAI's SIP calls, emulated: a "phone" rings the app's webhook, the app accepts and runs the call sideband.

Rules (the live flow: https://platform.openai.com/docs/guides/realtime-sip):
- :meth:`SipEndpoint.ring` makes a ringing call and POSTs a signed ``realtime.call.incoming`` event to the
  app's webhook (Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64
  HMAC-SHA256 of id.timestamp.body>`` keyed with the ``whsec_`` secret), the way the service does.
- ``POST /v1/realtime/calls/{call_id}/accept`` takes the session the app chose (validated with the openai
  GA types, like a ``session.update``) and starts the call's engine; ``/reject`` (optional ``status_code``)
  and ``/refer`` (``target_uri`` required) end a ringing or running call; ``/hangup`` ends a running one
  (a WebRTC call's id goes on to the WebRTC endpoint). Unknown ids: 404 ``call_not_found``; a call not in
  the state the request needs: 400 ``invalid_call_state``. A call nobody accepts, rejects or refers within
  ``ring_timeout`` seconds of ringing ends ``unanswered`` (the caller gives up): no ringing call is kept
  for ever.
- The caller's side is the test's or the demo's: :meth:`SipCall.say` pushes PCM16 24 kHz into the engine
  as RTP would, and :attr:`SipCall.heard` keeps what the model said on the line. Output audio never goes
  to the sideband (on the live service it goes to the phone).
- The sideband: ``GET /v1/realtime?call_id=<id>`` of a SIP call attaches a WebSocket to that call's engine
  (events both ways, in order; events from before the first attach wait for it). Any other
  ``/v1/realtime`` request goes on to the WebSocket endpoint. When the call ends, every sideband socket
  is closed (1000) and the call unregistered: nothing is left running. A sideband that lets
  ``limits.max_sideband_backlog`` events wait unread is closed (1008); the call goes on.
- The server never imports the client side: signing is the few lines of HMAC here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import ClientSession, web

from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.sinks import AudioPart
from semantic_kernel_realtime.server.validation import validate_session
from semantic_kernel_realtime.server.websocket import WebSocketPeer, aborter, read_client

logger = logging.getLogger(__name__)

PATH = "/v1/realtime/calls"
#: events a call keeps for its first sideband (a call nobody attaches to must not grow without bound)
MAX_WAITING_EVENTS = 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks ``webhook-signature`` value for ``body`` (``whsec_`` secrets are base64 keys)."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _Line:
    """The phone line's audio sink: keeps what the model says (PCM16 24 kHz) as the caller would hear it."""

    def __init__(self) -> None:
        self.heard = bytearray()

    async def write(self, part: AudioPart, pcm16: bytes) -> None:
        self.heard += pcm16

    async def end(self, part: AudioPart, *, interrupted: bool) -> None:
        pass

    def clear(self) -> bool:
        return False


class SipCall:
    """One SIP call: ``ringing`` -> ``accepted`` -> ``ended`` (or ``rejected`` / ``referred`` / ``unanswered``)."""

    def __init__(self, host: SessionHost, calls: dict[str, SipCall], sip_headers: list[dict[str, str]]) -> None:
        self.id = "rtc_" + secrets.token_hex(12)
        self.sip_headers = sip_headers
        self.state = "ringing"
        #: the webhook's answer to the ring (HTTP status; None before it answered)
        self.webhook_status: int | None = None
        self.rejected_with: int | None = None
        self.referred_to: str | None = None
        self.session: dict[str, Any] | None = None  # as accepted
        self._host = host
        self._calls = calls
        self._line = _Line()
        self.engine: Any = None
        self._sidebands: list[tuple[web.WebSocketResponse, WebSocketPeer]] = []
        self._waiting: list[dict[str, Any]] = []
        self.ended = asyncio.Event()
        self._give_up: asyncio.TimerHandle | None = None

    def ring_for(self, seconds: float) -> None:
        """End the call ``unanswered`` unless it is answered (or rejected, referred) within ``seconds``."""
        loop = asyncio.get_running_loop()
        self._give_up = loop.call_later(seconds, self._unanswered)

    def _unanswered(self) -> None:
        if self.state == "ringing" and not self.ended.is_set():
            # a ringing call has no engine and no sideband yet: closing it finishes in this one step
            asyncio.get_running_loop().create_task(self.close("unanswered"), name=f"sip call {self.id} unanswered")

    @property
    def heard(self) -> bytes:
        """What the model said on the line so far (PCM16 24 kHz)."""
        return bytes(self._line.heard)

    def say(self, pcm16: bytes) -> None:
        """The caller speaks: PCM16 24 kHz into the call, as its RTP audio would arrive."""
        if self.state != "accepted":
            raise RuntimeError(f"call {self.id} is {self.state}: nobody is listening")
        self.engine.push_audio(pcm16)

    def accept(self, session: dict[str, Any]) -> None:
        host = self._host
        self.session = session
        merged = host.session_for(session)
        overrides = {k: v for k, v in merged.items() if k not in ("id", "object", "expires_at")}
        self.engine = host.create_engine(self._emit, sink=self._line, model=session.get("model"), session=overrides)
        self.state = "accepted"
        if self._give_up is not None:
            self._give_up.cancel()
        host.register(self)
        self.engine.start()

    async def close(self, state: str = "ended") -> None:
        """End the call (idempotent): the engine stops, the sidebands close, the host forgets it."""
        if self.ended.is_set():
            return
        was = self.state
        self.state = state
        self.ended.set()
        if self._give_up is not None:
            self._give_up.cancel()
        if self.engine is not None:
            await self.engine.close()
        for ws, peer in list(self._sidebands):
            await peer.close()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.close(code=1000, message=f"the call {state}".encode())
        self._sidebands.clear()
        self._waiting.clear()
        self._calls.pop(self.id, None)
        if was == "accepted":
            self._host.unregister(self)
        logger.info("sip call %s %s", self.id, state)

    def _emit(self, event: dict[str, Any]) -> None:
        if not self._sidebands:
            if len(self._waiting) < MAX_WAITING_EVENTS:
                self._waiting.append(event)
            return
        for _, peer in self._sidebands:
            peer.send_event(event)

    def _receive_text(self, text: str) -> None:
        """A sideband's client event: to the call's session while the call is answered and not ended."""
        if self.engine is not None and not self.ended.is_set():
            self.engine.receive_text(text)

    async def sideband(self, request: web.Request) -> web.WebSocketResponse:
        """Run one sideband WebSocket on this call until either ends."""
        ws = web.WebSocketResponse(max_msg_size=self._host.limits.max_message_bytes, protocols=("realtime",),
                                   heartbeat=None)
        await ws.prepare(request)
        peer = WebSocketPeer(ws, max_queued=self._host.limits.max_sideband_backlog, abort=aborter(request))
        self._host.register(ws)  # stop() closes it and awaits this handler
        self._sidebands.append((ws, peer))
        waiting, self._waiting = self._waiting, []
        for event in waiting:
            peer.send_event(event)
        try:
            await read_client(ws, peer, self._receive_text)
        finally:
            if (ws, peer) in self._sidebands:
                self._sidebands.remove((ws, peer))
                await peer.close()
            self._host.unregister(ws)
        return ws


class SipEndpoint:
    """The SIP calls of one host: ring, the call-control routes, and the sideband attach."""

    def __init__(self, host: SessionHost, hangup_other: Handler, websocket: Handler) -> None:
        self._host = host
        self._hangup_other = hangup_other
        self._websocket = websocket
        self.calls: dict[str, SipCall] = {}

    def control_routes(self) -> tuple[tuple[str, Handler], ...]:
        """The POST routes only SIP calls have; ``hangup`` and ``realtime`` take the place of the WebRTC
        hang-up and the WebSocket endpoint (and hand on what is not a SIP call)."""
        return ((PATH + "/{call_id}/accept", self.accept), (PATH + "/{call_id}/reject", self.reject),
                (PATH + "/{call_id}/refer", self.refer))

    async def ring(self, webhook_url: str, *, secret: str, sip_headers: list[dict[str, str]] | None = None,
                   timeout: float = 10.0, ring_timeout: float = 60.0) -> SipCall:
        """A call comes in: POST the signed ``realtime.call.incoming`` event to ``webhook_url``.

        Returns the call once the webhook answered (its status in ``webhook_status``); the app may have
        accepted it meanwhile. ``timeout``: seconds the webhook may take to answer; ``ring_timeout``:
        seconds from now the call rings before it ends ``unanswered``."""
        headers_in = sip_headers if sip_headers is not None else [
            {"name": "From", "value": "<sip:+15550100@example.com>;tag=1"},
            {"name": "To", "value": "<sip:+15550199@sip.api.openai.com>"}]
        call = SipCall(self._host, self.calls, headers_in)
        self.calls[call.id] = call
        call.ring_for(ring_timeout)
        event = {"id": ids.event_id().replace("event_", "evt_"), "object": "event", "created_at": int(time.time()),
                 "type": "realtime.call.incoming", "data": {"call_id": call.id, "sip_headers": headers_in}}
        body = orjson.dumps(event).decode()
        webhook_id = "wh_" + secrets.token_hex(12)
        timestamp = int(time.time())
        headers = {"content-type": "application/json", "webhook-id": webhook_id,
                   "webhook-timestamp": str(timestamp), "webhook-signature": sign(secret, webhook_id, timestamp, body)}
        async with ClientSession() as session, session.post(webhook_url, data=body, headers=headers,
                                                            timeout=timeout) as response:
            call.webhook_status = response.status
        return call

    def _call(self, request: web.Request, *states: str) -> SipCall:
        call = self.calls.get(request.match_info["call_id"])
        if call is None:
            raise ApiError("call_not_found", "No such call.", status=404)
        if call.state not in states:
            raise ApiError("invalid_call_state", f"The call is {call.state}; this needs a call that is "
                           f"{' or '.join(states)}.")
        return call

    async def accept(self, request: web.Request) -> web.Response:
        try:
            call = self._call(request, "ringing")
            body = await _json(request)
            session = validate_session(body)
            call.accept(session)
        except ApiError as exc:  # EventValidationError included
            return exc.to_response()
        return web.Response(status=200)

    async def reject(self, request: web.Request) -> web.Response:
        try:
            call = self._call(request, "ringing")
            body = await _json(request, optional=True)
            status = body.get("status_code", 603)
            if not isinstance(status, int) or not 400 <= status <= 699:
                raise ApiError("invalid_value", "status_code must be a SIP status from 400 to 699.", "status_code")
        except ApiError as exc:
            return exc.to_response()
        call.rejected_with = status
        await call.close("rejected")
        return web.Response(status=200)

    async def refer(self, request: web.Request) -> web.Response:
        try:
            call = self._call(request, "ringing", "accepted")
            body = await _json(request)
            target = body.get("target_uri")
            if not isinstance(target, str) or not target.startswith(("sip:", "tel:")):
                raise ApiError("invalid_value", "target_uri must be a sip: or tel: URI.", "target_uri")
        except ApiError as exc:
            return exc.to_response()
        call.referred_to = target
        await call.close("referred")
        return web.Response(status=200)

    async def hangup(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["call_id"] not in self.calls:
            return await self._hangup_other(request)
        try:
            call = self._call(request, "accepted")
        except ApiError as exc:
            return exc.to_response()
        await call.close("ended")
        return web.Response(status=200)

    async def realtime(self, request: web.Request) -> web.StreamResponse:
        """``GET /v1/realtime``: a SIP call's sideband when ``call_id`` names one, else the WebSocket endpoint."""
        call = self.calls.get(request.query.get("call_id", ""))
        if call is None:
            return await self._websocket(request)
        if call.state != "accepted":
            return ApiError("invalid_call_state", f"The call is {call.state}; accept it first.").to_response()
        return await call.sideband(request)


async def _json(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.read()
    if not raw and optional:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError("invalid_json", "The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "The body must be a JSON object.")
    return body
