"""Azure OpenAI realtime connectors (GA protocol): WebSocket and WebRTC.

GA endpoints: ``wss://<resource>/openai/v1/realtime?model=<deployment>``; WebRTC:
``POST /openai/v1/realtime/client_secrets`` then ``POST /openai/v1/realtime/calls``. Authentication with an API key
(``api-key`` header) or Microsoft Entra ID: an ``ad_token_provider`` (sync or async callable) or an
Azure ``credential`` whose token is fetched on **every connect**, so a long-running app never uses an
expired token. Environment variables as in Semantic Kernel (``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME``, ``AZURE_OPENAI_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pydantic import Field, SecretStr
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.exceptions import ServiceInitializationError

from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.connectors._common import USER_AGENT, http_url, resolve_token, websocket_url
from semantic_kernel_realtime.connectors.webrtc import WebRTCConnector
from semantic_kernel_realtime.protocol import AzureRealtimeExecutionSettings
from semantic_kernel_realtime.transports.base import Transport
from semantic_kernel_realtime.transports.websocket import WebSocketTransport

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"


class _AzureConfigured(RealtimeClientBase):
    """Fields and environment handling shared by the Azure connectors."""

    endpoint: str
    deployment_name: str
    api_key: SecretStr | None = Field(default=None, repr=False, exclude=True)
    ad_token_provider: Callable[[], Any] | None = Field(default=None, repr=False, exclude=True)
    credential: Any | None = Field(default=None, repr=False, exclude=True)
    token_scope: str = ENTRA_SCOPE

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        deployment_name: str | None = None,
        api_key: str | None = None,
        ad_token_provider: Callable[[], Any] | None = None,
        credential: Any | None = None,
        service_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        endpoint = endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        deployment_name = deployment_name or os.environ.get("AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME")
        if not endpoint or not deployment_name:
            raise ServiceInitializationError(
                "Azure realtime needs an endpoint and a deployment name (arguments, or AZURE_OPENAI_ENDPOINT "
                "and AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME)"
            )
        if api_key is None and ad_token_provider is None and credential is None:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY")
        if api_key is None and ad_token_provider is None and credential is None:
            raise ServiceInitializationError(
                "Azure realtime needs an api_key, an ad_token_provider or a credential (or AZURE_OPENAI_API_KEY)"
            )
        super().__init__(
            ai_model_id=deployment_name,
            service_id=service_id or deployment_name,
            endpoint=endpoint.rstrip("/"),
            deployment_name=deployment_name,
            api_key=SecretStr(api_key) if api_key else None,
            ad_token_provider=ad_token_provider,
            credential=credential,
            **kwargs,
        )

    def get_prompt_execution_settings_class(self) -> type[PromptExecutionSettings]:
        return AzureRealtimeExecutionSettings

    async def _auth_headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if self.api_key is not None:
            headers["api-key"] = self.api_key.get_secret_value()
        else:
            token = await resolve_token(self.ad_token_provider, self.credential, self.token_scope)
            if not token:
                raise ServiceInitializationError("the Entra token provider returned no token")
            headers["Authorization"] = f"Bearer {token}"
        return headers


class AzureRealtimeWebsocket(_AzureConfigured):
    """Azure OpenAI Realtime over WebSocket (GA ``/openai/v1/realtime``)."""

    async def _create_transport(self) -> Transport:
        url = websocket_url(self.endpoint, "/openai/v1/realtime", {"model": self.deployment_name})
        return WebSocketTransport(url, await self._auth_headers())


class AzureRealtimeWebRTC(WebRTCConnector, _AzureConfigured):
    """Azure OpenAI Realtime over WebRTC (GA): audio as an Opus track, events on the ``oai-events`` channel.

    Per session: ``POST {endpoint}/openai/v1/realtime/client_secrets`` (``api-key`` header, or an Entra
    bearer token fetched on every connect) with the full session config (``model`` = the deployment)
    mints an ephemeral secret; ``POST {endpoint}/openai/v1/realtime/calls`` carries the SDP offer with it.
    ``audio_track``, ``ice_servers`` (none by default), ``client_secret`` and ``client_secret_expires_after``
    as in :class:`~semantic_kernel_realtime.connectors.openai.OpenAIRealtimeWebRTC`.
    """

    def __init__(self, *, client_secret: str | None = None, **kwargs: Any) -> None:
        if client_secret and not (kwargs.get("api_key") or kwargs.get("ad_token_provider") or kwargs.get("credential")):
            kwargs["api_key"] = "unused: a client secret was given"  # nothing is minted with it
        super().__init__(client_secret=client_secret, **kwargs)

    def _webrtc_urls(self) -> tuple[str, str]:
        return (http_url(self.endpoint, "/openai/v1/realtime/client_secrets"),
                http_url(self.endpoint, "/openai/v1/realtime/calls"))

    async def _mint_headers(self) -> dict[str, str]:
        return await self._auth_headers()

    def _call_headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT}
