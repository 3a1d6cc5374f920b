"""audio_formats.py: G.711 codecs (checked against the reference tables of audioop where present)."""

import warnings

import numpy as np
import pytest

from semantic_kernel_realtime.server import audio_formats as af
from tests.server.fixtures import read_alaw_wav, read_wav

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)


def reference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop")


def test_mulaw_matches_reference_for_every_sample():
    audioop = reference()
    pcm = ALL_SAMPLES.astype("<i2").tobytes()
    assert af.mulaw_encode(ALL_SAMPLES) == audioop.lin2ulaw(pcm, 2)
    codes = bytes(range(256))
    assert af.mulaw_decode(codes).astype("<i2").tobytes() == audioop.ulaw2lin(codes, 2)


def test_alaw_matches_reference_for_every_sample():
    audioop = reference()
    pcm = ALL_SAMPLES.astype("<i2").tobytes()
    assert af.alaw_encode(ALL_SAMPLES) == audioop.lin2alaw(pcm, 2)
    codes = bytes(range(256))
    assert af.alaw_decode(codes).astype("<i2").tobytes() == audioop.alaw2lin(codes, 2)


def test_known_codes():
    assert af.mulaw_encode(np.array([0, 32767, -32768])) == bytes([0xFF, 0x80, 0x00])
    assert af.alaw_encode(np.array([0, 32767, -32768])) == bytes([0xD5, 0xAA, 0x2A])


@pytest.mark.parametrize("kind", ["audio/pcmu", "audio/pcma"])
def test_round_trip_through_8k(kind):
    t = np.arange(24000) / 24000
    tone = (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2").tobytes()
    encoded = af.encode(tone, {"type": kind})
    assert len(encoded) == 8000
    back = np.frombuffer(af.decode(encoded, {"type": kind}), dtype="<i2").astype(float)
    original = np.frombuffer(tone, dtype="<i2").astype(float)
    assert len(back) == len(original)
    assert np.corrcoef(back[100:-100], original[100:-100])[0, 1] > 0.99


def test_pcm_passes_through():
    assert af.encode(b"\x01\x02", {"type": "audio/pcm", "rate": 24000}) == b"\x01\x02"
    assert af.decode(b"\x01\x02\x03", None) == b"\x01\x02"


def test_alaw_fixture_decodes_to_the_same_speech():
    alaw = af.decode(read_alaw_wav("whats-the-weather.g711-alaw-8k.wav"), {"type": "audio/pcma"})
    pcm = read_wav("whats-the-weather.pcm16-24k.wav")
    assert abs(len(alaw) - len(pcm)) / len(pcm) < 0.05
    assert np.abs(np.frombuffer(alaw, dtype="<i2")).max() > 1000
