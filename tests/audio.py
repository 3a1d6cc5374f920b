"""Audio helpers for tests: read the shared WAV fixtures, measure where the speech in them is."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest


def read_wav(path: Path) -> bytes:
    """PCM16 24 kHz mono frames of a fixture (skips the test when the shared fixtures are absent)."""
    if not path.exists():
        pytest.skip(f"fixture missing: {path}")
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
