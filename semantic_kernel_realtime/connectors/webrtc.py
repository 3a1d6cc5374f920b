"""The WebRTC part of the OpenAI and Azure connectors, shared by composition.

Rules:
- Opening a WebRTC session is two HTTP steps: :func:`mint_client_secret` POSTs the **full** GA session
  config (``{"session": ...}``: turn detection, voice, transcription, tools, nothing stripped) to
  ``.../realtime/client_secrets`` with the long-lived credential and returns the ephemeral ``ek_…``
  value; :func:`webrtc_transport` builds a :class:`WebRTCTransport` whose signalling POSTs the SDP offer
  to ``.../realtime/calls`` with ``Authorization: Bearer ek_…``. The client then still sends the same
  full ``session.update`` over the data channel, as over WebSocket.
- HTTP 401/403 becomes :class:`AuthenticationError` naming the step and the service's cause; other
  failures :class:`ConnectionFailedError`. Keys, tokens and secrets never appear in messages or logs.
- Received track audio becomes :func:`track_audio_event` events: ``RealtimeAudioEvent`` with PCM16 24 kHz
  mono bytes in ``AudioContent(data_format="base64", mime_type="audio/pcm")``, the same content as the
  WebSocket connector's ``response.output_audio.delta`` events. Their ``service_type`` is
  :data:`OUTPUT_AUDIO_TRACK`, a local name (not a wire event: the audio came as media, with no item or
  response id). Match on the class, ``RealtimeAudioEvent``, to handle audio from either transport.
- :func:`audio_receiver` hands each chunk to the client's receive path (``put_received``), the one the
  data channel's events take: ``audio_output_callback`` (numpy int16) first, then the observers, then
  ``receive_buffer``, in order with the JSON events. It runs on the transport's audio reader task and
  never waits (an async callback is awaited on the client's drain task).
- ICE servers: none by default (host candidates only); pass ``ice_servers`` for NAT traversal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from pydantic import Field, SecretStr
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.protocol import pcm_audio_event
from semantic_kernel_realtime.protocol.session import session_config
from semantic_kernel_realtime.transports.errors import AuthenticationError, ConnectionFailedError
from semantic_kernel_realtime.transports.signalling import HttpSdpSignalling, error_detail, scrub
from semantic_kernel_realtime.transports.webrtc import WebRTCTransport

if TYPE_CHECKING:
    from aiortc import RTCIceServer
    from aiortc.mediastreams import MediaStreamTrack

__all__ = [
    "OUTPUT_AUDIO_TRACK",
    "WebRTCConnector",
    "audio_receiver",
    "mint_client_secret",
    "session_for_secret",
    "track_audio_event",
    "webrtc_transport",
]

#: ``service_type`` of the ``RealtimeAudioEvent``s made from the remote audio track (not a wire event).
OUTPUT_AUDIO_TRACK = "output_audio.track"



def session_for_secret(client: RealtimeClientBase) -> dict[str, Any]:
    """The full GA session for the client secret: what the data-channel ``session.update`` carries
    (``client.opening_session``: tools filled in from the kernel), with the model named."""
    opening = client.opening_session
    session = dict(opening) if opening is not None else session_config(None, model=client.ai_model_id)
    session.setdefault("model", client.ai_model_id)
    return session


async def mint_client_secret(
    url: str,
    headers: Mapping[str, str],
    session: dict[str, Any],
    *,
    expires_after_seconds: int | None = None,
    timeout: float = 15.0,
) -> str:
    """POST ``{"session": session}`` to ``url`` (``.../realtime/client_secrets``); return the ``ek_…`` value."""
    body: dict[str, Any] = {"session": session}
    if expires_after_seconds is not None:
        body["expires_after"] = {"anchor": "created_at", "seconds": expires_after_seconds}
    safe_url = url.partition("?")[0]
    try:
        async with aiohttp.ClientSession() as http, http.post(
            url, data=orjson.dumps(body), headers={**headers, "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            text = await resp.text(errors="replace")
            status, reason = resp.status, resp.reason
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise ConnectionFailedError(f"minting a client secret at {safe_url} failed: {type(exc).__name__}") from None
    if status == 200:
        try:
            value = orjson.loads(text)["value"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            value = None
        if not isinstance(value, str) or not value:
            raise ConnectionFailedError(f"minting a client secret at {safe_url}: the answer has no 'value'")
        return value
    detail = scrub(error_detail(text), headers)
    message = f"minting a client secret at {safe_url} answered HTTP {status} {reason or ''}".rstrip()
    if status in (401, 403):
        raise AuthenticationError(
            f"{message}: the API key or token was refused (missing, wrong or expired){detail}", status=status
        )
    raise ConnectionFailedError(f"{message}{detail}", status=status)


def webrtc_transport(
    calls_url: str,
    client_secret: str,
    *,
    audio_receiver: Callable[[bytes], Awaitable[None] | None] | None,
    audio_track: MediaStreamTrack | None = None,
    ice_servers: Sequence[RTCIceServer] | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> WebRTCTransport:
    """A WebRTC transport whose SDP offer goes to ``calls_url`` with the ephemeral secret as bearer."""
    headers = {**(extra_headers or {}), "Authorization": f"Bearer {client_secret}"}
    return WebRTCTransport(
        HttpSdpSignalling(calls_url, headers),
        audio_receiver=audio_receiver,
        audio_track=audio_track,
        ice_servers=ice_servers,
    )


def track_audio_event(pcm16: bytes) -> RealtimeAudioEvent:
    """A received chunk of track audio (PCM16 24 kHz mono) as the event WebSocket audio also becomes."""
    return pcm_audio_event(OUTPUT_AUDIO_TRACK, pcm16)


def audio_receiver(client: RealtimeClientBase) -> Callable[[bytes], None]:
    """The transport's ``audio_receiver`` for ``client``: the client's receive path (callback, then queue)."""

    def receive(pcm16: bytes) -> None:
        client.put_received(track_audio_event(pcm16))

    return receive


class WebRTCConnector(RealtimeClientBase):
    """What the OpenAI and Azure WebRTC connectors share: the options, and a transport per session.

    A connector class combines this with its vendor configuration and names its endpoints and headers
    (``_webrtc_urls``, ``_mint_headers``, ``_call_headers``). Per session: mint a client secret with the
    full session config (skipped when ``client_secret`` is given), then open the WebRTC transport.
    """

    audio_track: Any | None = Field(default=None, exclude=True)
    ice_servers: list[Any] | None = Field(default=None, exclude=True)
    client_secret: SecretStr | None = Field(default=None, repr=False, exclude=True)
    client_secret_expires_after: int | None = None

    async def _create_transport(self) -> WebRTCTransport:
        secrets_url, calls_url = self._webrtc_urls()
        if self.client_secret is not None:
            secret = self.client_secret.get_secret_value()
        else:
            secret = await mint_client_secret(
                secrets_url, await self._mint_headers(), session_for_secret(self),
                expires_after_seconds=self.client_secret_expires_after,
            )
        return webrtc_transport(
            calls_url, secret, audio_receiver=audio_receiver(self), audio_track=self.audio_track,
            ice_servers=self.ice_servers, extra_headers=self._call_headers(),
        )

    def _webrtc_urls(self) -> tuple[str, str]:
        """(``.../realtime/client_secrets``, ``.../realtime/calls``) of this service."""
        raise NotImplementedError

    async def _mint_headers(self) -> dict[str, str]:
        """Headers with the long-lived credential, for minting the client secret."""
        raise NotImplementedError

    def _call_headers(self) -> dict[str, str]:
        """Headers besides the ephemeral bearer for the SDP POST (never the long-lived credential)."""
        raise NotImplementedError
