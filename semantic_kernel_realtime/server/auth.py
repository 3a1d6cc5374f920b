"""Who may use the server: an optional API key and ephemeral client secrets.

Rules: with no API key configured every request is accepted. Otherwise a request must present the key
(or an unexpired ephemeral secret registered with :meth:`Credentials.add_client_secret`) as
``Authorization: Bearer <key>``, an ``api-key`` header (Azure style), or the browser WebSocket
subprotocol ``openai-insecure-api-key.<key>``; failures get HTTP 401 before any upgrade.
Keys are compared in constant time and never logged; each refusal is logged (a warning saying whether a
credential was presented at all), so a server operator sees why a client cannot connect.
"""

from __future__ import annotations

import hmac
import logging
import time

from aiohttp import web

logger = logging.getLogger(__name__)

_SUBPROTOCOL_PREFIX = "openai-insecure-api-key."


class Credentials:
    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key
        self._secrets: dict[str, float] = {}  # ephemeral secret -> expiry (epoch seconds)

    @property
    def required(self) -> bool:
        return self._api_key is not None

    def add_client_secret(self, value: str, expires_at: float) -> None:
        """Accept ``value`` until ``expires_at`` (minted by ``POST /v1/realtime/client_secrets``)."""
        self._secrets[value] = expires_at

    def accepts(self, token: str | None, *, allow_api_key: bool = True, allow_secret: bool = True) -> bool:
        """Whether ``token`` may use the server; a refusal is logged (without the token)."""
        if not self.required:
            return True
        if not token:
            logger.warning("refused a client: no API key presented (the server requires one)")
            return False
        if allow_api_key and self._api_key is not None and hmac.compare_digest(token.encode(), self._api_key.encode()):
            return True
        if allow_secret:
            now = time.time()
            for expired in [s for s, exp in self._secrets.items() if exp <= now]:
                del self._secrets[expired]
            if any(hmac.compare_digest(token.encode(), s.encode()) for s in self._secrets):
                return True
        logger.warning("refused a client: the API key%s it presented is wrong",
                       " or client secret" if allow_secret else "")
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
