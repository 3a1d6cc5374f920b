"""WAV in and out for the demo: read any common WAV as PCM16 24 kHz mono, write PCM16 24 kHz mono.

Reads RIFF/WAVE with PCM 8/16/24/32-bit integer, 32/64-bit float, G.711 A-law and mu-law data (plain
or ``WAVE_FORMAT_EXTENSIBLE``), any rate, any channel count (mixed down to mono). The standard library's
``wave`` module only knows integer PCM, hence the small parser. Resampling uses PyAV's (FFmpeg's
swresample) resampler; ``av`` is already installed as a dependency of ``aiortc``.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 24000
CHUNK_MS = 20
CHUNK_BYTES = RATE * CHUNK_MS // 1000 * 2  # 960 bytes: 20 ms of PCM16 mono at 24 kHz

_PCM, _FLOAT, _ALAW, _ULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE


class AudioFileError(Exception):
    """The input file is missing or is not a WAV file this reader understands."""


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    encoding: str  # "pcm16", "pcm8", "pcm24", "pcm32", "float32", "float64", "alaw", "ulaw"


def _alaw_table() -> np.ndarray:
    table = np.empty(256, dtype=np.int16)
    for code in range(256):
        a = code ^ 0x55
        t = (a & 0x0F) << 4
        segment = (a & 0x70) >> 4
        if segment == 0:
            t += 8
        elif segment == 1:
            t += 0x108
        else:
            t = (t + 0x108) << (segment - 1)
        table[code] = t if a & 0x80 else -t
    return table


def _ulaw_table() -> np.ndarray:
    table = np.empty(256, dtype=np.int16)
    for code in range(256):
        u = ~code & 0xFF
        t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        table[code] = (0x84 - t) if u & 0x80 else (t - 0x84)
    return table


def _chunks(data: bytes):
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        yield cid, data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)


def decode_wav(data: bytes) -> tuple[np.ndarray, WavInfo]:
    """Samples as float32 in [-1, 1], shape (frames, channels), and what the file was."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFileError("not a RIFF/WAVE file")
    fmt = payload = None
    for cid, body in _chunks(data):
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            payload = body
    if fmt is None or payload is None or len(fmt) < 16:
        raise AudioFileError("WAV file without a 'fmt ' or 'data' chunk")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack_from("<H", fmt, 24)[0]  # first two bytes of the sub-format GUID
    if channels < 1 or rate < 1:
        raise AudioFileError(f"WAV header has {channels} channels at {rate} Hz")
    payload = payload[: len(payload) - len(payload) % max(block_align, 1)]
    if tag == _ALAW and bits == 8:
        samples, encoding = _alaw_table()[np.frombuffer(payload, np.uint8)] / 32768.0, "alaw"
    elif tag == _ULAW and bits == 8:
        samples, encoding = _ulaw_table()[np.frombuffer(payload, np.uint8)] / 32768.0, "ulaw"
    elif tag == _PCM and bits == 8:
        samples, encoding = (np.frombuffer(payload, np.uint8).astype(np.float32) - 128) / 128.0, "pcm8"
    elif tag == _PCM and bits == 16:
        samples, encoding = np.frombuffer(payload, "<i2") / 32768.0, "pcm16"
    elif tag == _PCM and bits == 24:
        raw = np.frombuffer(payload, np.uint8).reshape(-1, 3).astype(np.int32)
        value = (raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)) << 8 >> 8
        samples, encoding = value / 8388608.0, "pcm24"
    elif tag == _PCM and bits == 32:
        samples, encoding = np.frombuffer(payload, "<i4") / 2147483648.0, "pcm32"
    elif tag == _FLOAT and bits in (32, 64):
        samples, encoding = np.frombuffer(payload, f"<f{bits // 8}"), f"float{bits}"
    else:
        raise AudioFileError(f"unsupported WAV encoding (format tag {tag}, {bits} bits)")
    samples = np.asarray(samples, dtype=np.float32).reshape(-1, channels)
    return samples, WavInfo(rate=rate, channels=channels, encoding=encoding)


def resample(mono: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """float32 mono at ``rate`` -> int16 mono at ``target`` (FFmpeg's resampler through PyAV)."""
    pcm = np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)  # exact for PCM16 input
    if rate == target or pcm.size == 0:
        return pcm
    import av  # installed with aiortc; imported here so reading 24 kHz files needs nothing

    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.int16) if out else np.zeros(0, np.int16)


def read_wav_24k(path: str | Path) -> tuple[bytes, WavInfo]:
    """PCM16 little-endian mono 24 kHz bytes from any supported WAV file, and the file's own format."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AudioFileError(f"input audio file not found: {path}") from None
    except OSError as exc:
        raise AudioFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        samples, info = decode_wav(data)
    except AudioFileError as exc:
        raise AudioFileError(f"{path}: {exc}") from None
    mono = samples.mean(axis=1) if info.channels > 1 else samples[:, 0]
    return resample(mono, info.rate).astype("<i2").tobytes(), info


def write_wav(path: str | Path, pcm16: bytes, rate: int = RATE) -> None:
    """Write PCM16 mono little-endian bytes as a playable WAV file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm16)


def chunks(pcm16: bytes, size: int = CHUNK_BYTES):
    """Split PCM16 bytes into ``size``-byte pieces (the last one padded with silence)."""
    for start in range(0, len(pcm16), size):
        piece = pcm16[start:start + size]
        yield piece + b"\0" * (size - len(piece))
