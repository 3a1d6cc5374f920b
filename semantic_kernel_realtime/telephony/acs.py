"""Azure Communication Services bidirectional audio streaming bridged to a realtime session.

Rules (ACS Call Automation media streaming over WebSocket, ``enableBidirectional`` with ``PCM16KMono`` or
``PCM24KMono``):
- In: ``AudioMetadata`` (the stream's encoding and ``sampleRate``: the phone's format is set from it),
  ``AudioData`` (base64 PCM16 mono at that rate; ``silent`` frames are still audio: the service's voice
  activity detection needs the silence), ``DtmfData``. The call's end is the socket closing.
- Out: ``AudioData`` with the session's answer converted to the stream's rate, and ``StopAudio`` when the
  caller barges in (ACS drops what it has not played). Outgoing messages use the field names ACS's own SDKs
  send (``Kind``, ``AudioData.Data``, ``StopAudio``).
- ACS reports no playback position: barge-in truncates at the client's real-time estimate (the audio of
  an item counted as played from its arrival on, at the speed it plays).
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from semantic_kernel_realtime.telephony.bridge import PhoneBridge

logger = logging.getLogger("semantic_kernel_realtime.telephony")

__all__ = ["AcsMediaStreamingBridge"]

_RATES = (16_000, 24_000)


class AcsMediaStreamingBridge(PhoneBridge):
    """Bridges one ACS bidirectional media-streaming WebSocket to an open realtime session (see :class:`PhoneBridge`).

    ``sample_rate`` is the stream's rate as the call was set up (16000 or 24000); the stream's
    ``AudioMetadata`` overrides it. ``on_dtmf(tone)`` (optional) is called with each key the caller presses.
    """

    KIND = "kind"

    def __init__(self, client: Any, *, sample_rate: int = 16_000, on_dtmf: Any = None, **kwargs: Any) -> None:
        if sample_rate not in _RATES:
            raise ValueError(f"ACS streams PCM16 at 16000 or 24000 Hz, not {sample_rate}")
        super().__init__(client, phone_format=("pcm16", sample_rate), **kwargs)
        self.on_dtmf = on_dtmf
        self.subscription_id: str | None = None

    def _on_metadata(self, message: dict) -> None:
        metadata = message.get("audioMetadata") or {}
        self.subscription_id = metadata.get("subscriptionId")
        rate = metadata.get("sampleRate")
        encoding = metadata.get("encoding", "PCM")
        if encoding != "PCM" or rate not in _RATES or metadata.get("channels", 1) != 1:
            logger.warning("ACS stream %s announced %r; keeping PCM16 mono at %d Hz", self.subscription_id,
                           metadata, self.phone_format[1])
        elif rate != self.phone_format[1]:
            self.phone_format = ("pcm16", rate)

    def _on_audio(self, message: dict) -> None:
        audio = message.get("audioData")
        data = audio.get("data") if isinstance(audio, dict) else None
        if isinstance(data, str):
            self._caller_audio(base64.b64decode(data))

    def _on_dtmf(self, message: dict) -> None:
        tone = (message.get("dtmfData") or {}).get("data")
        if self.on_dtmf is not None and tone is not None:
            self.on_dtmf(tone)

    def _media(self, payload: str) -> None:
        self._put(self._json({"Kind": "AudioData", "AudioData": {"Data": payload}, "StopAudio": None}))

    def _clear(self) -> str:
        return self._json({"Kind": "StopAudio", "AudioData": None, "StopAudio": {}})

    HANDLERS = {"AudioMetadata": _on_metadata, "AudioData": _on_audio, "DtmfData": _on_dtmf}
