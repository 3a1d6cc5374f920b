"""Twilio Media Streams: a bidirectional ``<Connect><Stream>`` WebSocket bridged to a realtime session.

Rules (Twilio's protocol, https://www.twilio.com/docs/voice/media-streams/websocket-messages):
- In: ``connected``, ``start`` (names the ``streamSid`` every outgoing message carries, the call's
  ``callSid`` and ``customParameters``), ``media`` (base64 G.711 mu-law 8 kHz, inbound track), ``mark``
  (Twilio played the audio sent before the mark of that name), ``dtmf``, ``stop`` (the call hung up).
- Out: ``media`` (base64 mu-law 8 kHz), then a ``mark`` after each one: its echo is the playback position
  barge-in truncates at; ``clear`` drops what Twilio has buffered (it then echoes the pending marks, which
  are ignored: that audio was not played).
- With a session using ``audio/pcmu`` in and out, the caller's bytes go to the service untouched and the
  service's bytes to the caller untouched; otherwise :mod:`.bridge` converts.
- Messages before ``start`` wait for it (Twilio sends it first; a greeting the session speaks early is not lost).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections import deque
from typing import Any

from semantic_kernel_realtime.telephony.bridge import PCMU_8K, PhoneBridge

logger = logging.getLogger("semantic_kernel_realtime.telephony")

__all__ = ["TwilioMediaStreamBridge"]


class TwilioMediaStreamBridge(PhoneBridge):
    """Bridges one Twilio Media Streams WebSocket to an open realtime session (see :class:`PhoneBridge`).

    ``on_dtmf(digit)`` (optional) is called with each key the caller presses. After ``start``,
    :attr:`stream_sid`, :attr:`call_sid` and :attr:`custom_parameters` say which call this is.
    """

    KIND = "event"
    REPORTS_PLAYBACK = True

    def __init__(self, client: Any, *, on_dtmf: Any = None, **kwargs: Any) -> None:
        super().__init__(client, phone_format=PCMU_8K, **kwargs)
        self.on_dtmf = on_dtmf
        self.stream_sid: str | None = None
        self.call_sid: str | None = None
        self.custom_parameters: dict[str, Any] = {}
        self._marks: deque[tuple[str, int]] = deque()  # (name, session output bytes given through it)
        self._next_mark = 0
        self._early: list[str] = []  # payloads before ``start``
        self._mark_echoed = asyncio.Event()

    # -- in --------------------------------------------------------------------------------------------

    def _on_start(self, message: dict) -> None:
        start = message.get("start") or {}
        self.stream_sid = message.get("streamSid") or start.get("streamSid")
        self.call_sid = start.get("callSid")
        self.custom_parameters = start.get("customParameters") or {}
        fmt = start.get("mediaFormat") or {}
        if fmt and (fmt.get("encoding"), fmt.get("sampleRate")) != ("audio/x-mulaw", 8000):
            logger.warning("Twilio stream %s says its media format is %r; treating it as mu-law 8 kHz",
                           self.stream_sid, fmt)
        logger.info("Twilio media stream %s started (call %s)", self.stream_sid, self.call_sid)
        early, self._early = self._early, []
        for payload in early:
            self._media(payload)
        self._ready_now()

    def _on_media(self, message: dict) -> None:
        media = message.get("media")
        if not isinstance(media, dict) or media.get("track", "inbound") != "inbound":
            return
        payload = media.get("payload")
        if isinstance(payload, str):
            self._caller_audio(base64.b64decode(payload))

    def _on_mark(self, message: dict) -> None:
        name = (message.get("mark") or {}).get("name")
        marks = self._marks
        while marks:  # marks come back in the order they were sent
            sent, given = marks.popleft()
            if sent == name:
                self._played_through(given)
                break
        self._mark_echoed.set()

    def _on_dtmf(self, message: dict) -> None:
        digit = (message.get("dtmf") or {}).get("digit")
        if self.on_dtmf is not None and digit is not None:
            self.on_dtmf(digit)

    def _on_stop(self, message: dict) -> bool:
        logger.info("Twilio media stream %s stopped (the call ended)", self.stream_sid)
        return True

    # -- out -------------------------------------------------------------------------------------------

    def _ready(self) -> bool:
        return self.stream_sid is not None

    def _media(self, payload: str) -> None:
        if self.stream_sid is None:
            self._early.append(payload)
            return
        self._next_mark += 1
        name = str(self._next_mark)
        self._marks.append((name, self._given))
        sid = self.stream_sid
        self._put(self._json({"event": "media", "streamSid": sid, "media": {"payload": payload}}))
        self._put(self._json({"event": "mark", "streamSid": sid, "mark": {"name": name}}))

    def _clear(self) -> str:
        return self._json({"event": "clear", "streamSid": self.stream_sid})

    def _forget_unplayed(self) -> None:
        self._marks.clear()
        self._early.clear()

    async def _until_played(self, seconds: float) -> None:
        """Until the last mark sent comes back (Twilio played everything before it)."""
        while self._marks:
            self._mark_echoed.clear()
            await self._mark_echoed.wait()

    HANDLERS = {"start": _on_start, "media": _on_media, "mark": _on_mark, "dtmf": _on_dtmf, "stop": _on_stop}
