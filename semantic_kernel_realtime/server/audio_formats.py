"""Audio formats of the GA protocol, converted to and from the engine's internal PCM16 24 kHz mono.

``audio/pcm`` is PCM16 little-endian at 24 kHz; ``audio/pcmu`` / ``audio/pcma`` are G.711 mu-law / A-law
at 8 kHz. The G.711 codecs are the package's one implementation (``g711.py``, numpy, re-exported
here); resampling is the package's one resampler (:mod:`semantic_kernel_realtime.audio`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from semantic_kernel_realtime import audio as _audio
from semantic_kernel_realtime.g711 import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode

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
    """int16 samples converted to ``dst_rate`` by the package's one resampler (libswresample), one chunk at
    a time (a fresh filter, flushed)."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    return np.frombuffer(_audio.resample_once(samples.astype("<i2", copy=False).tobytes(), src_rate, dst_rate),
                         dtype=np.int16)


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
