"""Endpoints: a vendor as configuration, the URLs of its realtime service and how to authenticate.

Rules:
- An endpoint is a small immutable object: ``websocket_url(model)``, ``sideband_url(call_id)`` (a
  WebSocket attached to a live call), ``client_secrets_url`` and
  ``calls_url`` (WebRTC), ``async auth_headers()`` (the long-lived credential: an API key, or a token
  fetched on **every** call, so a long-running app never uses an expired one) and ``call_headers()``
  (what the WebRTC SDP POST carries besides the ephemeral secret: never the long-lived credential).
- Credentials are ``SecretStr`` values; an endpoint's ``repr`` shows none of them, and no message here
  contains one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from pydantic import SecretStr

from semantic_kernel_realtime import __version__
from semantic_kernel_realtime.errors import AuthenticationError

USER_AGENT = f"semantic-kernel-realtime/{__version__}"
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"

GOOGLE_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

__all__ = ["ENTRA_SCOPE", "GOOGLE_SCOPE", "USER_AGENT", "AzureEndpoint", "Endpoint", "GeminiEndpoint", "OpenAIEndpoint",
           "VertexEndpoint", "http_url", "websocket_url"]


class Endpoint(Protocol):
    """Where a realtime service lives and how to authenticate to it."""

    @property
    def client_secrets_url(self) -> str: ...

    @property
    def calls_url(self) -> str: ...

    def websocket_url(self, model: str) -> str: ...

    def sideband_url(self, call_id: str) -> str:
        """The WebSocket URL that attaches to the live call ``call_id`` (``?call_id=`` instead of a model)."""
        ...

    async def auth_headers(self) -> dict[str, str]:
        """Headers with the long-lived credential (fetched now when it is a token)."""
        ...

    def call_headers(self) -> dict[str, str]:
        """Headers for the WebRTC SDP POST besides the ephemeral bearer (no long-lived credential)."""
        ...


def websocket_url(base_url: str, path: str, query: dict[str, str]) -> str:
    """``http(s)://host/base`` + ``path`` -> ``ws(s)://host/base/path?query``."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query), ""))


def http_url(base_url: str, path: str, query: dict[str, str] | None = None) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query or {}), ""))


@dataclass(frozen=True)
class OpenAIEndpoint:
    """The OpenAI API: ``{base_url}/realtime`` (WebSocket), ``/realtime/client_secrets``, ``/realtime/calls``."""

    base_url: str
    api_key: SecretStr | None = field(default=None, repr=False)
    websocket_base_url: str | None = None
    organization: str | None = None
    project: str | None = None

    @property
    def client_secrets_url(self) -> str:
        return http_url(self.base_url, "/realtime/client_secrets")

    @property
    def calls_url(self) -> str:
        return http_url(self.base_url, "/realtime/calls")

    def websocket_url(self, model: str) -> str:
        return websocket_url(self.websocket_base_url or self.base_url, "/realtime", {"model": model})

    def sideband_url(self, call_id: str) -> str:
        return websocket_url(self.websocket_base_url or self.base_url, "/realtime", {"call_id": call_id})

    async def auth_headers(self) -> dict[str, str]:
        headers = self.call_headers()
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key.get_secret_value()}"
        return headers

    def call_headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers


@dataclass(frozen=True)
class AzureEndpoint:
    """Azure OpenAI, GA paths: ``{endpoint}/openai/v1/realtime?model=<deployment>`` and the WebRTC pair.

    Authentication: an API key (``api-key`` header), or Microsoft Entra ID: an ``ad_token_provider``
    (sync or async callable returning a token) or an Azure ``credential`` (its ``get_token(scope)``).
    """

    endpoint: str
    deployment_name: str
    api_key: SecretStr | None = field(default=None, repr=False)
    ad_token_provider: Callable[[], Any] | None = field(default=None, repr=False)
    credential: Any | None = field(default=None, repr=False)
    token_scope: str = ENTRA_SCOPE

    @property
    def client_secrets_url(self) -> str:
        return http_url(self.endpoint, "/openai/v1/realtime/client_secrets")

    @property
    def calls_url(self) -> str:
        return http_url(self.endpoint, "/openai/v1/realtime/calls")

    def websocket_url(self, model: str) -> str:
        return websocket_url(self.endpoint, "/openai/v1/realtime", {"model": model})

    def sideband_url(self, call_id: str) -> str:
        return websocket_url(self.endpoint, "/openai/v1/realtime", {"call_id": call_id})

    async def auth_headers(self) -> dict[str, str]:
        headers = self.call_headers()
        if self.api_key is not None:
            headers["api-key"] = self.api_key.get_secret_value()
            return headers
        token = await _token(self.ad_token_provider, self.credential, self.token_scope)
        if not token:
            raise AuthenticationError("the Microsoft Entra ID token provider or credential returned no token")
        headers["Authorization"] = f"Bearer {token}"
        return headers

    def call_headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT}


