"""Who may use the server: an optional API key and the ephemeral client secrets minted from it.

Rules:
- With no API key configured every request is accepted. Otherwise a request must present the key (or an
  unexpired ephemeral secret registered with :meth:`Credentials.add_client_secret`) as
  ``Authorization: Bearer <key>``, an ``api-key`` header (Azure style), or the browser WebSocket
  subprotocol ``openai-insecure-api-key.<key>``; failures get HTTP 401 (:func:`invalid_api_key`) before
  any upgrade.
- :class:`ClientSecretStore` remembers each minted ``ek_…`` secret's expiry and session: a WebRTC call
  presenting the secret starts with that session. Expired secrets are remembered for an hour after expiry
  so a refusal can say *expired* rather than *unknown* (:class:`SecretRefused`, HTTP 401).
- Keys and secrets are compared in constant time and never logged; each refusal is logged (a warning saying
  whether a credential was presented at all), so a server operator sees why a client cannot connect.
"""

from __future__ import annotations

import copy
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from semantic_kernel_realtime.server import ids
from semantic_kernel_realtime.server.errors import ApiError

logger = logging.getLogger(__name__)

_SUBPROTOCOL_PREFIX = "openai-insecure-api-key."
_REMEMBER_EXPIRED_S = 3600


def invalid_api_key() -> ApiError:
    """The service's refusal of a missing or wrong key (HTTP 401)."""
    return ApiError("invalid_api_key", "Incorrect API key provided.", status=401)


class Credentials:
    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key
        self._secrets: dict[str, float] = {}  # ephemeral secret -> expiry (epoch seconds)

    @property
    def required(self) -> bool:
        return self._api_key is not None

    def add_client_secret(self, value: str, expires_at: float) -> None:
        """Accept ``value`` until ``expires_at`` (``POST /v1/realtime/client_secrets`` registers its secrets)."""
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


# --- ephemeral client secrets -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSecret:
    value: str
    expires_at: int
    #: the merged GA session a call made with this secret starts with
    session: dict[str, Any]


class SecretRefused(ApiError):
    """A presented ``ek_…`` value is not usable (HTTP 401 saying why)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=401)


class ClientSecretStore:
    """Minted secrets. ``clock`` returns epoch seconds (tests may move it)."""

    def __init__(self, credentials: Credentials, clock: Callable[[], float] = time.time) -> None:
        self._credentials = credentials
        self._clock = clock
        self._secrets: dict[str, ClientSecret] = {}

    def mint(self, session: dict[str, Any], *, expires_at: float) -> ClientSecret:
        """Register a new secret for ``session`` (a full merged session) until ``expires_at``."""
        secret = ClientSecret(ids.client_secret(), int(expires_at), copy.deepcopy(session))
        self._forget_old()
        self._secrets[secret.value] = secret
        self._credentials.add_client_secret(secret.value, secret.expires_at)  # usable on /v1/ too
        return secret

    def check(self, token: str) -> ClientSecret:
        """The secret ``token`` names, if still valid; else :class:`SecretRefused` saying why."""
        found = next((s for v, s in self._secrets.items() if hmac.compare_digest(v.encode(), token.encode())), None)
        if found is None:
            raise SecretRefused("invalid_client_secret", "The client secret is not valid (unknown to this server).")
        if found.expires_at <= self._clock():
            raise SecretRefused(
                "client_secret_expired",
                "The client secret has expired; mint a new one with POST /v1/realtime/client_secrets.",
            )
        return found

    def _forget_old(self) -> None:
        horizon = self._clock() - _REMEMBER_EXPIRED_S
        for value in [v for v, s in self._secrets.items() if s.expires_at < horizon]:
            del self._secrets[value]
