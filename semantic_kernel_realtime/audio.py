"""PCM16 audio facts, G.711, and the package's one resampler.

Rules:
- Audio between the application and a codec is PCM16 little-endian mono. Each codec states the rates its
  service takes and sends (``Capabilities.input_sample_rate`` / ``output_sample_rate``); the application
  states the rate it sends (the client's ``input_audio_sample_rate``, 24 kHz by default: what OpenAI takes).
- Where the two differ, a :class:`Resampler` converts on the client before the codec encodes. It wraps
  PyAV's ``AudioResampler`` (FFmpeg's libswresample, already a dependency through aiortc) and keeps its
  filter state across chunks, so a stream cut in 20 ms chunks converts as one signal: no clicks at chunk
  edges. One resampler per stream; it is not thread-safe.
- G.711 (``audio/pcmu`` mu-law, ``audio/pcma`` A-law: 8 kHz, one byte a sample) follows ITU-T G.711 in
  numpy (``audioop`` is gone from Python 3.13); the server's wire formats use the same functions.
- A :class:`FormatConverter` turns one stream from what it is (a MIME type and a rate) into what it must
  be: G.711 decoded, resampled with one :class:`Resampler`, G.711 encoded, each step only where needed.
  :func:`mime_rate` reads the rate a MIME type states (``audio/pcm;rate=16000``; G.711: 8000).
- This module imports nothing of the package, so any layer that may use av (client, transports, server)
  may use it; the protocol layer stays free of it.
"""

from __future__ import annotations

import av
import numpy as np

from semantic_kernel_realtime.g711 import alaw_decode, alaw_encode, mulaw_decode, mulaw_encode

__all__ = ["BYTES_PER_SAMPLE", "G711_RATE", "PCM", "PCMA", "PCMU", "FormatConverter", "Resampler", "alaw_decode",
           "alaw_encode", "bytes_per_ms", "mime_rate", "mime_type", "mulaw_decode", "mulaw_encode", "resample_once"]

#: PCM16: two bytes per sample (mono).
BYTES_PER_SAMPLE = 2
#: Sample rate of G.711.
G711_RATE = 8_000
PCM, PCMU, PCMA = "audio/pcm", "audio/pcmu", "audio/pcma"
#: MIME type names (GA and legacy) -> the GA one.
_MIME_NAMES = {"audio/pcm": PCM, "pcm16": PCM, "audio/l16": PCM, "audio/pcmu": PCMU, "g711_ulaw": PCMU,
               "audio/pcma": PCMA, "g711_alaw": PCMA, "audio/basic": PCMU}


def mime_type(value: str | None) -> str:
    """The GA format name of a MIME type (``audio/pcm;rate=16000`` -> ``audio/pcm``); PCM when unknown."""
    if not value:
        return PCM
    return _MIME_NAMES.get(value.partition(";")[0].strip().lower(), PCM)


def mime_rate(value: str | None, default: int) -> int:
    """The sample rate a MIME type states: G.711 is 8000 Hz; PCM's ``rate=`` parameter, else ``default``."""
    kind = mime_type(value)
    if kind != PCM:
        return G711_RATE
    for parameter in (value or "").split(";")[1:]:
        name, _, number = parameter.partition("=")
        if name.strip().lower() == "rate" and number.strip().isdigit():
            return int(number)
    return default


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


def resample_once(pcm16: bytes, src_rate: int, dst_rate: int) -> bytes:
    """A whole utterance converted at once (a fresh :class:`Resampler`, flushed): stateless, thread-safe."""
    if src_rate == dst_rate:
        return bytes(pcm16[: len(pcm16) // BYTES_PER_SAMPLE * BYTES_PER_SAMPLE])
    resampler = Resampler(src_rate, dst_rate)
    return resampler.convert(pcm16) + resampler.flush()


# --- G.711: the package's one implementation is :mod:`semantic_kernel_realtime.g711` (re-exported) ---

_G711_DECODE = {PCMU: mulaw_decode, PCMA: alaw_decode}
_G711_ENCODE = {PCMU: mulaw_encode, PCMA: alaw_encode}


class FormatConverter:
    """One stream from ``(src_mime, src_rate)`` to ``(dst_mime, dst_rate)``; stateful (one per stream).

    PCM rates are the given ones; a G.711 side is always 8000 Hz. ``convert`` returns bytes of the
    destination format (PCM16 little-endian or G.711); ``pcm16`` the int16 samples when the destination
    is PCM.
    """

    __slots__ = ("_decode", "_resampler", "_encode", "identity")

    def __init__(self, src_mime: str, src_rate: int, dst_mime: str, dst_rate: int) -> None:
        src, dst = mime_type(src_mime), mime_type(dst_mime)
        src_rate = G711_RATE if src != PCM else src_rate
        dst_rate = G711_RATE if dst != PCM else dst_rate
        self._decode = _G711_DECODE.get(src)
        self._encode = _G711_ENCODE.get(dst)
        self._resampler = Resampler(src_rate, dst_rate) if src_rate != dst_rate else None
        #: True when the stream passes through unchanged.
        self.identity = src == dst and self._resampler is None
        if self.identity:
            self._decode = self._encode = None

    def convert(self, data: bytes) -> bytes:
        if self.identity:
            return data
        pcm = self._decode(data).astype("<i2").tobytes() if self._decode is not None else data
        if self._resampler is not None:
            pcm = self._resampler.convert(pcm)
        if self._encode is not None:
            return self._encode(np.frombuffer(pcm, dtype="<i2"))
        return pcm

    __call__ = convert

    def flush(self) -> bytes:
        """What the resampler still holds at the end of the stream, converted (b"" without resampling)."""
        if self._resampler is None:
            return b""
        pcm = self._resampler.flush()
        return self._encode(np.frombuffer(pcm, dtype="<i2")) if self._encode is not None else pcm

    def pcm16(self, data: bytes) -> np.ndarray:
        """The converted stream as int16 samples (the destination must be PCM)."""
        return np.frombuffer(self.convert(data), dtype=np.int16)
