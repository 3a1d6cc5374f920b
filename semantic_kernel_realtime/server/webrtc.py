"""``POST /v1/realtime/calls``: a WebRTC call answered with aiortc, running the same session engine.

Rules:
- Auth: the bearer is a valid, unexpired ``ek_…`` client secret (the call starts with the session it was
  minted with) or the API key (any key when none is configured; the session then comes from a multipart
  ``session`` field or the server's defaults). Anything else: HTTP 401 with the service's error shape
  saying why (``invalid_client_secret``, ``client_secret_expired``, ``invalid_api_key``).
- Body: the SDP offer as ``application/sdp`` (or multipart ``sdp`` + optional ``session`` JSON). The answer
  is ``201`` with ``application/sdp`` and ``Location: /v1/realtime/calls/<call_id>``. No ICE servers:
  host candidates only (loopback and LAN).
- Events: JSON text over the ``oai-events`` data channel both ways; events the engine emits before the
  channel opens wait in order. Input audio: the remote track's frames, resampled to PCM16 24 kHz mono,
  go to ``engine.push_audio`` (the same VAD as WebSocket). Output audio: :class:`WebRTCAudioSink` feeds
  :class:`OutputTrack`, which plays it in real time and emits the WebRTC-only
  ``output_audio_buffer.started`` / ``stopped`` / ``cleared`` events.
- Lifetime: each call runs one task that waits for the end (data channel or peer connection closed or
  failed, ``POST /v1/realtime/calls/<id>/hangup``, :meth:`WebRTCCall.close`, server ``stop()``), then
  closes the engine, stops the tracks, closes the peer connection and awaits the audio reader: nothing is
  left. A peer that never opens the data channel is given up after the host's ``call_connect_timeout_s``;
  a connected peer that vanishes ends the call when ICE consent expires (RFC 7675, ~30 s in aioice).
- Limits: beyond the host's ``max_sessions`` or ``max_calls_per_key`` (calls per presented credential;
  anonymous callers share one count) a new call gets HTTP 429 ``rate_limit_exceeded``; a data-channel
  message over ``max_message_bytes`` gets an ``error`` event and is dropped. The offer must be UTF-8 SDP
  (else HTTP 400).
- :class:`CallEndpoint` serves both paths for the host it is given (the server registers it); it keeps
  the live calls by id. Refusals are :class:`~.errors.ApiError` responses.
- Who controls a call (:meth:`WebRTCCall.controllable_by`): the ``ek_…`` secret it was made with, or the
  API key (anyone when none is configured); another client's secret is told the call does not exist
  (HTTP 404 ``call_id_not_found``), for a hangup as for a sideband (:mod:`.sideband`).
- Sidebands (:meth:`WebRTCCall.attach_sideband`) get every event the call's engine emits, in order, as
  the data channel does; when the call ends, each is closed (WebSocket close 1000).
- This module uses aiortc and av directly (the server never imports our transports); the audio-frame
  code here is the minimum the server needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any

import av
import orjson
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.auth import invalid_api_key, request_token
from semantic_kernel_realtime.server.errors import ApiError, call_id_not_found
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.limits import calls_exhausted, sessions_exhausted
from semantic_kernel_realtime.server.sinks import AudioPart, Emit
from semantic_kernel_realtime.server.validation import session_resource, validate_session

logger = logging.getLogger(__name__)

PATH = "/v1/realtime/calls"
#: where the server's application keeps the live calls (``CallEndpoint.calls``), by call id
CALLS_KEY: web.AppKey[dict[str, WebRTCCall]] = web.AppKey("sk_realtime_webrtc_calls")

RATE = 24_000
FRAME_SAMPLES = 480  # 20 ms at 24 kHz; aiortc's Opus encoder resamples to 48 kHz itself
_FRAME_BYTES = FRAME_SAMPLES * 2
_TIME_BASE = fractions.Fraction(1, RATE)
_SILENCE = bytes(_FRAME_BYTES)
_MAX_LAG = 0.1
#: the sink waits while more than this much response audio is queued on the track (real-time playout)
HIGH_WATER_S = 5.0


# --- output audio ------------------------------------------------------------------------------------


class OutputTrack(MediaStreamTrack):
    """Outgoing track: PCM16 24 kHz mono pushed in any chunk size, played as timed 20 ms frames.

    Silence when nothing is queued. ``on_drained`` is called (on the loop) when queued audio has all been
    handed to the encoder; ``wait_below(seconds)`` is the sink's backpressure.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._start: float | None = None
        self._pts = 0
        self._room = asyncio.Event()
        self._room.set()
        self._limit_bytes = int(HIGH_WATER_S * RATE) * 2
        self.on_drained: Callable[[], None] | None = None

    @property
    def buffered_seconds(self) -> float:
        return len(self._buffer) / (2 * RATE)

    def push(self, pcm16: bytes) -> None:
        self._buffer += pcm16[: len(pcm16) // 2 * 2]
        if len(self._buffer) > self._limit_bytes:
            self._room.clear()

    def clear(self) -> int:
        """Drop queued audio; returns the bytes dropped."""
        dropped = len(self._buffer)
        self._buffer = bytearray()
        self._room.set()
        return dropped

    async def wait_for_room(self) -> None:
        await self._room.wait()

    def stop(self) -> None:
        super().stop()
        self._room.set()  # release a waiting sink

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            delay = self._start + self._pts / RATE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                if self.readyState != "live":
                    raise MediaStreamError
            elif delay < -_MAX_LAG:
                self._start -= delay  # the loop stalled: re-anchor instead of bursting frames
        if self._buffer:
            chunk = bytes(self._buffer[:_FRAME_BYTES]).ljust(_FRAME_BYTES, b"\0")
            del self._buffer[:_FRAME_BYTES]
            if len(self._buffer) <= self._limit_bytes:
                self._room.set()
            if not self._buffer and self.on_drained is not None:
                self.on_drained()
        else:
            chunk = _SILENCE
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(chunk)
        frame.sample_rate = RATE
        frame.time_base = _TIME_BASE
        frame.pts = self._pts
        return frame


class WebRTCAudioSink:
    """An :class:`~semantic_kernel_realtime.server.sinks.AudioSink` that plays response audio on a track.

    Emits ``output_audio_buffer.started`` with a response's first chunk, ``stopped`` once its audio has
    all been played after the response's audio ended, ``cleared`` when it is cut off (barge-in or
    ``output_audio_buffer.clear``); audio still written for a cleared response is dropped.
    """

    def __init__(self, emit: Emit, track: OutputTrack) -> None:
        self._emit = emit
        self._track = track
        self._playing: str | None = None  # response id whose audio is on the track
        self._complete = False  # its audio has ended: stop when the track drains
        self._cleared: str | None = None
        track.on_drained = self._on_drained

    async def write(self, part: AudioPart, pcm16: bytes) -> None:
        if part.response_id == self._cleared or self._track.readyState != "live":
            return
        if self._playing != part.response_id:
            if self._playing is not None:
                self._event("output_audio_buffer.stopped", self._playing)
            self._playing, self._complete = part.response_id, False
            self._event("output_audio_buffer.started", part.response_id)
        self._track.push(pcm16)
        await self._track.wait_for_room()

    async def end(self, part: AudioPart, *, interrupted: bool) -> None:
        if self._playing != part.response_id:
            return
        if interrupted:
            self._cut_off()
        else:
            self._complete = True
            if not self._track.buffered_seconds:
                self._on_drained()

    def clear(self) -> bool:
        self._cut_off()
        return True

    def _cut_off(self) -> None:
        self._track.clear()
        if self._playing is not None:
            self._cleared = self._playing
            self._event("output_audio_buffer.cleared", self._playing)
            self._playing = None

    def _on_drained(self) -> None:
        if self._playing is not None and self._complete:
            self._event("output_audio_buffer.stopped", self._playing)
            self._playing = None

    def _event(self, kind: str, response_id: str) -> None:
        self._emit({"type": kind, "event_id": ids.event_id(), "response_id": response_id})


# --- the call ----------------------------------------------------------------------------------------


class WebRTCCall:
    """One answered call: a peer connection, its data channel and tracks, and a session engine."""

    def __init__(
        self, host: SessionHost, calls: dict[str, WebRTCCall], *, session: dict[str, Any] | None,
        model: str | None, credential: str | None = None, secret: str | None = None,
    ) -> None:
        self.id = "rtc_" + secrets.token_hex(12)
        self._host = host
        self._calls = calls
        #: whose call this is, for ``max_calls_per_key`` (the presented key or secret; None: anonymous)
        self.credential = credential
        #: the ``ek_…`` secret the call was made with (it may control the call), else None
        self.secret = secret
        self._sidebands: dict[Emit, Callable[[], Any]] = {}  # emit -> async close
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = OutputTrack()
        self.sink = WebRTCAudioSink(self._send, self.track)
        overrides = None if session is None else {k: v for k, v in session.items()
                                                   if k not in ("id", "object", "expires_at")}
        self.engine = host.create_engine(self._send, sink=self.sink, model=model, session=overrides)
        self._channel: Any = None
        self._pending: list[str] = []
        self._ended = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._opened = asyncio.Event()

    async def answer(self, offer_sdp: str) -> str:
        pc = self.pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_state)
        pc.on("iceconnectionstatechange", self._on_state)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.sender.replaceTrack(self.track)
                transceiver.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    def run(self) -> None:
        """Start the call's task (it registers the call with the server and ends when the call does)."""
        self._task = asyncio.get_running_loop().create_task(self._lifetime(), name=f"webrtc call {self.id}")

    async def close(self) -> None:
        """End the call (idempotent): returns once everything is closed."""
        self._ended.set()
        task = self._task
        if task is None:
            await self._cleanup()
        elif task is not asyncio.current_task():
            await asyncio.shield(task)

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    @property
    def running(self) -> bool:
        """The call was answered and runs (registered with the host) until it ends."""
        return self._task is not None

    def controllable_by(self, token: str | None) -> bool:
        """Whether ``token`` may hang up, attach to or control this call: the secret it was made with, or
        the API key (anyone when none is configured); never another ``ek_…`` secret."""
        if token and self.secret is not None and hmac.compare_digest(token.encode(), self.secret.encode()):
            return True
        if token and token.startswith("ek_"):
            return False
        return self._host.credentials.accepts(token, allow_secret=False)

    # -- sidebands ------------------------------------------------------------------------------------

    def attach_sideband(self, emit: Emit, close: Callable[[], Any]) -> Callable[[], None]:
        """Send every event of the call to ``emit`` too, from now on; ``close`` (async) is awaited when the
        call ends. The first event is ``session.created`` with the call's session (unless the engine has not
        started: its own ``session.created`` then comes). Returns the function that detaches it."""
        self._sidebands[emit] = close
        if self._started:
            emit({"type": "session.created", "event_id": ids.event_id(),
                  "session": session_resource(self.engine.session)})
        return lambda: self._sidebands.pop(emit, None)

    def receive_text(self, text: str | bytes) -> None:
        """A client event from a sideband: handled by the call's engine, as one from the data channel."""
        if not self._ended.is_set():
            self.engine.receive_text(text)

    # -- events ---------------------------------------------------------------------------------------

    def _send(self, event: dict[str, Any]) -> None:
        for emit in self._sidebands:
            emit(event)
        text = orjson.dumps(event).decode()
        channel = self._channel
        if channel is None or channel.readyState != "open":
            if not self._ended.is_set():
                self._pending.append(text)
            return
        try:
            channel.send(text)
        except Exception:  # the channel closed under us; the call is ending
            self._ended.set()

    def _on_datachannel(self, channel: Any) -> None:
        if self._channel is not None:
            return
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("close", self._ended.set)
        if channel.readyState == "open":
            self._on_open()
        else:
            channel.on("open", self._on_open)

    def _on_open(self) -> None:
        self._opened.set()
        if not self._started:
            self._started = True
            self.engine.start()
        pending, self._pending = self._pending, []
        for text in pending:
            self._channel.send(text)

    def _on_message(self, message: str | bytes) -> None:
        if self._ended.is_set():
            return
        limit = self._host.limits.max_message_bytes
        size = len(message) if isinstance(message, bytes) else len(message.encode("utf-8"))
        if size > limit:
            self._send(ApiError("message_too_large", f"The event is {size} bytes; this server takes events of at "
                                f"most {limit} bytes.").to_event())
            return
        self.engine.receive_text(message)

    def _on_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed") or self.pc.iceConnectionState in ("failed", "closed"):
            self._ended.set()

    # -- input audio ----------------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read_audio(track), name="webrtc call audio")

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        resampler: av.AudioResampler | None = None
        key = None
        push = self.engine.push_audio
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if (frame.format.name, frame.layout.name, frame.sample_rate) != key:
                key = (frame.format.name, frame.layout.name, frame.sample_rate)
                resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            frame.pts = None  # gaps from packet loss: the stream of samples is what counts
            assert resampler is not None
            for out in resampler.resample(frame):
                push(out.to_ndarray().tobytes())

    # -- lifetime -------------------------------------------------------------------------------------

    async def _lifetime(self) -> None:
        self._calls[self.id] = self
        self._host.register(self)
        try:
            if not await _first(self._opened, self._ended, timeout=self._host.limits.call_connect_timeout_s):
                logger.info("webrtc call %s: the peer did not connect within %.1f s; ending it", self.id,
                            self._host.limits.call_connect_timeout_s)
                self._ended.set()
            await self._ended.wait()
        finally:
            await self._cleanup()
            self._calls.pop(self.id, None)
            self._host.unregister(self)

    async def _cleanup(self) -> None:
        self._ended.set()
        await self.engine.close()
        self.track.stop()
        self.track.clear()
        self._pending.clear()
        await self.pc.close()
        sidebands, self._sidebands = list(self._sidebands.values()), {}
        for close in sidebands:
            await close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        logger.info("webrtc call %s ended", self.id)


