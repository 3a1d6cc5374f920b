"""``LocalRealtimeServer``: the embedded OpenAI Realtime GA server on aiohttp.

Rules:
- One aiohttp application, one port. Routes live in ``self.app`` (created in the constructor) so other
  endpoints can be added before ``start()``. The endpoints (``websocket``, ``client_secrets``, ``webrtc``)
  are objects given this server as their :class:`~.host.SessionHost` and registered from one table; they
  never import this module. SIP calls (``sip``; ``self.sip.ring(...)`` rings an app's webhook) share
  the ``/v1/realtime`` and ``.../hangup`` routes, handing on what is not theirs. A WebRTC call runs
  :meth:`create_engine` with its own sink.
- The API-key check is a middleware on ``/v1/``: HTTP 401 before any WebSocket upgrade. CORS
  (:mod:`.cors`) is the outer middleware, so browser preflights are answered without credentials and
  refusals carry CORS headers too.
- ``GET /v1/realtime?call_id=`` attaches a sideband to a live SIP call (:mod:`.sip`) or WebRTC call
  (:mod:`.sideband`); ``/console`` serves the browser console (:mod:`.console`).
- Speech engines and the responder are shared by all sessions; engines are picked once at ``start()``
  (in a worker thread: loading a model must not block the loop) unless given explicitly.
- ``stop()`` closes every live connection (WebSocket close 1001), waits for their handlers, then stops
  the site; no task is left running.
- When a connection ends, the C heap is trimmed (:mod:`.memory`, glibc only, at most every 5 s) so the
  memory its session freed goes back to the operating system.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from semantic_kernel_realtime.server import client_secrets, console, session_config, sideband, sip, webrtc, websocket
from semantic_kernel_realtime.server.auth import ClientSecretStore, Credentials, invalid_api_key, request_token
from semantic_kernel_realtime.server.cors import CorsPolicy
from semantic_kernel_realtime.server.engine import SessionEngine
from semantic_kernel_realtime.server.gemini import dialect as gemini_dialect
from semantic_kernel_realtime.server.limits import ServerLimits
from semantic_kernel_realtime.server.memory import MemoryReleaser
from semantic_kernel_realtime.server.responder import Responder, RuleResponder
from semantic_kernel_realtime.server.sinks import AudioSink, Emit
from semantic_kernel_realtime.server.speech.base import Synthesizer, Transcriber
from semantic_kernel_realtime.server.speech.fallback import ToneSynthesizer

logger = logging.getLogger(__name__)

_DEFAULT: Any = object()  # "pick the installed engine" marker
#: Route prefixes served: OpenAI's ``/v1/...`` and Azure OpenAI's GA ``/openai/v1/...``.
PREFIXES = ("", "/openai")
_GUARDED = tuple(prefix + "/v1/" for prefix in PREFIXES)
#: paths whose handler checks credentials itself (a WebRTC call accepts only a valid ek_ secret or the key)
_SELF_AUTHENTICATED = frozenset(prefix + webrtc.PATH for prefix in PREFIXES)


class LocalRealtimeServer:
    """A real OpenAI Realtime GA server on ``host:port`` (loopback by default; port 0 = any free port).

    Args:
        api_key: when set, requests must present it (Bearer, ``api-key`` header or WS subprotocol).
        responder: what the "model" says; default :class:`RuleResponder`.
        transcriber / synthesizer: speech engines; default: the offline engines when installed
            (PocketSphinx, eSpeak NG), else no transcriber and the tone stand-in. ``None`` as transcriber
            means none.
        speech: False skips engine discovery entirely (no transcriber, tone synthesizer): fast tests.
        output_audio_pace: None streams response audio as fast as the socket takes it; 1.0 paces it in
            real time (other values scale the speed).
        session: session fields applied to every new session (merged like a ``session.update``).
        model: the model name reported when the client does not pass ``?model=``.
        ssl_context: serve ``https``/``wss`` with this context (see :mod:`.tls`: a self-signed pair or
            yours); the URLs then say so.
        gemini_session_limit: seconds a Gemini Live connection may last (``goAway`` comes first), None: no
            limit (the duration cap emulation of the Gemini dialect).
        max_session_seconds: seconds an OpenAI-protocol WebSocket session may last (``expires_at`` in
            ``session.created``; then an ``error`` ``session_expired`` and a close 1001), None: no limit.

    The Gemini Live dialect (:mod:`.gemini.dialect`) is served on the same port, driving the same engine.
        limits: the bounds the server enforces (:class:`~.limits.ServerLimits`; default: safe defaults).
        cors_origins: the origins whose browser pages may mint secrets, make and hang up calls
            (``"*"``, the default: any; an empty list: none, no CORS headers at all).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        responder: Responder | None = None,
        transcriber: Transcriber | None = _DEFAULT,
        synthesizer: Synthesizer | None = _DEFAULT,
        speech: bool = True,
        output_audio_pace: float | None = None,
        session: dict[str, Any] | None = None,
        model: str | None = None,
        ssl_context: Any | None = None,
        gemini_session_limit: float | None = None,
        limits: ServerLimits | None = None,
        cors_origins: str | Sequence[str] | None = "*",
        max_session_seconds: float | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self._requested_port = port
        self.credentials = Credentials(api_key)
        self.responder: Responder = responder or RuleResponder()
        self._transcriber = transcriber if transcriber is not _DEFAULT or speech else None
        self._synthesizer = synthesizer if synthesizer is not _DEFAULT or speech else ToneSynthesizer()
        self.output_audio_pace = output_audio_pace
        self.session_defaults = session
        self.model = model
        self.limits = limits or ServerLimits()
        self.client_secrets = ClientSecretStore(self.credentials)
        self.cors = CorsPolicy(cors_origins)
        self.app = web.Application(middlewares=[self.cors.middleware, self._auth_middleware])
        self._add_routes()
        self.gemini = gemini_dialect.add_routes(self.app, self)
        self.gemini.session_limit = gemini_session_limit
        self.max_session_seconds = max_session_seconds
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._connections: dict[Any, asyncio.Task[Any] | None] = {}
        self._memory = MemoryReleaser()

    def _add_routes(self) -> None:
        """Every endpoint, under each prefix; each endpoint is handed this server as its host."""
        calls = webrtc.CallEndpoint(self)
        self.app[webrtc.CALLS_KEY] = calls.calls
        router = self.app.router
        attach = sideband.SidebandEndpoint(self, calls).attach
        #: SIP calls (:mod:`.sip`): its sideband attach and hang-up hand on what is not a SIP call
        self.sip = sip.SipEndpoint(self, hangup_other=calls.hangup,
                                   websocket=websocket.WebSocketEndpoint(self, sideband=attach).handle)
        routes = (
            (router.add_get, websocket.PATH, self.sip.realtime),
            (router.add_post, client_secrets.PATH, client_secrets.ClientSecretEndpoint(self).create),
            (router.add_post, webrtc.PATH, calls.create),
            (router.add_post, webrtc.PATH + "/{call_id}/hangup", self.sip.hangup),
            *((router.add_post, path, handler) for path, handler in self.sip.control_routes()),
        )
        for prefix in PREFIXES:
            for add, path, handler in routes:
                add(prefix + path, handler)
        console.ConsoleEndpoint(self).add_routes(self.app)

    # --- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> LocalRealtimeServer:
        if self._runner is not None:
            return self
        await self._pick_engines()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server  # aiohttp keeps the bound socket here
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1] if sockets else self._requested_port
        logger.info("realtime server listening on %s (api key %s)", self.base_url,
                    "required" if self.credentials.required else "not required")
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        connections = list(self._connections.items())
        for connection, _ in connections:
            if isinstance(connection, web.WebSocketResponse):
                await connection.close(code=1001, message=b"server shutting down")
            else:
                await connection.close()
        handlers = [task for _, task in connections if task is not None and not task.done()]
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=5)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        await runner.cleanup()
        await self._memory.close()
        self._port = None

    async def __aenter__(self) -> LocalRealtimeServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _pick_engines(self) -> None:
        if self._transcriber is _DEFAULT or self._synthesizer is _DEFAULT:
            from semantic_kernel_realtime.server.speech import defaults

            if self._transcriber is _DEFAULT:
                self._transcriber = await asyncio.to_thread(defaults.default_transcriber)
            if self._synthesizer is _DEFAULT:
                self._synthesizer = await asyncio.to_thread(defaults.default_synthesizer)
        logger.info("realtime server speech engines: transcriber=%s synthesizer=%s",
                    getattr(self._transcriber, "name", None), getattr(self._synthesizer, "name", None))

    # --- addresses ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port/v1`` (``https`` with TLS): pass as ``AsyncOpenAI(base_url=...)``."""
        return f"{self._scheme}://{self._url_host}:{self.port}/v1"

    @property
    def ws_url(self) -> str:
        """``ws://host:port/v1/realtime`` (``wss`` with TLS; add ``?model=...``)."""
        return f"{self._scheme.replace('http', 'ws')}://{self._url_host}:{self.port}/v1/realtime"

    @property
    def console_url(self) -> str:
        """``http(s)://host:port/console``: the browser console (open it in a browser)."""
        return f"{self._scheme}://{self._url_host}:{self.port}{console.PATH}"

    @property
    def gemini_base_url(self) -> str:
        """``http(s)://host:port``: the base URL for Gemini Live clients (``GoogleLiveWebsocket(base_url=...)``,
        google-genai's ``HttpOptions(base_url=...)``)."""
        return f"{self._scheme}://{self._url_host}:{self.port}"

    @property
    def _scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def transcriber(self) -> Transcriber | None:
        return None if self._transcriber is _DEFAULT else self._transcriber

    @property
    def synthesizer(self) -> Synthesizer:
        return ToneSynthesizer() if self._synthesizer in (_DEFAULT, None) else self._synthesizer

    @property
    def session_count(self) -> int:
        return len(self._connections)

    # --- what transports use -----------------------------------------------------------------------

    def create_engine(
        self, emit: Emit, *, sink: AudioSink | None = None, model: str | None = None,
        session: dict[str, Any] | None = None,
    ) -> SessionEngine:
        """A session engine configured like this server's; the caller feeds it and closes it.

        ``session``: the session fields to start with instead of the server's defaults (a client
        secret's session, which already includes them)."""
        return SessionEngine(
            emit, sink=sink, responder=self.responder, transcriber=self.transcriber, synthesizer=self.synthesizer,
            model=model or self.model, session=self.session_defaults if session is None else session,
            limits=self.limits,
        )

    def session_for(self, session: dict[str, Any] | None) -> dict[str, Any]:
        """This server's default session merged with ``session`` (validated already): what a client secret
        or a WebRTC call starts with. Raises :class:`~.session_config.SessionUpdateError`."""
        model = (session or {}).get("model") or self.model
        merged = session_config.default_session(model, self.session_defaults)
        if session:
            merged = session_config.merge_session(merged, session, audio_started=False, fresh=True)
        return merged

    def register(self, connection: Any) -> None:
        """Track a live connection so ``stop()`` can close it, then await the task that registered it.

        ``connection`` is an aiohttp ``WebSocketResponse`` (closed with 1001) or any object with an
        ``async close()`` (e.g. a WebRTC call); the registering task must end once it is closed.
        """
        self._connections[connection] = asyncio.current_task()

    def unregister(self, connection: Any) -> None:
        if connection in self._connections:
            del self._connections[connection]
            self._memory.session_ended()  # its buffers were just freed: hand the pages back (glibc)

    @web.middleware
    async def _auth_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(_GUARDED) and request.path not in _SELF_AUTHENTICATED \
                and not self.credentials.accepts(request_token(request)):
            return invalid_api_key().to_response()
        return await handler(request)
