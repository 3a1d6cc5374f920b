"""``POST /v1/realtime/client_secrets``: ephemeral ``ek_…`` secrets, each bound to a session config.

Rules:
- Only the API key may mint (an ephemeral secret cannot mint another); with no key configured anyone may,
  as everywhere on this server. The key is checked by the app's middleware and again here.
- Body (JSON object, every field optional): ``session``, a GA realtime session validated strictly with
  the openai types (as a ``session.update`` would be; a realtime or a transcription session),
  and ``expires_after`` ``{"anchor": "created_at", "seconds": 10..7200}`` (default
  600 s, as the service). Errors are HTTP 400 with the service's ``{"error": {...}}`` shape
  (:class:`~.errors.ApiError`).
- The answer is ``{"value": "ek_…", "expires_at": <unix>, "session": <merged session>}``: the server's
  defaults merged with the request's session, shown as the service shows it (``id``, ``object``,
  ``expires_at: 0``, since no session runs yet). The secret goes into the host's
  :class:`~.auth.ClientSecretStore`, where a WebRTC call presenting it finds its session.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from semantic_kernel_realtime.server.auth import invalid_api_key, request_token
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.host import SessionHost
from semantic_kernel_realtime.server.validation import session_resource, validate_session

PATH = "/v1/realtime/client_secrets"
DEFAULT_TTL_S = 600
MIN_TTL_S, MAX_TTL_S = 10, 7200
_BODY_FIELDS = frozenset({"session", "expires_after"})


class ClientSecretEndpoint:
    """The minting endpoint of one host."""

    def __init__(self, host: SessionHost) -> None:
        self._host = host

    async def create(self, request: web.Request) -> web.Response:
        host = self._host
        if not host.credentials.accepts(request_token(request), allow_secret=False):
            return invalid_api_key().to_response()
        try:
            body = _body(await request.read())
            ttl = _ttl(body.get("expires_after"))
            session = validate_session(body["session"]) if body.get("session") is not None else None
            merged = host.session_for(session)
        except ApiError as exc:
            return exc.to_response()
        secret = host.client_secrets.mint(merged, expires_at=time.time() + ttl)
        shown = session_resource(merged)
        shown["expires_at"] = 0
        return web.json_response({"value": secret.value, "expires_at": secret.expires_at, "session": shown})


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise ApiError("invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_type", "The request body must be a JSON object.")
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise ApiError("unknown_parameter", f"Unknown parameter: '{unknown[0]}'.", unknown[0])
    return body


def _ttl(expires_after: Any) -> int:
    if expires_after is None:
        return DEFAULT_TTL_S
    if not isinstance(expires_after, dict):
        raise ApiError("invalid_type", "Invalid type for 'expires_after': expected an object.", "expires_after")
    unknown = sorted(set(expires_after) - {"anchor", "seconds"})
    if unknown:
        param = f"expires_after.{unknown[0]}"
        raise ApiError("unknown_parameter", f"Unknown parameter: '{param}'.", param)
    if expires_after.get("anchor", "created_at") != "created_at":
        raise ApiError("invalid_value", "Invalid value for 'expires_after.anchor': only 'created_at'.",
                       "expires_after.anchor")
    seconds = expires_after.get("seconds", DEFAULT_TTL_S)
    if type(seconds) is not int:
        raise ApiError("invalid_type", "Invalid type for 'expires_after.seconds': expected an integer.",
                       "expires_after.seconds")
    if not MIN_TTL_S <= seconds <= MAX_TTL_S:
        raise ApiError(
            "invalid_value", f"Invalid value for 'expires_after.seconds': {seconds}; it must be between "
            f"{MIN_TTL_S} and {MAX_TTL_S}.", "expires_after.seconds",
        )
    return seconds
