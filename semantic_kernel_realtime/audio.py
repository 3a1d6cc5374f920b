"""PCM16 audio facts and the package's one resampler.

Rules:
- Audio between the application and a codec is PCM16 little-endian mono. Each codec states the rates its
  service takes and sends (``Capabilities.input_sample_rate`` / ``output_sample_rate``); the application
  states the rate it sends (the client's ``input_audio_sample_rate``, 24 kHz by default: what OpenAI takes).
- Where the two differ, a :class:`Resampler` converts on the client before the codec encodes. It wraps
  PyAV's ``AudioResampler`` (FFmpeg's libswresample, already a dependency through aiortc) and keeps its
  filter state across chunks, so a stream cut in 20 ms chunks converts as one signal: no clicks at chunk
  edges. One resampler per stream; it is not thread-safe.
- This module imports nothing of the package, so any layer that may use av (client, transports, server)
  may use it; the protocol layer stays free of it.
"""

from __future__ import annotations

import av
import numpy as np

__all__ = ["BYTES_PER_SAMPLE", "Resampler", "bytes_per_ms"]

#: PCM16: two bytes per sample (mono).
BYTES_PER_SAMPLE = 2


def bytes_per_ms(rate: int) -> int:
    """Bytes of PCM16 mono per millisecond at ``rate`` (rates that are whole kHz)."""
    return rate * BYTES_PER_SAMPLE // 1000


class Resampler:
    """Stateful PCM16 mono rate conversion: ``convert(chunk)`` for each chunk in order, ``flush()`` at the end."""

    __slots__ = ("src_rate", "dst_rate", "_resampler", "_pts")

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=dst_rate)
        self._pts = 0

    def convert(self, pcm16: bytes) -> bytes:
        """The converted samples available so far (the filter holds back a few until more input or flush)."""
        samples = len(pcm16) // BYTES_PER_SAMPLE
        if samples == 0:
            return b""
        if self.src_rate == self.dst_rate:
            return bytes(pcm16[: samples * BYTES_PER_SAMPLE])
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(pcm16, dtype="<i2", count=samples).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = self.src_rate
        frame.pts = self._pts
        self._pts += samples
        return self._join(self._resampler.resample(frame))

    def flush(self) -> bytes:
        """What the filter still holds (call once, at the end of the stream)."""
        if self.src_rate == self.dst_rate:
            return b""
        return self._join(self._resampler.resample(None))

    @staticmethod
    def _join(frames: list[av.AudioFrame]) -> bytes:
        if not frames:
            return b""
        if len(frames) == 1:
            return bytes(frames[0].planes[0])[: frames[0].samples * BYTES_PER_SAMPLE]
        return b"".join(bytes(f.planes[0])[: f.samples * BYTES_PER_SAMPLE] for f in frames)
