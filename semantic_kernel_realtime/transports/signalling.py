"""Signalling: how an SDP offer reaches the answering peer, kept outside the WebRTC transport.

Rules: a signalling object has one coroutine, ``exchange(offer_sdp) -> answer_sdp``. Failures are the
typed transport errors: 401/403 -> :class:`AuthenticationError`, anything else -> ``ConnectionFailedError``.
Header values (API keys, bearer tokens, ephemeral secrets) never appear in messages or logs, and neither
does a URL's query string.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import aiohttp

from semantic_kernel_realtime.errors import AuthenticationError, ConnectionFailedError

__all__ = ["CallableSignalling", "HttpSdpSignalling", "Signalling"]

# Things that look like credentials, scrubbed from any server text we quote.
_SECRET_LIKE = re.compile(r"\b(?:sk|ek|rk|sess)[-_][A-Za-z0-9_\-*.]{4,}|\bBearer\s+\S+", re.IGNORECASE)


@runtime_checkable
class Signalling(Protocol):
    """Delivers an SDP offer and returns the answer SDP."""

    async def exchange(self, offer_sdp: str) -> str: ...


class CallableSignalling:
    """Signalling through a plain function (sync or async) ``offer_sdp -> answer_sdp``; for tests and
    in-process peers."""

    def __init__(self, fn: Callable[[str], str | Awaitable[str]]) -> None:
        self._fn = fn

    async def exchange(self, offer_sdp: str) -> str:
        answer = self._fn(offer_sdp)
        if inspect.isawaitable(answer):
            answer = await answer
        return answer


class HttpSdpSignalling:
    """POSTs the offer as ``application/sdp`` and returns the answer (HTTP 200 or 201).

    ``headers`` typically carry ``Authorization``; their values are never logged or quoted in errors.
    After a successful exchange, ``location`` holds the response's ``Location`` header and ``call_id``
    its last path segment (OpenAI's ``/v1/realtime/calls/{call_id}``), or ``None``.
    ``session`` may be an existing ``aiohttp.ClientSession`` (not closed here); otherwise one is made
    for the request.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.url = url
        self._headers = dict(headers or {})
        self._session = session
        self._timeout = timeout
        self.location: str | None = None
        self.call_id: str | None = None

    def __repr__(self) -> str:  # no headers: they hold secrets
        return f"HttpSdpSignalling(url={self._safe_url!r})"

    @property
    def _safe_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"

    async def exchange(self, offer_sdp: str) -> str:
        headers = {**self._headers, "Content-Type": "application/sdp"}
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        session = self._session or aiohttp.ClientSession()
        try:
            async with session.post(self.url, data=offer_sdp.encode(), headers=headers, timeout=timeout) as resp:
                body = await resp.text(errors="replace")
                if resp.status in (200, 201):
                    self.location = resp.headers.get("Location")
                    if self.location:
                        self.call_id = self.location.rstrip("/").rpartition("/")[2] or None
                    return body
                raise self._status_error(resp.status, resp.reason, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            # str(exc) of aiohttp errors can carry the request URL; use the type and our safe URL only.
            raise ConnectionFailedError(f"SDP signalling to {self._safe_url} failed: {type(exc).__name__}") from None
        finally:
            if self._session is None:
                await session.close()

    def _status_error(self, status: int, reason: str | None, body: str) -> ConnectionFailedError:
        detail = scrub(error_detail(body), self._headers)
        message = f"SDP signalling to {self._safe_url} answered HTTP {status} {reason or ''}".rstrip()
        if status in (401, 403):
            cause = "the credentials were refused (missing, wrong or expired key/token)"
            return AuthenticationError(f"{message}: {cause}{detail}", status=status)
        return ConnectionFailedError(f"{message}{detail}", status=status)


def scrub(text: str, headers: Mapping[str, str]) -> str:
    """``text`` with every header value (and bearer token) and anything key-like replaced by ``[redacted]``."""
    for value in headers.values():
        for secret in {value, value.partition(" ")[2]}:
            if len(secret) >= 4:
                text = text.replace(secret, "[redacted]")
    return _SECRET_LIKE.sub("[redacted]", text)


def error_detail(body: str) -> str:
    """A short, quotable cause from an error body: OpenAI-style ``{"error": {...}}`` or plain text."""
    try:
        err = json.loads(body).get("error")
    except (ValueError, AttributeError):
        err = None
    if isinstance(err, dict):
        parts = [str(err[k]) for k in ("code", "type", "message") if err.get(k)]
        text = " / ".join(parts)
    elif isinstance(err, str):
        text = err
    else:
        text = body.strip()
    text = " ".join(text.split())[:300]
    return f" ({text})" if text else ""
