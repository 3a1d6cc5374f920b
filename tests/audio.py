"""Audio helpers for tests: read the shared WAV fixtures, measure where the speech in them is."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.shared import audio_fixture


def read_wav(path: Path) -> bytes:
    """PCM16 24 kHz mono frames of a fixture (skips the test when the shared fixtures are absent)."""
    if not path.exists():
        audio_fixture(path.name)  # skips, saying why
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        return wav.readframes(wav.getnframes())


def speech_bounds_ms(pcm: bytes) -> tuple[int, int]:
    """Speech start/end measured from the file: 10 ms frames within 30 dB of the loudest frame."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: len(samples) // 240 * 240].reshape(-1, 240)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 30)
    return int(loud[0] * 10), int((loud[-1] + 1) * 10)


def write_audio(path: Path, signal: np.ndarray, rate: int, codec: str, *, channels: int = 1) -> Path:
    """Encode ``signal`` (mono float samples in [-1, 1] at ``rate``) into ``path`` with FFmpeg's ``codec``
    through PyAV (the container follows the suffix), copied onto ``channels`` channels."""
    import av

    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout=layout, options={"strict": "experimental"})
        frame_format = av.AudioFormat(stream.codec_context.format.name)
        samples = np.tile(np.asarray(signal, dtype=np.float64), (channels, 1))
        data = samples if frame_format.is_planar else samples.T.reshape(1, -1)
        if frame_format.name.startswith("s16"):
            data = np.clip(data * 32768, -32768, 32767).astype(np.int16)
        elif frame_format.name.startswith("s32"):
            data = np.clip(data * 2**31, -(2**31), 2**31 - 1).astype(np.int32)
        else:
            data = data.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=frame_format.name, layout=layout)
        frame.sample_rate = rate
        for packet in (*stream.encode(frame), *stream.encode(None)):
            container.mux(packet)
    return path


def pcm16_to_float(pcm16: bytes) -> np.ndarray:
    return np.frombuffer(pcm16, dtype="<i2").astype(np.float64) / 32768
