"""Sample-rate conversion for the speech engines: the package's one resampler (libswresample through PyAV).

Rules:
- Input and output are PCM16 mono (``bytes``-like or an ``int16`` array); a whole utterance is converted
  at once with a fresh resampler, flushed at the end, so no state is kept between calls (thread-safe and
  deterministic).
- ``semantic_kernel_realtime.audio`` (and so ``av``) is imported on first use, never at import time.
"""

from __future__ import annotations

import numpy as np


def resample_pcm16(pcm16: bytes | bytearray | memoryview | np.ndarray, src_rate: int, dst_rate: int) -> bytes:
    """Return ``pcm16`` (mono int16 at ``src_rate``) converted to ``dst_rate``, as PCM16 bytes."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    if isinstance(pcm16, np.ndarray):
        samples = np.ascontiguousarray(pcm16, dtype="<i2").reshape(-1)
    else:
        samples = np.frombuffer(pcm16, dtype="<i2", count=len(pcm16) // 2)
    if src_rate == dst_rate or samples.size == 0:
        return samples.tobytes()
    from semantic_kernel_realtime.audio import resample_once

    return resample_once(samples.tobytes(), src_rate, dst_rate)
