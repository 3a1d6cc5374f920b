"""Small pieces shared by the connectors: URLs, headers and credentials.

Rules: credentials live in ``SecretStr`` fields excluded from ``repr`` and dumps; they are read only
when a transport is created, and never logged.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from semantic_kernel_realtime import __version__

USER_AGENT = f"semantic-kernel-realtime/{__version__}"


def websocket_url(base_url: str, path: str, query: dict[str, str]) -> str:
    """``http(s)://host/base`` + ``path`` -> ``ws(s)://host/base/path?query``."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query), ""))


def http_url(base_url: str, path: str, query: dict[str, str] | None = None) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + path, urlencode(query or {}), ""))


async def resolve_token(provider: Any | None, credential: Any | None, scope: str) -> str | None:
    """A bearer token from a token provider (sync or async callable) or an Azure credential."""
    if provider is not None:
        token = provider()
        return await token if inspect.isawaitable(token) else token
    if credential is not None:
        access = credential.get_token(scope)
        access = await access if inspect.isawaitable(access) else access
        return access.token
    return None
