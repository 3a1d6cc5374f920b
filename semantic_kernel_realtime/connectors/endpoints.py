"""Endpoints: a vendor as configuration, the URLs of its realtime service and how to authenticate.

Rules:
- An endpoint is a small immutable object: ``websocket_url(model)``, ``client_secrets_url`` and
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

__all__ = ["ENTRA_SCOPE", "USER_AGENT", "AzureEndpoint", "Endpoint", "OpenAIEndpoint", "http_url", "websocket_url"]


class Endpoint(Protocol):
    """Where a realtime service lives and how to authenticate to it."""

    @property
    def client_secrets_url(self) -> str: ...

    @property
    def calls_url(self) -> str: ...

    def websocket_url(self, model: str) -> str: ...

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
