"""demo.audio: WAV decoding (PCM, float, G.711 A-law, stereo), resampling to 24 kHz, writing."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from semantic_kernel_realtime.demo.audio import AudioFileError, chunks, decode_wav, read_wav_24k, write_wav

AUDIO = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "audio"


def _wav(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def test_alaw_fixture_decodes_like_ffmpeg_and_resamples_to_24k() -> None:
    av = pytest.importorskip("av")
    path = AUDIO / "whats-the-weather.g711-alaw-8k.wav"
    samples, info = decode_wav(path.read_bytes())
    assert (info.encoding, info.rate, info.channels) == ("alaw", 8000, 1)
    with av.open(str(path)) as container:
        reference = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert np.array_equal((samples[:, 0] * 32768).astype(np.int16)[: len(reference)], reference)
    pcm, _ = read_wav_24k(path)
    assert abs(len(pcm) / 2 - len(samples) * 3) <= 48


def test_pcm16_24k_fixture_passes_through_unchanged() -> None:
    path = AUDIO / "whats-the-weather.pcm16-24k.wav"
    pcm, info = read_wav_24k(path)
    with wave.open(str(path)) as wav:
        assert pcm == wav.readframes(wav.getnframes())
    assert info.encoding == "pcm16"


def test_stereo_48k_is_mixed_down_and_resampled(tmp_path) -> None:
    t = np.arange(48000) / 48000
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    path = tmp_path / "stereo.wav"
    path.write_bytes(_wav(stereo, 48000, channels=2))
    pcm, info = read_wav_24k(path)
    out = np.frombuffer(pcm, dtype="<i2")
    assert info.channels == 2 and abs(len(out) - 24000) <= 48
    assert 9000 < np.abs(out[1000:-1000]).max() < 11000


def test_float32_wav(tmp_path) -> None:
    data = np.linspace(-0.5, 0.5, 240, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 24000, 96000, 4, 32)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    (tmp_path / "f.wav").write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    pcm, info = read_wav_24k(tmp_path / "f.wav")
    assert info.encoding == "float32"
    assert np.frombuffer(pcm, "<i2")[0] == -16384


def test_errors_are_typed(tmp_path) -> None:
    with pytest.raises(AudioFileError, match="not found"):
        read_wav_24k(tmp_path / "nope.wav")
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    with pytest.raises(AudioFileError, match="not a RIFF/WAVE"):
        read_wav_24k(tmp_path / "bad.wav")


def test_write_and_chunk(tmp_path) -> None:
    write_wav(tmp_path / "out.wav", b"\x01\x00" * 1000)
    with wave.open(str(tmp_path / "out.wav")) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (24000, 1000)
    pieces = list(chunks(b"\x01" * 2000))
    assert [len(p) for p in pieces] == [960, 960, 960] and pieces[-1].endswith(b"\0")
