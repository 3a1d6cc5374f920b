"""The browser console: ``GET /console`` serves one static page, ``POST /console/session`` mints its secret.

The page (``console.html`` beside this module: plain HTML and JavaScript, no build step) gets an
ephemeral secret from a backend, makes a WebRTC call with the microphone, shows both sides' transcripts,
tool calls and their results, and the events, and plays the answer. Any backend that answers like
``POST /console/session`` can serve it (:class:`~semantic_kernel_realtime.connectors.backend.ClientSecretMinter`
does, against the real service too); see ``docs/browser.md``.

Rules:
- ``POST /console/session`` is this server acting as the page's backend: it mints like
  ``/v1/realtime/client_secrets`` (only the API key may, when one is configured: the page cannot hold
  it, so a keyed server's console needs a backend of its own) with the session decided here, never by
  the browser: the server's defaults with input transcription on. It answers
  ``{"value", "expires_at", "calls_url"}``: the secret and where to POST the SDP offer.
- The page is read from the package at each request (small, and edits show without a restart).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aiohttp import web

from semantic_kernel_realtime.server.auth import invalid_api_key, request_token
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.validation import validate_session

__all__ = ["CONSOLE_SESSION", "PAGE", "PATH", "ConsoleEndpoint"]

PATH = "/console"
#: the console page itself, for backends that serve it
PAGE = Path(__file__).with_name("console.html")
#: what the console's calls start with, on top of the server's defaults
CONSOLE_SESSION: dict[str, Any] = {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}}
SECRET_TTL_S = 600


class ConsoleEndpoint:
    """The console's two routes on one host."""

    def __init__(self, host: SessionHost) -> None:
        self._host = host

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self.page)
        app.router.add_post(PATH + "/session", self.session)

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=PAGE.read_bytes(), content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def session(self, request: web.Request) -> web.Response:
        host = self._host
        if not host.credentials.accepts(request_token(request), allow_secret=False):
            return invalid_api_key().to_response()
        try:
            merged = host.session_for(validate_session(CONSOLE_SESSION))
        except ApiError as exc:
            return exc.to_response()
        secret = host.client_secrets.mint(merged, expires_at=time.time() + SECRET_TTL_S)
        calls_url = f"{request.url.origin()}/v1/realtime/calls"
        return web.json_response({"value": secret.value, "expires_at": secret.expires_at, "calls_url": calls_url},
                                 headers={"Cache-Control": "no-store"})