async def _first(*events: asyncio.Event, timeout: float) -> bool:
    """Wait until one of ``events`` is set; False when ``timeout`` seconds pass first."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
    return bool(done)


# --- HTTP --------------------------------------------------------------------------------------------


class CallEndpoint:
    """``POST /v1/realtime/calls`` and ``.../{call_id}/hangup`` for one host; ``calls`` holds the live calls."""

    def __init__(self, host: SessionHost) -> None:
        self._host = host
        self.calls: dict[str, WebRTCCall] = {}

    async def create(self, request: web.Request) -> web.Response:
        host = self._host
        token = request_token(request)
        credential = token if host.credentials.required else None
        try:
            session = self._granted_session(token)
            self._check_room(credential)
            offer, session = await self._read_offer(request, session)
        except ApiError as exc:
            return exc.to_response()
        model = (session or {}).get("model") or request.query.get("model")
        secret = token if token is not None and token.startswith("ek_") else None
        call = WebRTCCall(host, self.calls, session=session, model=model, credential=credential, secret=secret)
        self.calls[call.id] = call  # counted from now on, while its answer is made
        try:
            answer = await call.answer(offer)
        except Exception as exc:  # aiortc raises ValueError & co. on an offer it cannot answer
            await call.close()
            self.calls.pop(call.id, None)
            return ApiError("invalid_value", f"The SDP offer could not be answered: {type(exc).__name__}: {exc}",
                            "sdp").to_response()
        call.run()
        return web.Response(status=201, text=answer, content_type="application/sdp",
                            headers={"Location": f"{PATH}/{call.id}"})

    def _check_room(self, credential: str | None) -> None:
        """Refuse (HTTP 429) a call beyond ``max_sessions`` or beyond ``max_calls_per_key`` for ``credential``."""
        limits = self._host.limits
        answering = sum(1 for call in self.calls.values() if not call.running)
        if self._host.session_count + answering >= limits.max_sessions:
            raise sessions_exhausted(limits.max_sessions)
        if sum(1 for call in self.calls.values() if call.credential == credential) >= limits.max_calls_per_key:
            raise calls_exhausted(limits.max_calls_per_key)

    def _granted_session(self, token: str | None) -> dict[str, Any] | None:
        """The session an ``ek_…`` secret was minted with (None for the API key); refusals are 401s."""
        if token is not None and token.startswith("ek_"):
            return self._host.client_secrets.check(token).session
        if not self._host.credentials.accepts(token, allow_secret=False):
            raise invalid_api_key()
        return None

    async def _read_offer(self, request: web.Request, session: dict[str, Any] | None) -> tuple[str, Any]:
        """The SDP offer, and the call's session: ``session`` or else the multipart ``session`` field's."""
        if request.content_type.startswith("multipart/"):
            try:
                form = await request.post()
            except (UnicodeDecodeError, ValueError):
                raise ApiError("invalid_value", "The multipart body could not be read.", "sdp") from None
            offer = form.get("sdp")
            offer = offer if isinstance(offer, str) else None
            if form.get("session") is not None and session is None:
                try:
                    requested = orjson.loads(str(form["session"]))
                except orjson.JSONDecodeError:
                    raise ApiError("invalid_json", "The 'session' field is not valid JSON.", "session") from None
                session = self._host.session_for(validate_session(requested))
        elif request.content_type == "application/sdp":
            try:
                offer = (await request.read()).decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError("invalid_value", "The SDP offer is not valid UTF-8 text.", "sdp") from None
        else:
            raise ApiError("invalid_content_type",
                           "Send the SDP offer as application/sdp (or multipart/form-data with 'sdp').")
        if not offer or "m=" not in offer:
            raise ApiError("invalid_value", "The SDP offer is missing or empty.", "sdp")
        return offer, session

    def live_call(self, call_id: str, token: str | None) -> WebRTCCall:
        """The live call ``call_id`` if ``token`` may control it; else the service's 404 (an unknown, ended or
        someone else's call look the same)."""
        call = self.calls.get(call_id)
        if call is None or call.ended or not call.running or not call.controllable_by(token):
            raise call_id_not_found()
        return call

    async def hangup(self, request: web.Request) -> web.Response:
        try:
            call = self.live_call(request.match_info["call_id"], request_token(request))
        except ApiError as exc:
            return exc.to_response()
        await call.close()
        return web.Response(status=200)
