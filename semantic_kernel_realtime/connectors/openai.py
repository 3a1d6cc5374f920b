"""OpenAI realtime connectors (GA protocol): WebSocket and WebRTC.

Configuration comes from explicit arguments, an ``AsyncOpenAI`` client (its base URL and key), or the
same environment variables as Semantic Kernel (``OPENAI_API_KEY``, ``OPENAI_REALTIME_MODEL_ID``, also read
from the ``.env`` file ``env_file_path`` names) through SK's own ``OpenAISettings``. Without a key (or,
for WebRTC, a ``client_secret``) the constructor raises :class:`~.base.ConfigurationError` naming
``OPENAI_API_KEY``. The key is a ``SecretStr``: not in ``repr``, dumps or logs. The two classes differ
only in their link (see ``connectors/base.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError
from semantic_kernel.connectors.ai.open_ai.settings.open_ai_settings import OpenAISettings

from semantic_kernel_realtime.connectors.base import ConfigurationError, Connector, settings_error, websocket_link
from semantic_kernel_realtime.connectors.endpoints import OpenAIEndpoint
from semantic_kernel_realtime.connectors.sideband import SidebandOptions
from semantic_kernel_realtime.connectors.webrtc import WebRTCOptions, webrtc_link

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-realtime"

__all__ = ["OpenAIRealtimeWebRTC", "OpenAIRealtimeWebsocket"]


class _OpenAIConfigured(Connector):
    """The OpenAI fields and their environment handling; ``realtime_endpoint`` is built from them."""

    MODEL_PROVIDER_NAME: ClassVar[str] = "openai"  # OpenTelemetry's gen_ai.provider.name

    api_key: SecretStr | None = Field(default=None, repr=False, exclude=True)
    base_url: str = DEFAULT_BASE_URL
    websocket_base_url: str | None = None
    organization: str | None = None
    project: str | None = None

    def __init__(
        self,
        *,
        ai_model_id: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        client: Any | None = None,
        service_id: str | None = None,
        env_file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            settings = OpenAISettings(api_key=api_key, realtime_model_id=ai_model_id, env_file_path=env_file_path)
        except ValidationError as exc:
            raise settings_error(exc, "OPENAI_") from None
        key = settings.api_key.get_secret_value() if settings.api_key else None
        ws_base = None
        if client is not None:
            key = api_key or client.api_key
            base_url = base_url or str(client.base_url)
            ws_base = str(client.websocket_base_url) if getattr(client, "websocket_base_url", None) else None
            kwargs.setdefault("organization", client.organization)
            kwargs.setdefault("project", client.project)
        if not key and not kwargs.get("client_secret"):
            raise ConfigurationError(
                f"{type(self).__name__} needs an OpenAI API key: set OPENAI_API_KEY (environment or .env file) "
                f"or pass api_key=..."
                + (" or client_secret=... (an ephemeral key)" if "client_secret" in type(self).model_fields else ""),
                environment_variables=("OPENAI_API_KEY",),
            )
        model = settings.realtime_model_id or DEFAULT_MODEL
        super().__init__(
            ai_model_id=model,
            service_id=service_id or model,
            api_key=SecretStr(key) if key else None,
            base_url=base_url or DEFAULT_BASE_URL,
            websocket_base_url=ws_base,
            **kwargs,
        )

    @property
    def realtime_endpoint(self) -> OpenAIEndpoint:
        return OpenAIEndpoint(base_url=self.base_url, api_key=self.api_key, websocket_base_url=self.websocket_base_url,
                              organization=self.organization, project=self.project)


class OpenAIRealtimeWebsocket(SidebandOptions, _OpenAIConfigured):
    """OpenAI Realtime over WebSocket: ``wss://.../v1/realtime?model=<model>``; with ``call_id=...``, a
    sideband of that live call (``?call_id=``, see ``connectors/sideband.py``)."""

    link = websocket_link


class OpenAIRealtimeWebRTC(WebRTCOptions, _OpenAIConfigured):
    """OpenAI Realtime over WebRTC: audio as an Opus track, JSON events on the ``oai-events`` data channel.

    Per session: ``POST {base_url}/realtime/client_secrets`` with the API key and the full session config
    mints an ephemeral ``ek_…`` secret, then ``POST {base_url}/realtime/calls`` carries the SDP offer with
    that secret (see ``connectors/webrtc.py``). Pass ``client_secret`` instead of an API key when a backend
    mints secrets for this client (the minting step is then skipped; the session still gets the full
    ``session.update`` over the data channel). Other options: :class:`~.webrtc.WebRTCOptions`.
    Received audio: ``RealtimeAudioEvent``s of PCM16 24 kHz mono, as over WebSocket.
    """

    link = webrtc_link
