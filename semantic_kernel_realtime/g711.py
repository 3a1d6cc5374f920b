"""G.711 (ITU-T) mu-law and A-law: the telephone network's 8 kHz, one-byte-a-sample audio, in numpy.

Rules:
- Encoders take PCM16 samples (an int16 array) and return the G.711 bytes; decoders take the bytes and
  return an int16 array. Both follow the reference segment/mantissa tables, vectorised (``audioop`` is
  gone from Python 3.13).
- This module imports numpy only, so every layer may use it: the server's wire formats
  (``server/audio_formats.py``) and the telephony bridges (``telephony/``) share it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RATE", "alaw_decode", "alaw_encode", "mulaw_decode", "mulaw_encode"]

#: G.711's sample rate (one byte per sample).
RATE = 8_000

_MULAW_BIAS = 0x84
_MULAW_CLIP = 8159  # in the 14-bit domain G.711 mu-law works in
_MULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def mulaw_encode(pcm: np.ndarray) -> bytes:
    """PCM16 samples -> mu-law bytes."""
    x = pcm.astype(np.int32) >> 2  # 14-bit, rounding toward minus infinity like the reference coder
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), _MULAW_CLIP) + (_MULAW_BIAS >> 2)
    seg = np.searchsorted(_MULAW_SEGMENT_ENDS, magnitude, side="left")
    mantissa = (magnitude >> (np.minimum(seg, 7) + 1)) & 0x0F
    code = np.where(seg >= 8, 0x7F, (seg << 4) | mantissa)  # past the last segment: the largest code
    return (code ^ mask).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    """mu-law bytes -> PCM16 samples."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    seg = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + _MULAW_BIAS) << seg
    return np.where(u & 0x80, _MULAW_BIAS - magnitude, magnitude - _MULAW_BIAS).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> bytes:
    """PCM16 samples -> A-law bytes."""
    x = pcm.astype(np.int32)
    sign = np.where(x >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(x >= 0, x, -x - 1), 32767) >> 3  # 13-bit magnitude
    seg = np.zeros(magnitude.shape, dtype=np.int32)
    for bit in range(7):
        seg += (magnitude >= (0x20 << bit)).astype(np.int32)
    mantissa = np.where(seg == 0, magnitude >> 1, magnitude >> seg) & 0x0F
    return (((sign | (seg << 4) | mantissa) ^ 0x55) & 0xFF).astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    """A-law bytes -> PCM16 samples."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    seg = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(seg == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)
