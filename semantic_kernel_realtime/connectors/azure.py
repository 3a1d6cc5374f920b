"""Azure OpenAI realtime connectors (GA protocol): WebSocket and WebRTC.

GA endpoints: ``wss://<resource>/openai/v1/realtime?model=<deployment>``; WebRTC:
``POST /openai/v1/realtime/client_secrets`` then ``POST /openai/v1/realtime/calls``. Authentication with an
API key (``api-key`` header) or Microsoft Entra ID: an ``ad_token_provider`` (sync or async callable) or
an Azure ``credential`` whose token is fetched on **every connect**, so a long-running app never uses an
expired token; a WebRTC connector may instead be given a ``client_secret`` minted by your backend.
Environment variables as in Semantic Kernel (``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME``, ``AZURE_OPENAI_API_KEY``). The two classes differ only in
their link (see ``connectors/base.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from semantic_kernel.exceptions import ServiceInitializationError

from semantic_kernel_realtime.connectors.base import Connector, websocket_link
from semantic_kernel_realtime.connectors.endpoints import ENTRA_SCOPE, AzureEndpoint
from semantic_kernel_realtime.connectors.webrtc import WebRTCOptions, webrtc_link
from semantic_kernel_realtime.protocol.openai.settings import AzureRealtimeExecutionSettings

__all__ = ["AzureRealtimeWebRTC", "AzureRealtimeWebsocket"]


class _AzureConfigured(Connector):
    """The Azure fields and their environment handling; ``realtime_endpoint`` is built from them."""

    MODEL_PROVIDER_NAME: ClassVar[str] = "azure.ai.openai"  # OpenTelemetry's gen_ai.provider.name

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
        has_credential = ad_token_provider is not None or credential is not None or kwargs.get("client_secret")
        if api_key is None and not has_credential:
            api_key = os.environ.get("AZURE_OPENAI_API_KEY")
        if api_key is None and not has_credential:
            raise ServiceInitializationError(
                "Azure realtime needs an api_key, an ad_token_provider or a credential (or AZURE_OPENAI_API_KEY)"
                + (", or a client_secret" if "client_secret" in type(self).model_fields else "")
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

    @property
    def realtime_endpoint(self) -> AzureEndpoint:
        return AzureEndpoint(endpoint=self.endpoint, deployment_name=self.deployment_name, api_key=self.api_key,
                             ad_token_provider=self.ad_token_provider, credential=self.credential,
                             token_scope=self.token_scope)

    def get_prompt_execution_settings_class(self) -> type[AzureRealtimeExecutionSettings]:
        return AzureRealtimeExecutionSettings


class AzureRealtimeWebsocket(_AzureConfigured):
    """Azure OpenAI Realtime over WebSocket (GA ``/openai/v1/realtime``)."""

    link = websocket_link


class AzureRealtimeWebRTC(WebRTCOptions, _AzureConfigured):
    """Azure OpenAI Realtime over WebRTC (GA): audio as an Opus track, events on the ``oai-events`` channel.

    Per session: ``POST {endpoint}/openai/v1/realtime/client_secrets`` (``api-key`` header, or an Entra
    bearer token fetched on every connect) with the full session config (``model`` = the deployment)
    mints an ephemeral secret; ``POST {endpoint}/openai/v1/realtime/calls`` carries the SDP offer with it.
    Options as in :class:`~semantic_kernel_realtime.connectors.openai.OpenAIRealtimeWebRTC`.
    """

    link = webrtc_link
