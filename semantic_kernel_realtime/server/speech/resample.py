"""Sample-rate conversion for the speech engines: a stateless polyphase windowed-sinc resampler in numpy.

Rules:
- Input and output are PCM16 mono (``bytes`` or an ``int16`` array); a whole utterance is converted at
  once, with no state kept between calls (so it is thread-safe and deterministic).
- Rates are integers whose ratio reduces to ``up/down``; the anti-aliasing low-pass cuts just below the
  lower of the two Nyquist frequencies (Kaiser-windowed sinc), and the filter delay is compensated so the
  output lines up with the input and has ``ceil(n * dst / src)`` samples.
- Work is done in bounded chunks so memory stays small for long audio.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

_ZERO_CROSSINGS = 16  # half-length of the sinc, in periods of the lower rate
_KAISER_BETA = 8.6
_ROLLOFF = 0.94  # cutoff as a fraction of the lower Nyquist frequency
_CHUNK = 16_384  # output samples computed per vectorised step


@lru_cache(maxsize=16)
def _filter(up: int, down: int) -> tuple[np.ndarray, int]:
    """The low-pass prototype at the upsampled rate (gain ``up``) and its half-length."""
    span = max(up, down)
    half = _ZERO_CROSSINGS * span
    j = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = _ROLLOFF / span  # in cycles per upsampled sample, times two (sinc convention)
    h = cutoff * np.sinc(cutoff * j) * np.kaiser(2 * half + 1, _KAISER_BETA) * up
    return h.astype(np.float64), half


def resample_pcm16(pcm16: bytes | np.ndarray, src_rate: int, dst_rate: int) -> bytes:
    """Return ``pcm16`` (mono int16 at ``src_rate``) converted to ``dst_rate``, as PCM16 bytes."""
    if isinstance(pcm16, (bytes, bytearray, memoryview)):
        x = np.frombuffer(pcm16, dtype="<i2", count=len(pcm16) // 2)
    else:
        x = np.asarray(pcm16, dtype=np.int16)
    return resample(x, src_rate, dst_rate).astype("<i2").tobytes()


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample a mono signal; returns int16 (clipped) for int16 input, float64 otherwise."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    is_int = np.issubdtype(np.asarray(x).dtype, np.integer)
    xf = np.asarray(x, dtype=np.float64).ravel()
    if src_rate == dst_rate or xf.size == 0:
        out = xf.copy()
    else:
        g = gcd(src_rate, dst_rate)
        out = _polyphase(xf, dst_rate // g, src_rate // g)
    if is_int:
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
    return out


def _polyphase(x: np.ndarray, up: int, down: int) -> np.ndarray:
    h, half = _filter(up, down)
    n_out = -(-x.size * up // down)
    taps = (2 * half) // up + 1
    # y[n] = sum_k x[k] * h[n*down - k*up + half], over the k where the index is inside the filter.
    pad = taps + 1
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _CHUNK):
        n = np.arange(start, min(start + _CHUNK, n_out), dtype=np.int64)
        t = n * down
        k0 = -((half - t) // up)  # ceil((t - half) / up)
        k = k0[:, None] + np.arange(taps, dtype=np.int64)[None, :]
        j = t[:, None] - k * up + half
        valid = (j >= 0) & (j <= 2 * half)
        w = np.where(valid, h[np.clip(j, 0, 2 * half)], 0.0)
        out[start : start + n.size] = np.einsum("ij,ij->i", w, xp[k + pad])
    return out
