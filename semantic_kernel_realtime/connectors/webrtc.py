"""The WebRTC link of the OpenAI and Azure connectors: client secrets, SDP signalling, track audio.

Rules:
- Opening a WebRTC session is two HTTP steps: :func:`mint_client_secret` POSTs the **full** GA session
  config (``{"session": ...}``: turn detection, voice, transcription, tools, nothing stripped) to the
  endpoint's ``client_secrets_url`` with the long-lived credential and returns the ephemeral ``ek_…``
  value; :func:`webrtc_transport` builds a :class:`WebRTCTransport` whose signalling POSTs the SDP offer
  to the endpoint's ``calls_url`` with ``Authorization: Bearer ek_…``. The client then still sends the
  same full ``session.update`` over the data channel, as over WebSocket. With ``client_secret`` given
  (minted by the app's backend) the first step is skipped.
- HTTP 401/403 becomes :class:`AuthenticationError` naming the step and the service's cause; other
  failures :class:`ConnectionFailedError`. Keys, tokens and secrets never appear in messages or logs.
- Received track audio becomes :func:`track_audio_event` events: ``RealtimeAudioEvent`` with PCM16 24 kHz
  mono bytes, the same content as the WebSocket connector's ``response.output_audio.delta`` events. Their
  ``service_type`` is the synthetic :data:`~semantic_kernel_realtime.events.TRACK_AUDIO` (the audio came
  as media, with no item or response id). Match on the class, ``RealtimeAudioEvent``, to handle audio
  from either transport.
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
from semantic_kernel_realtime.connectors.endpoints import Endpoint
from semantic_kernel_realtime.errors import AuthenticationError, ConnectionFailedError
from semantic_kernel_realtime.events import TRACK_AUDIO
from semantic_kernel_realtime.protocol._build import pcm_audio_event
from semantic_kernel_realtime.transports.signalling import HttpSdpSignalling, error_detail, scrub
from semantic_kernel_realtime.transports.webrtc import WebRTCTransport

if TYPE_CHECKING:
    from aiortc import RTCIceServer
    from aiortc.mediastreams import MediaStreamTrack

__all__ = [
    "OUTPUT_AUDIO_TRACK",
    "WebRTCOptions",
    "audio_receiver",
    "mint_client_secret",
    "request_client_secret",
    "session_for_secret",
    "track_audio_event",
    "webrtc_link",
    "webrtc_transport",
]

#: ``service_type`` of the ``RealtimeAudioEvent``s made from the remote audio track (an alias of
#: :data:`~semantic_kernel_realtime.events.TRACK_AUDIO`).
OUTPUT_AUDIO_TRACK = TRACK_AUDIO


def session_for_secret(client: RealtimeClientBase) -> dict[str, Any]:
    """The full GA session for the client secret: what the data-channel ``session.update`` carries
    (``client.opening_session``: tools filled in from the kernel), with the model named."""
    opening = client.opening_session
    session = {"type": "realtime", **(opening or {})}
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
    return (await request_client_secret(url, headers, session, expires_after_seconds=expires_after_seconds,
                                        timeout=timeout))["value"]


async def request_client_secret(
    url: str,
    headers: Mapping[str, str],
    session: dict[str, Any],
    *,
    expires_after_seconds: int | None = None,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """:func:`mint_client_secret`, returning the service's whole answer (``value``, ``expires_at``, ``session``)."""
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
            answer = orjson.loads(text)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("value"), str) or not answer["value"]:
            raise ConnectionFailedError(f"minting a client secret at {safe_url}: the answer has no 'value'")
        return answer
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
    open_timeout: float = 15.0,
    close_timeout: float = 2.0,
) -> WebRTCTransport:
    """A WebRTC transport whose SDP offer goes to ``calls_url`` with the ephemeral secret as bearer."""
    headers = {**(extra_headers or {}), "Authorization": f"Bearer {client_secret}"}
    return WebRTCTransport(
        HttpSdpSignalling(calls_url, headers),
        audio_receiver=audio_receiver,
        audio_track=audio_track,
        ice_servers=ice_servers,
        open_timeout=open_timeout,
        close_timeout=close_timeout,
    )


def track_audio_event(pcm16: bytes) -> RealtimeAudioEvent:
    """A received chunk of track audio (PCM16 24 kHz mono) as the event WebSocket audio also becomes."""
    return pcm_audio_event(TRACK_AUDIO, pcm16)


def audio_receiver(client: RealtimeClientBase) -> Callable[[bytes], None]:
    """The transport's ``audio_receiver`` for ``client``: the client's receive path (callback, then queue)."""

    def receive(pcm16: bytes) -> None:
        client.put_received(track_audio_event(pcm16))

    return receive


class WebRTCOptions(RealtimeClientBase):
    """The options of the WebRTC connectors (fields only).

    ``audio_track``: an outgoing ``MediaStreamTrack`` (e.g. a microphone) used instead of
    ``RealtimeAudioEvent``s from the send queue (one session: closing stops it); ``ice_servers``:
    ``RTCIceServer`` list, none by default; ``client_secret``: an ephemeral secret minted by your backend
    (nothing is minted here then); ``client_secret_expires_after``: seconds a minted secret stays valid
    (the service's default, 600, when None).
    """

    audio_track: Any | None = Field(default=None, exclude=True)
    ice_servers: list[Any] | None = Field(default=None, exclude=True)
    client_secret: SecretStr | None = Field(default=None, repr=False, exclude=True)
    client_secret_expires_after: int | None = None

    @property
    def call_id(self) -> str | None:
        """The id of the current call (from the answer's ``Location``), once it is answered: what a sideband
        attaches to (``OpenAIRealtimeWebsocket(call_id=...)``); None before, or if the service sent none."""
        return getattr(getattr(self.transport, "signalling", None), "call_id", None)


async def webrtc_link(client: WebRTCOptions, endpoint: Endpoint) -> WebRTCTransport:
    """Mint a client secret with the full session config (unless one was given), then a WebRTC transport."""
    if client.client_secret is not None:
        secret = client.client_secret.get_secret_value()
    else:
        secret = await mint_client_secret(
            endpoint.client_secrets_url, await endpoint.auth_headers(), session_for_secret(client),
            expires_after_seconds=client.client_secret_expires_after,
        )
    return webrtc_transport(
        endpoint.calls_url, secret, audio_receiver=audio_receiver(client), audio_track=client.audio_track,
        ice_servers=client.ice_servers, extra_headers=endpoint.call_headers(),
        open_timeout=client.open_timeout or 15.0, close_timeout=client.close_timeout,
    )
