"""Server VAD: speech start/stop on the session's input audio timeline, with ``webrtcvad``.

Rules:
- Input is PCM16 24 kHz mono in any chunk size; it is cut into 20 ms frames, resampled to 16 kHz
  (webrtcvad takes 8/16/32/48 kHz) and classified. Frames quieter than -66 dBFS never count as speech
  (webrtcvad's first frames adapt to noise and can misfire on near-silence).
- Speech starts when 4 of the last 5 frames (100 ms) are voiced; ``audio_start_ms`` is the first voiced
  frame of that window. Speech stops after ``silence_duration_ms`` without a voiced frame;
  ``audio_end_ms`` is the end of the last voiced frame. Both are milliseconds on the timeline of all
  audio fed since the detector was made (the session's timeline).
- ``threshold`` (0..1, clamped) picks webrtcvad's aggressiveness: 0.5 -> mode 2 (the default).
- Pure computation, no I/O or asyncio: ``feed`` returns the boundaries it found. It runs for every append
  of every session: a 20 ms chunk is classified as it is (no buffering), near-silence costs one dot product.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

FRAME_MS = 20
_FRAME_BYTES = 24 * FRAME_MS * 2
_VAD_RATE = 16_000
_POSITIONS = np.arange(_VAD_RATE * FRAME_MS // 1000) * (24_000 / _VAD_RATE)
_SOURCE = np.arange(24 * FRAME_MS)
_SILENCE_RMS = 32768 * 10 ** (-66 / 20)
_SILENCE_ENERGY = _SILENCE_RMS**2 * (_FRAME_BYTES // 2)  # the sum of squares of a frame at _SILENCE_RMS
_WINDOW = 5
_VOICED_TO_START = 4


@dataclass(frozen=True)
class SpeechStarted:
    audio_start_ms: int


@dataclass(frozen=True)
class SpeechStopped:
    audio_end_ms: int


class ServerVad:
    """Turn detection for one session."""

    def __init__(self, *, threshold: float = 0.5, silence_duration_ms: int = 500) -> None:
        level = min(1.0, max(0.0, threshold if threshold is not None else 0.5))
        self._vad = webrtcvad.Vad(min(3, int(level * 4)))
        self._silence_ms = max(FRAME_MS, silence_duration_ms if silence_duration_ms is not None else 500)
        self._pending = bytearray()
        self._position_ms = 0
        self._recent: deque[tuple[int, bool]] = deque(maxlen=_WINDOW)
        self.in_speech = False
        self._last_voiced_end_ms = 0

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio classified so far."""
        return self._position_ms

    def feed(self, pcm16: bytes) -> list[SpeechStarted | SpeechStopped]:
        if not self._pending and len(pcm16) == _FRAME_BYTES:  # one whole frame (20 ms appends): no copies
            event = self._frame(pcm16)
            return [] if event is None else [event]
        self._pending += pcm16
        found: list[SpeechStarted | SpeechStopped] = []
        usable = len(self._pending) - len(self._pending) % _FRAME_BYTES
        for offset in range(0, usable, _FRAME_BYTES):
            event = self._frame(bytes(self._pending[offset : offset + _FRAME_BYTES]))
            if event is not None:
                found.append(event)
        del self._pending[:usable]
        return found

    def _frame(self, frame: bytes) -> SpeechStarted | SpeechStopped | None:
        start = self._position_ms
        self._position_ms += FRAME_MS
        voiced = self._is_speech(frame)
        self._recent.append((start, voiced))
        if voiced:
            self._last_voiced_end_ms = start + FRAME_MS
        if not self.in_speech:
            if sum(v for _, v in self._recent) >= _VOICED_TO_START:
                self.in_speech = True
                return SpeechStarted(next(t for t, v in self._recent if v))
        elif self._position_ms - self._last_voiced_end_ms >= self._silence_ms:
            self.in_speech = False
            self._recent.clear()
            return SpeechStopped(self._last_voiced_end_ms)
        return None

    def _is_speech(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        if samples @ samples < _SILENCE_ENERGY:  # mean square < _SILENCE_RMS ** 2, without np.mean's overhead
            return False
        resampled = np.interp(_POSITIONS, _SOURCE, samples).astype("<i2").tobytes()
        return self._vad.is_speech(resampled, _VAD_RATE)
