"""The backend side of a browser app: mint ephemeral client secrets for your pages, with the session
decided on your server.

A browser must never hold your API key. The page asks your backend for a short-lived ``ek_…`` secret,
then talks to the realtime service directly over WebRTC (its media never passes through your backend);
your backend may attach a sideband to the call by its id to run tools with its own credentials
(``OpenAIRealtimeWebsocket(call_id=...)``, ``connectors/sideband.py``). ``docs/browser.md`` shows both.

Rules:
- :class:`ClientSecretMinter` holds an endpoint (OpenAI, Azure, or the embedded server) with the
  long-lived credential, and the session every secret is minted with: a GA session object, and/or
  execution settings with a kernel whose functions become the tools. The browser's request decides
  nothing (its body is not read).
- :meth:`ClientSecretMinter.mint` POSTs to the endpoint's ``client_secrets_url`` (the credential fetched
  per mint, as the connectors do) and returns ``{"value", "expires_at", "calls_url"}``: the secret, its
  expiry and where the page POSTs its SDP offer: what the browser console (``/console``) expects.
- :meth:`~ClientSecretMinter.aiohttp_handler` and :meth:`~ClientSecretMinter.starlette_endpoint` are
  ready-made routes (aiohttp; FastAPI/Starlette, imported only when used). A failure to mint answers HTTP
  502 with ``{"error": {"message"}}``; no message contains a key. Authenticating *your* users before
  minting is the app's business (wrap the handler).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.connectors.endpoints import Endpoint
from semantic_kernel_realtime.connectors.webrtc import request_client_secret
from semantic_kernel_realtime.errors import RealtimeError
from semantic_kernel_realtime.protocol.openai import OpenAICodec

__all__ = ["ClientSecretMinter"]


class ClientSecretMinter:
    """Mints client secrets for browser pages at ``endpoint``, each bound to the same server-side session.

    Args:
        endpoint: where to mint (``OpenAIEndpoint``, ``AzureEndpoint``; or ``connector.realtime_endpoint``).
        session: GA session fields (``instructions``, ``audio``, ``tools``...), applied last.
        settings / kernel: execution settings turned into the session as a connector would (the kernel's
            functions become ``tools`` when ``settings.function_choice_behavior`` asks for them).
        model: the model (Azure: the deployment), unless ``session`` names one.
        expires_after_seconds: the secret's lifetime (the service's default, 600 s, when None).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        session: Mapping[str, Any] | None = None,
        settings: PromptExecutionSettings | None = None,
        kernel: Kernel | None = None,
        model: str | None = None,
        expires_after_seconds: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.expires_after_seconds = expires_after_seconds
        configured: dict[str, Any] = {"type": "realtime"}
        if settings is not None or kernel is not None:
            configured.update(OpenAICodec.session_object(OpenAICodec.prepare_settings(settings, kernel)))
        configured.update(copy.deepcopy(dict(session or {})))
        if model and "model" not in configured:
            configured["model"] = model
        self._session = configured

    @classmethod
    def for_connector(cls, connector: Any, **kwargs: Any) -> ClientSecretMinter:
        """A minter at ``connector``'s endpoint (OpenAI or Azure), for its model or deployment."""
        kwargs.setdefault("model", connector.ai_model_id)
        return cls(connector.realtime_endpoint, **kwargs)

    @property
    def session(self) -> dict[str, Any]:
        """The GA session every secret is minted with (a copy)."""
        return copy.deepcopy(self._session)

    async def mint(self) -> dict[str, Any]:
        """A new secret: ``{"value": "ek_…", "expires_at": <unix seconds>, "calls_url": "…/realtime/calls"}``."""
        answer = await request_client_secret(
            self.endpoint.client_secrets_url, await self.endpoint.auth_headers(), self.session,
            expires_after_seconds=self.expires_after_seconds,
        )
        return {"value": answer["value"], "expires_at": answer.get("expires_at"), "calls_url": self.endpoint.calls_url}

    async def aiohttp_handler(self, request: web.Request) -> web.Response:
        """An aiohttp route: ``app.router.add_post("/session", minter.aiohttp_handler)``."""
        try:
            minted = await self.mint()
        except RealtimeError as exc:
            return web.json_response({"error": {"message": str(exc)}}, status=502)
        return web.json_response(minted, headers={"Cache-Control": "no-store"})

    async def starlette_endpoint(self, request: Any) -> Any:
        """A Starlette/FastAPI route: ``app.add_api_route("/session", minter.starlette_endpoint, methods=["POST"])``."""
        from starlette.responses import JSONResponse

        try:
            minted = await self.mint()
        except RealtimeError as exc:
            return JSONResponse({"error": {"message": str(exc)}}, status_code=502)
        return JSONResponse(minted, headers={"Cache-Control": "no-store"})
