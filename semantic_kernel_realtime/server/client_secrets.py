"""``POST /v1/realtime/client_secrets``: ephemeral ``ek_…`` secrets, each bound to a session config.

Rules:
- Only the API key may mint (an ephemeral secret cannot mint another); with no key configured anyone may,
  as everywhere on this server. The key is checked by the app's middleware and again here.
- Body (JSON object, every field optional): ``session``, a GA realtime session validated strictly with
  the openai types (as a ``session.update`` would be; transcription sessions are refused: not
  implemented here), and ``expires_after`` ``{"anchor": "created_at", "seconds": 10..7200}`` (default
  600 s, as the service). Errors are HTTP 400 with the service's ``{"error": {...}}`` shape.
- The answer is ``{"value": "ek_…", "expires_at": <unix>, "session": <merged session>}``: the server's
  defaults merged with the request's session, shown as the service shows it (``id``, ``object``,
  ``expires_at: 0``, since no session runs yet).
- The :class:`ClientSecretStore` remembers each secret's expiry and session: a WebRTC call presenting
  the secret starts with that session. Expired secrets are remembered for an hour after expiry so a
  refusal can say *expired* rather than *unknown*. Secrets are compared in constant time, never logged.
"""

from __future__ import annotations

import copy
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from semantic_kernel_realtime.server import ids, session_config
from semantic_kernel_realtime.server.auth import Credentials, request_token, unauthorized
from semantic_kernel_realtime.server.session_config import SessionUpdateError
from semantic_kernel_realtime.server.validation import EventValidationError, validate_client_event

if TYPE_CHECKING:
    from semantic_kernel_realtime.server.app import LocalRealtimeServer

PATH = "/v1/realtime/client_secrets"
DEFAULT_TTL_S = 600
MIN_TTL_S, MAX_TTL_S = 10, 7200
_REMEMBER_EXPIRED_S = 3600


@dataclass(frozen=True)
class ClientSecret:
    value: str
    expires_at: int
    #: the merged GA session a call made with this secret starts with
    session: dict[str, Any]


class SecretRefused(Exception):
    """A presented ``ek_…`` value is not usable; ``code`` and ``message`` go into the 401 body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


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


def add_routes(app: web.Application, prefix: str = "") -> None:
    app.router.add_post(prefix + PATH, create_client_secret)


def bad_request(message: str, param: str | None = None, code: str = "invalid_value") -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "code": code, "param": param}}, status=400
    )


def merged_session(server: LocalRealtimeServer, session: dict[str, Any] | None) -> dict[str, Any]:
    """The server's defaults merged with ``session`` (already validated); raises SessionUpdateError."""
    model = (session or {}).get("model") or server.model
    merged = session_config.default_session(model, server.session_defaults)
    if session:
        merged = session_config.merge_session(merged, session, audio_started=False)
    return merged


def validate_session(session: Any) -> dict[str, Any]:
    """Check a request's ``session`` with the GA types; raises EventValidationError (param ``session...``)."""
    if not isinstance(session, dict):
        raise EventValidationError("invalid_type", "Invalid type for 'session': expected an object.", "session")
    if session.get("type", "realtime") != "realtime":
        raise EventValidationError(
            "invalid_value", "Only realtime sessions are supported by this server (not transcription sessions).",
            "session.type",
        )
    validate_client_event({"type": "session.update", "session": session})
    return session


async def create_client_secret(request: web.Request) -> web.Response:
    from semantic_kernel_realtime.server.app import SERVER_KEY

    server: LocalRealtimeServer = request.app[SERVER_KEY]
    if not server.credentials.accepts(request_token(request), allow_secret=False):
        return unauthorized()
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        return bad_request("The request body is not valid JSON.", code="invalid_json")
    if not isinstance(body, dict):
        return bad_request("The request body must be a JSON object.", code="invalid_type")
    unknown = sorted(set(body) - {"session", "expires_after"})
    if unknown:
        return bad_request(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    try:
        ttl = _ttl(body.get("expires_after"))
        session = validate_session(body["session"]) if body.get("session") is not None else None
        merged = merged_session(server, session)
    except (EventValidationError, SessionUpdateError) as exc:
        return bad_request(exc.message, exc.param, exc.code)
    now = time.time()
    secret = server.client_secrets.mint(merged, expires_at=now + ttl)
    shown = copy.deepcopy(merged)
    shown["expires_at"] = 0
    return web.json_response({"value": secret.value, "expires_at": secret.expires_at, "session": shown})


def _ttl(expires_after: Any) -> int:
    if expires_after is None:
        return DEFAULT_TTL_S
    if not isinstance(expires_after, dict):
        raise EventValidationError("invalid_type", "Invalid type for 'expires_after': expected an object.",
                                   "expires_after")
    unknown = sorted(set(expires_after) - {"anchor", "seconds"})
    if unknown:
        param = f"expires_after.{unknown[0]}"
        raise EventValidationError("unknown_parameter", f"Unknown parameter: '{param}'.", param)
    if expires_after.get("anchor", "created_at") != "created_at":
        raise EventValidationError("invalid_value", "Invalid value for 'expires_after.anchor': only 'created_at'.",
                                   "expires_after.anchor")
    seconds = expires_after.get("seconds", DEFAULT_TTL_S)
    if type(seconds) is not int:
        raise EventValidationError("invalid_type", "Invalid type for 'expires_after.seconds': expected an integer.",
                                   "expires_after.seconds")
    if not MIN_TTL_S <= seconds <= MAX_TTL_S:
        raise EventValidationError(
            "invalid_value", f"Invalid value for 'expires_after.seconds': {seconds}; it must be between "
            f"{MIN_TTL_S} and {MAX_TTL_S}.", "expires_after.seconds",
        )
    return seconds
