"""vad.py: speech boundaries of the real recordings, measured independently from frame energy."""

import numpy as np
import pytest

from semantic_kernel_realtime.server.vad import ServerVad, SpeechStarted, SpeechStopped
from tests.server.fixtures import read_wav


def energy_bounds(pcm: bytes) -> tuple[int, int]:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: len(samples) // 240 * 240].reshape(-1, 240)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 30)
    return int(loud[0] * 10), int((loud[-1] + 1) * 10)


def run(pcm: bytes, chunk: int = 960, **kwargs) -> list:
    vad = ServerVad(**kwargs)
    found = []
    for offset in range(0, len(pcm), chunk):
        found += vad.feed(pcm[offset : offset + chunk])
    return found


@pytest.mark.parametrize("name", ["weather-in-paris.pcm16-24k.wav", "hello-world.pcm16-24k.wav"])
def test_boundaries_within_200_ms_of_the_speech(name):
    pcm = read_wav(name)
    start, end = energy_bounds(pcm)
    found = run(pcm + bytes(48_000))
    assert [type(b) for b in found] == [SpeechStarted, SpeechStopped]
    assert abs(found[0].audio_start_ms - start) <= 200
    assert abs(found[1].audio_end_ms - end) <= 200


def test_chunk_size_does_not_matter():
    pcm = read_wav("weather-in-paris.pcm16-24k.wav") + bytes(48_000)
    assert run(pcm, 960) == run(pcm, 4800) == run(pcm, 333 * 2)


def test_silence_and_quiet_noise_are_not_speech():
    rng = np.random.default_rng(0)
    noise = (rng.normal(0, 5, 24_000 * 2)).astype("<i2").tobytes()
    assert run(bytes(96_000)) == [] and run(noise) == []


def test_silence_duration_decides_the_stop():
    pcm = read_wav("weather-in-paris.pcm16-24k.wav")
    assert run(pcm + bytes(48 * 400), silence_duration_ms=500)[1:] == []
    assert len(run(pcm + bytes(48 * 400), silence_duration_ms=200)) == 2


@pytest.mark.parametrize("chunk", [960, 480, 1000, 4800])
def test_whole_frame_appends_find_what_any_chunking_finds(chunk):
    pcm = read_wav("weather-in-paris.pcm16-24k.wav") + bytes(48_000)
    assert run(pcm, chunk=chunk) == run(pcm, chunk=960 * 7 + 2)
