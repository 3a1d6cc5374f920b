"""Audio formats of the GA protocol, converted to and from the engine's internal PCM16 24 kHz mono.

``audio/pcm`` is PCM16 little-endian at 24 kHz; ``audio/pcmu`` / ``audio/pcma`` are G.711 mu-law / A-law
at 8 kHz. The G.711 codecs follow ITU-T G.711 (segment/mantissa tables) in numpy, since ``audioop`` is
gone from Python 3.13. Resampling is linear interpolation: good enough for telephony-band G.711 and VAD.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RATE = 24_000
G711_RATE = 8_000
BYTES_PER_MS = RATE * 2 // 1000  # 48 bytes of PCM16 per millisecond

_PCM = "audio/pcm"
_PCMU = "audio/pcmu"
_PCMA = "audio/pcma"
FORMAT_TYPES = (_PCM, _PCMU, _PCMA)


def format_type(fmt: dict[str, Any] | None) -> str:
    """The ``type`` of a GA format object; PCM when absent."""
    return (fmt or {}).get("type") or _PCM


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling of int16 samples."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    count = int(round(len(samples) * dst_rate / src_rate))
    positions = np.arange(count) * (src_rate / dst_rate)
    out = np.interp(positions, np.arange(len(samples)), samples.astype(np.float64))
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


# --- G.711 ---------------------------------------------------------------------------------------------

_MULAW_BIAS = 0x84
_MULAW_CLIP = 8159  # in the 14-bit domain G.711 mu-law works in
_MULAW_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def mulaw_encode(pcm: np.ndarray) -> bytes:
    x = pcm.astype(np.int32) >> 2  # 14-bit, rounding toward minus infinity like the reference coder
    mask = np.where(x < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(x), _MULAW_CLIP) + (_MULAW_BIAS >> 2)
    seg = np.searchsorted(_MULAW_SEGMENT_ENDS, magnitude, side="left")
    mantissa = (magnitude >> (np.minimum(seg, 7) + 1)) & 0x0F
    code = np.where(seg >= 8, 0x7F, (seg << 4) | mantissa)  # past the last segment: the largest code
    return (code ^ mask).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    seg = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + _MULAW_BIAS) << seg
    return np.where(u & 0x80, _MULAW_BIAS - magnitude, magnitude - _MULAW_BIAS).astype(np.int16)


def alaw_encode(pcm: np.ndarray) -> bytes:
    x = pcm.astype(np.int32)
    sign = np.where(x >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(x >= 0, x, -x - 1), 32767) >> 3  # 13-bit magnitude
    seg = np.zeros(magnitude.shape, dtype=np.int32)
    for bit in range(7):
        seg += (magnitude >= (0x20 << bit)).astype(np.int32)
    mantissa = np.where(seg == 0, magnitude >> 1, magnitude >> seg) & 0x0F
    return (((sign | (seg << 4) | mantissa) ^ 0x55) & 0xFF).astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    seg = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(seg == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


# --- wire <-> internal PCM16 24 kHz ---------------------------------------------------------------------


def encode(pcm16_24k: bytes, fmt: dict[str, Any] | None) -> bytes:
    """Internal PCM16 24 kHz -> the bytes of ``fmt``."""
    kind = format_type(fmt)
    if kind == _PCM:
        return pcm16_24k
    samples = resample(np.frombuffer(pcm16_24k, dtype="<i2"), RATE, G711_RATE)
    return mulaw_encode(samples) if kind == _PCMU else alaw_encode(samples)


def decode(data: bytes, fmt: dict[str, Any] | None) -> bytes:
    """Bytes of ``fmt`` -> internal PCM16 24 kHz (an odd trailing PCM byte is dropped)."""
    kind = format_type(fmt)
    if kind == _PCM:
        return data[: len(data) - len(data) % 2]
    samples = mulaw_decode(data) if kind == _PCMU else alaw_decode(data)
    return resample(samples, G711_RATE, RATE).astype("<i2").tobytes()


def duration_ms(pcm16_24k_len: int) -> int:
    return pcm16_24k_len // BYTES_PER_MS
