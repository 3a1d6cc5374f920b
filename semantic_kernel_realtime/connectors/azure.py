"""Azure OpenAI realtime connectors (GA protocol): WebSocket and WebRTC.

GA endpoints: ``wss://<resource>/openai/v1/realtime?model=<deployment>``; WebRTC:
``POST /openai/v1/realtime/client_secrets`` then ``POST /openai/v1/realtime/calls``. Authentication with an
API key (``api-key`` header) or Microsoft Entra ID: an ``ad_token_provider`` (sync or async callable) or
an Azure ``credential`` whose token is fetched on **every connect**, so a long-running app never uses an
expired token; a WebRTC connector may instead be given a ``client_secret`` minted by your backend.
Settings not passed as arguments are read through Semantic Kernel's own ``AzureOpenAISettings``, as its
Azure services do: ``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME``,
``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_TOKEN_ENDPOINT`` (the Entra ID scope), from the environment or the
``.env`` file ``env_file_path`` names. What is still missing is a :class:`~.base.ConfigurationError` from
the constructor, naming the variables. An ``endpoint`` argument is taken as given (``http://`` for a local
server too); from the environment it must be ``https://``, as in Semantic Kernel. The two classes differ
only in their link (see ``connectors/base.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError
from semantic_kernel.connectors.ai.open_ai.settings.azure_open_ai_settings import AzureOpenAISettings

from semantic_kernel_realtime.connectors.base import ConfigurationError, Connector, settings_error, websocket_link
from semantic_kernel_realtime.connectors.endpoints import ENTRA_SCOPE, AzureEndpoint
from semantic_kernel_realtime.connectors.sideband import SidebandOptions
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
        env_file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        try:  # an explicit endpoint is taken as given (SK's settings accept https:// only)
            settings = AzureOpenAISettings(
                realtime_deployment_name=deployment_name, api_key=api_key, env_file_path=env_file_path,
                endpoint=endpoint if endpoint and endpoint.startswith("https://") else None,
            )
        except ValidationError as exc:
            raise settings_error(exc, "AZURE_OPENAI_") from None
        endpoint = endpoint or (str(settings.endpoint) if settings.endpoint else None)
        deployment_name = settings.realtime_deployment_name
        missing = [name for name, value in (("AZURE_OPENAI_ENDPOINT", endpoint),
                                            ("AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME", deployment_name)) if not value]
        if missing:
            raise ConfigurationError(
                f"{type(self).__name__} needs an endpoint and a deployment name: set {' and '.join(missing)} "
                f"(environment or .env file) or pass endpoint=... and deployment_name=...",
                environment_variables=tuple(missing),
            )
        has_credential = ad_token_provider is not None or credential is not None or kwargs.get("client_secret")
        if api_key is None and not has_credential and settings.api_key is not None:
            api_key = settings.api_key.get_secret_value()
        if api_key is None and not has_credential:
            raise ConfigurationError(
                f"{type(self).__name__} needs a credential: set AZURE_OPENAI_API_KEY (environment or .env file) or "
                "pass api_key=..., ad_token_provider=... or credential=... (Microsoft Entra ID)"
                + (" or client_secret=..." if "client_secret" in type(self).model_fields else ""),
                environment_variables=("AZURE_OPENAI_API_KEY",),
            )
        kwargs.setdefault("token_scope", settings.token_endpoint)
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


class AzureRealtimeWebsocket(SidebandOptions, _AzureConfigured):
    """Azure OpenAI Realtime over WebSocket (GA ``/openai/v1/realtime``); with ``call_id=...``, a sideband of
    that live call (``?call_id=``, see ``connectors/sideband.py``)."""

    link = websocket_link


class AzureRealtimeWebRTC(WebRTCOptions, _AzureConfigured):
    """Azure OpenAI Realtime over WebRTC (GA): audio as an Opus track, events on the ``oai-events`` channel.

    Per session: ``POST {endpoint}/openai/v1/realtime/client_secrets`` (``api-key`` header, or an Entra
    bearer token fetched on every connect) with the full session config (``model`` = the deployment)
    mints an ephemeral secret; ``POST {endpoint}/openai/v1/realtime/calls`` carries the SDP offer with it.
    Options as in :class:`~semantic_kernel_realtime.connectors.openai.OpenAIRealtimeWebRTC`.
    """

    link = webrtc_link
