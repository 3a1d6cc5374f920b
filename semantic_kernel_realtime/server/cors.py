"""CORS for the browser-facing endpoints: a browser page on another origin may mint, call and hang up.

Rules:
- ``origins``: the allowed origins (``scheme://host[:port]``, compared exactly), or ``"*"`` for any; an
  empty list turns CORS off (no header is ever added, preflights get 405 as before).
- A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered here, before
  any credential check (browsers send preflights without credentials): 204 with the allowed method and
  the requested headers for an allowed origin, 403 for another. Other ``OPTIONS`` requests go on as usual.
- Every other answer to an allowed origin, refusals included (a 401 the page must be able to read), gets
  ``Access-Control-Allow-Origin`` and ``Access-Control-Expose-Headers: Location`` (where the WebRTC call id
  is). Credentials are bearer headers, never cookies: ``Allow-Credentials`` is not sent. WebSocket upgrades
  are not CORS requests and are left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

__all__ = ["CorsPolicy"]

_MAX_AGE_S = "600"
_ALLOWED_METHODS = "GET, POST, OPTIONS"
_DEFAULT_HEADERS = "Authorization, Content-Type, api-key, OpenAI-Beta, OpenAI-Organization, OpenAI-Project"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CorsPolicy:
    """Which origins may use the server from a browser, and the aiohttp middleware that says so."""

    def __init__(self, origins: str | Iterable[str] | None = "*") -> None:
        origins = [origins] if isinstance(origins, str) else list(origins or ())
        self.any_origin = "*" in origins
        self.origins = frozenset(o.rstrip("/") for o in origins if o != "*")

    @property
    def enabled(self) -> bool:
        return self.any_origin or bool(self.origins)

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    def _headers(self, origin: str) -> dict[str, str]:
        return {"Access-Control-Allow-Origin": "*" if self.any_origin else origin, "Vary": "Origin",
                "Access-Control-Expose-Headers": "Location"}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None or not self.enabled:
            return await handler(request)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return self._preflight(request, origin)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if self.allows(origin):
                exc.headers.update(self._headers(origin))
            raise
        if self.allows(origin) and not response.prepared:  # a WebSocket upgrade was prepared already
            response.headers.update(self._headers(origin))
        return response

    def _preflight(self, request: web.Request, origin: str) -> web.Response:
        if not self.allows(origin):
            return web.Response(status=403, text=f"CORS: the origin {origin} is not allowed by this server.")
        headers = self._headers(origin)
        headers["Access-Control-Allow-Methods"] = _ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers",
                                                                      _DEFAULT_HEADERS)
        headers["Access-Control-Max-Age"] = _MAX_AGE_S
        return web.Response(status=204, headers=headers)