async def _token(provider: Callable[[], Any] | None, credential: Any | None, scope: str) -> str | None:
    """A bearer token from a token provider (sync or async callable) or an Azure credential."""
    if provider is not None:
        token = provider()
        return await token if inspect.isawaitable(token) else token
    if credential is not None:
        access = credential.get_token(scope)
        access = await access if inspect.isawaitable(access) else access
        return access.token
    return None


class _NoWebRTC:
    """Gemini Live speaks WebSocket only."""

    @property
    def client_secrets_url(self) -> str:
        raise NotImplementedError("Gemini Live has no WebRTC endpoint")

    @property
    def calls_url(self) -> str:
        raise NotImplementedError("Gemini Live has no WebRTC endpoint")

    def sideband_url(self, call_id: str) -> str:
        raise NotImplementedError("Gemini Live has no calls to attach to")

    def call_headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT}


@dataclass(frozen=True)
class GeminiEndpoint(_NoWebRTC):
    """The Gemini API (Google AI): ``{base_url}/ws/google.ai.generativelanguage.{version}.GenerativeService.
    BidiGenerateContent`` with the API key in the ``x-goog-api-key`` header (never in the URL)."""

    base_url: str = "https://generativelanguage.googleapis.com"
    api_key: SecretStr | None = field(default=None, repr=False)
    api_version: str = "v1beta"
    ssl_context: Any | None = field(default=None, repr=False)

    def websocket_url(self, model: str) -> str:
        path = f"/ws/google.ai.generativelanguage.{self.api_version}.GenerativeService.BidiGenerateContent"
        return websocket_url(self.base_url, path, {})

    async def auth_headers(self) -> dict[str, str]:
        headers = self.call_headers()
        if self.api_key is not None:
            headers["x-goog-api-key"] = self.api_key.get_secret_value()
        return headers


@dataclass(frozen=True)
class VertexEndpoint(_NoWebRTC):
    """Vertex AI: ``wss://{region}-aiplatform.googleapis.com/ws/google.cloud.aiplatform.{version}.LlmBidiService/
    BidiGenerateContent`` with an OAuth access token fetched on **every** connect: from ``token_provider``
    (sync or async callable), else from ``credentials`` (google-auth), else from application default
    credentials (``google.auth.default``), refreshed in a worker thread."""

    region: str
    base_url: str | None = None
    api_version: str = "v1beta1"
    token_provider: Callable[[], Any] | None = field(default=None, repr=False)
    credentials: Any | None = field(default=None, repr=False)
    ssl_context: Any | None = field(default=None, repr=False)

    def websocket_url(self, model: str) -> str:
        base = self.base_url or f"https://{self.region}-aiplatform.googleapis.com"
        return websocket_url(base, f"/ws/google.cloud.aiplatform.{self.api_version}.LlmBidiService/"
                                   "BidiGenerateContent", {})

    async def auth_headers(self) -> dict[str, str]:
        headers = self.call_headers()
        token = await _google_token(self.token_provider, self.credentials)
        if not token:
            raise AuthenticationError("the Google token provider or credentials returned no access token")
        headers["Authorization"] = f"Bearer {token}"
        return headers


async def _google_token(provider: Callable[[], Any] | None, credentials: Any | None) -> str | None:
    if provider is not None:
        token = provider()
        return await token if inspect.isawaitable(token) else token
    import asyncio

    def refresh() -> str | None:
        creds = credentials
        if creds is None:
            import google.auth
            from google.auth.exceptions import DefaultCredentialsError

            try:
                creds, _ = google.auth.default(scopes=[GOOGLE_SCOPE])
            except DefaultCredentialsError as exc:
                raise AuthenticationError(f"no Google application default credentials: {exc}") from None
        import google.auth.transport.requests

        creds.refresh(google.auth.transport.requests.Request())
        return creds.token

    return await asyncio.to_thread(refresh)
