"""OpenAI realtime connectors (GA protocol): WebSocket and WebRTC.

Configuration comes from explicit arguments, an ``AsyncOpenAI`` client (its base URL and key), or the
same environment variables as Semantic Kernel (``OPENAI_API_KEY``, ``OPENAI_REALTIME_MODEL_ID``) read
through SK's own ``OpenAISettings``. The key is a ``SecretStr``: not in ``repr``, dumps or logs.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from semantic_kernel.connectors.ai.open_ai.settings.open_ai_settings import OpenAISettings
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings

from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.connectors._common import USER_AGENT, http_url, websocket_url
from semantic_kernel_realtime.connectors.webrtc import WebRTCConnector
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings
from semantic_kernel_realtime.transports.base import Transport
from semantic_kernel_realtime.transports.websocket import WebSocketTransport

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-realtime"


class _OpenAIConfigured(RealtimeClientBase):
    """Fields and environment handling shared by the OpenAI connectors."""

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
        settings = OpenAISettings(
            api_key=api_key, realtime_model_id=ai_model_id, env_file_path=env_file_path
        )
        key = settings.api_key.get_secret_value() if settings.api_key else None
        ws_base = None
        if client is not None:
            key = api_key or client.api_key
            base_url = base_url or str(client.base_url)
            ws_base = str(client.websocket_base_url) if getattr(client, "websocket_base_url", None) else None
            kwargs.setdefault("organization", client.organization)
            kwargs.setdefault("project", client.project)
        model = settings.realtime_model_id or DEFAULT_MODEL
        super().__init__(
            ai_model_id=model,
            service_id=service_id or model,
            api_key=SecretStr(key) if key else None,
            base_url=base_url or DEFAULT_BASE_URL,
            websocket_base_url=ws_base,
            **kwargs,
        )

    def get_prompt_execution_settings_class(self) -> type[PromptExecutionSettings]:
        return RealtimeExecutionSettings

    def _auth_headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key.get_secret_value()}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers


class OpenAIRealtimeWebsocket(_OpenAIConfigured):
    """OpenAI Realtime over WebSocket: ``wss://.../v1/realtime?model=<model>``."""

    async def _create_transport(self) -> Transport:
        url = websocket_url(self.websocket_base_url or self.base_url, "/realtime", {"model": self.ai_model_id})
        return WebSocketTransport(url, self._auth_headers())


class OpenAIRealtimeWebRTC(WebRTCConnector, _OpenAIConfigured):
    """OpenAI Realtime over WebRTC: audio as an Opus track, JSON events on the ``oai-events`` data channel.

    Per session: ``POST {base_url}/realtime/client_secrets`` with the API key and the full session config
    mints an ephemeral ``ek_…`` secret, then ``POST {base_url}/realtime/calls`` carries the SDP offer with
    that secret (see ``connectors/webrtc.py``). Pass ``client_secret`` instead of an API key when a backend
    mints secrets for this client (the minting step is then skipped; the session still gets the full
    ``session.update`` over the data channel).

    Args (besides the OpenAI ones): ``audio_track``: an outgoing ``MediaStreamTrack`` (e.g. a microphone)
    used instead of ``RealtimeAudioEvent``s from the send queue (one session: closing stops it);
    ``ice_servers``: ``RTCIceServer`` list, none by default; ``client_secret_expires_after``: seconds the
    minted secret stays valid (the service's default, 600, when None).
    Received audio: ``RealtimeAudioEvent``s of PCM16 24 kHz mono, as over WebSocket.
    """

    def _webrtc_urls(self) -> tuple[str, str]:
        return http_url(self.base_url, "/realtime/client_secrets"), http_url(self.base_url, "/realtime/calls")

    async def _mint_headers(self) -> dict[str, str]:
        return self._auth_headers()

    def _call_headers(self) -> dict[str, str]:
        return {k: v for k, v in self._auth_headers().items() if k != "Authorization"}
