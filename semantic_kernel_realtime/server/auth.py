"""Who may use the server: an optional API key and ephemeral client secrets.

Rules: with no API key configured every request is accepted. Otherwise a request must present the key
(or an unexpired ephemeral secret registered with :meth:`Credentials.add_client_secret`) as
``Authorization: Bearer <key>``, an ``api-key`` header (Azure style), or the browser WebSocket
subprotocol ``openai-insecure-api-key.<key>``; failures get HTTP 401 before any upgrade.
Keys are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import time

from aiohttp import web

_SUBPROTOCOL_PREFIX = "openai-insecure-api-key."


class Credentials:
    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key
        self._secrets: dict[str, float] = {}  # ephemeral secret -> expiry (epoch seconds)

    @property
    def required(self) -> bool:
        return self._api_key is not None

    def add_client_secret(self, value: str, expires_at: float) -> None:
        """Accept ``value`` until ``expires_at`` (issue 6's ``POST /v1/realtime/client_secrets``)."""
        self._secrets[value] = expires_at

    def accepts(self, token: str | None, *, allow_api_key: bool = True, allow_secret: bool = True) -> bool:
        if not self.required:
            return True
        if not token:
            return False
        if allow_api_key and self._api_key is not None and hmac.compare_digest(token.encode(), self._api_key.encode()):
            return True
        if allow_secret:
            now = time.time()
            for expired in [s for s, exp in self._secrets.items() if exp <= now]:
                del self._secrets[expired]
            return any(hmac.compare_digest(token.encode(), s.encode()) for s in self._secrets)
        return False


def request_token(request: web.Request) -> str | None:
    """The credential a request presents, from whichever place clients put it."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    if "api-key" in request.headers:
        return request.headers["api-key"].strip()
    for protocol in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
        protocol = protocol.strip()
        if protocol.startswith(_SUBPROTOCOL_PREFIX):
            return protocol[len(_SUBPROTOCOL_PREFIX):]
    return None


def unauthorized() -> web.Response:
    return web.json_response(
        {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                   "code": "invalid_api_key", "param": None}},
        status=401,
    )
