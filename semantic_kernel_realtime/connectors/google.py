"""Google Gemini Live connector: the Gemini API (API key) or Vertex AI (OAuth token per connect), WebSocket.

Configuration comes from explicit arguments or the environment variables Semantic Kernel's Google AI
connector reads (``GOOGLE_AI_API_KEY``, ``GOOGLE_AI_CLOUD_PROJECT_ID``, ``GOOGLE_AI_CLOUD_REGION``,
``GOOGLE_AI_USE_VERTEXAI``), plus ``GOOGLE_AI_GEMINI_LIVE_MODEL_ID`` for the Live model (SK's own
``GOOGLE_AI_GEMINI_MODEL_ID`` names a chat model, which the Live API does not serve). The settings class
reads them with SK's ``KernelBaseSettings`` under the same ``GOOGLE_AI_`` prefix; SK's ``GoogleAISettings``
itself is not imported because its package imports its whole chat connector. The key is a ``SecretStr``:
not in ``repr``, dumps, logs or the URL (it travels in the ``x-goog-api-key`` header).

The codec is :class:`~semantic_kernel_realtime.protocol.gemini.GeminiCodec`; the link the WebSocket one
(see ``connectors/base.py``). The application's audio (``input_audio_sample_rate``, 24 kHz by default, as
for OpenAI) is converted to the 16 kHz the Live API takes; output audio is PCM16 24 kHz.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from semantic_kernel.kernel_pydantic import KernelBaseSettings

from semantic_kernel_realtime.connectors.base import ConfigurationError, Connector, websocket_link
from semantic_kernel_realtime.connectors.endpoints import GeminiEndpoint, VertexEndpoint
from semantic_kernel_realtime.protocol.base import Codec
from semantic_kernel_realtime.protocol.gemini import DEFAULT_MODEL, GeminiCodec

__all__ = ["GoogleLiveSettings", "GoogleLiveWebsocket"]


class GoogleLiveSettings(KernelBaseSettings):
    """Environment settings (prefix ``GOOGLE_AI_``, as Semantic Kernel's ``GoogleAISettings``)."""

    env_prefix: ClassVar[str] = "GOOGLE_AI_"
    gemini_live_model_id: str | None = None
    api_key: SecretStr | None = None
    cloud_project_id: str | None = None
    cloud_region: str | None = None
    use_vertexai: bool = False


class GoogleLiveWebsocket(Connector):
    """Gemini Live over WebSocket.

    Gemini API: pass ``api_key`` (or set ``GOOGLE_AI_API_KEY``). Vertex AI: ``use_vertexai=True`` with
    ``cloud_project_id`` and ``cloud_region``, authenticated by ``token_provider`` (a sync or async callable
    returning an access token), google-auth ``credentials``, or application default credentials, fetched on
    every connect. ``base_url`` points the connector elsewhere (e.g. the embedded server's
    ``gemini_base_url``); ``ssl_context`` trusts a private certificate for ``https``/``wss`` URLs.
    """

    codec_class: ClassVar[type[Codec] | None] = GeminiCodec
    link = websocket_link

    api_key: SecretStr | None = Field(default=None, repr=False, exclude=True)
    use_vertexai: bool = False
    cloud_project_id: str | None = None
    cloud_region: str | None = None
    base_url: str | None = None
    api_version: str | None = None
    token_provider: Callable[[], Any] | None = Field(default=None, repr=False, exclude=True)
    credentials: Any | None = Field(default=None, repr=False, exclude=True)
    ssl_context: Any | None = Field(default=None, repr=False, exclude=True)

    def __init__(
        self,
        *,
        ai_model_id: str | None = None,
        api_key: str | None = None,
        use_vertexai: bool | None = None,
        cloud_project_id: str | None = None,
        cloud_region: str | None = None,
        service_id: str | None = None,
        env_file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        env = GoogleLiveSettings(env_file_path=env_file_path)
        vertex = env.use_vertexai if use_vertexai is None else use_vertexai
        key = api_key or (env.api_key.get_secret_value() if env.api_key else None)
        model = ai_model_id or env.gemini_live_model_id or DEFAULT_MODEL
        project = cloud_project_id or env.cloud_project_id
        region = cloud_region or env.cloud_region
        if vertex:
            if not project or not region:
                raise ConfigurationError(
                    "Vertex AI needs cloud_project_id and cloud_region: set GOOGLE_AI_CLOUD_PROJECT_ID and "
                    "GOOGLE_AI_CLOUD_REGION (environment or .env file) or pass them",
                    environment_variables=("GOOGLE_AI_CLOUD_PROJECT_ID", "GOOGLE_AI_CLOUD_REGION"))
            if "/" not in model:
                model = f"projects/{project}/locations/{region}/publishers/google/models/{model}"
        elif key is None and not kwargs.get("base_url"):
            raise ConfigurationError(
                f"{type(self).__name__} needs a Gemini API key: set GOOGLE_AI_API_KEY (environment or .env file) "
                f"or pass api_key=... (or use Vertex AI: GOOGLE_AI_USE_VERTEXAI)",
                environment_variables=("GOOGLE_AI_API_KEY",))
        super().__init__(
            ai_model_id=model,
            service_id=service_id or model.rpartition("/")[2],
            api_key=SecretStr(key) if key and not vertex else None,
            use_vertexai=vertex,
            cloud_project_id=project,
            cloud_region=region,
            **kwargs,
        )

    @property
    def realtime_endpoint(self) -> GeminiEndpoint | VertexEndpoint:
        if self.use_vertexai:
            return VertexEndpoint(region=self.cloud_region or "", base_url=self.base_url,
                                  api_version=self.api_version or "v1beta1", token_provider=self.token_provider,
                                  credentials=self.credentials, ssl_context=self.ssl_context)
        return GeminiEndpoint(base_url=self.base_url or "https://generativelanguage.googleapis.com",
                              api_key=self.api_key, api_version=self.api_version or "v1beta",
                              ssl_context=self.ssl_context)
