"""demo.audio: any common audio file in (WAV PCM/float/G.711, FLAC, MP3, Ogg), PCM16 24 kHz mono out; writing."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from semantic_kernel_realtime.demo.audio import AudioFileError, chunks, read_audio_file, synthesize_speech, write_wav
from tests.audio import write_audio
from tests.shared import audio_fixture

TONE_HZ = 440


def _encode(path: Path, codec: str, rate: int, *, channels: int = 1, seconds: float = 1.0) -> Path:
    """A file holding a 440 Hz tone, encoded by FFmpeg (through PyAV) with ``codec`` at ``rate``."""
    t = np.arange(int(rate * seconds)) / rate
    return write_audio(path, 0.3 * np.sin(2 * np.pi * TONE_HZ * t), rate, codec, channels=channels)


def _dominant_hz(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * 24000 / len(x))


CASES = [
    ("pcm16-16k.wav", "pcm_s16le", 16000, 1),
    ("pcm24-44k.wav", "pcm_s24le", 44100, 1),
    ("float32-48k-stereo.wav", "pcm_f32le", 48000, 2),
    ("alaw-8k.wav", "pcm_alaw", 8000, 1),
    ("mulaw-8k.wav", "pcm_mulaw", 8000, 1),
    ("tone.flac", "flac", 44100, 2),
    ("tone.mp3", "mp3", 44100, 1),
    ("tone.ogg", "vorbis", 48000, 2),
    ("tone.opus", "libopus", 48000, 1),
]


@pytest.mark.parametrize("name, codec, rate, channels", CASES, ids=[c[0] for c in CASES])
def test_any_common_format_and_rate_becomes_pcm16_24k_mono_at_the_right_speed(tmp_path, name, codec, rate,
                                                                               channels) -> None:
    path = _encode(tmp_path / name, codec, rate, channels=channels)
    pcm, info = read_audio_file(path)
    assert (info.rate, info.channels) == (rate, channels)
    seconds = len(pcm) / 2 / 24000
    assert 0.95 <= seconds <= 1.15, seconds  # encoders may pad a few frames; never a rate mix-up
    assert abs(_dominant_hz(pcm) - TONE_HZ) < 5  # the pitch is kept: played at the right speed


def test_a_pcm16_24k_mono_file_comes_through_bit_exact(tmp_path) -> None:
    pcm = (np.arange(24000) % 200 - 100).astype("<i2").tobytes()
    write_wav(tmp_path / "exact.wav", pcm)
    assert read_audio_file(tmp_path / "exact.wav") == (pcm, read_audio_file(tmp_path / "exact.wav")[1])
    assert read_audio_file(tmp_path / "exact.wav")[1].describe() == "pcm_s16le 24000 Hz mono"


def test_the_recorded_alaw_question_matches_its_pcm16_twin_in_length() -> None:
    alaw, info = read_audio_file(audio_fixture("whats-the-weather.g711-alaw-8k.wav"))
    pcm16, _ = read_audio_file(audio_fixture("whats-the-weather.pcm16-24k.wav"))
    assert (info.codec, info.rate) == ("pcm_alaw", 8000)
    assert abs(len(alaw) - len(pcm16)) <= 2 * 240  # 10 ms


@pytest.mark.parametrize("content, message", [
    (None, "input audio file not found"),
    (b"", "is not an audio file FFmpeg can read"),
    (b"not audio at all, just text\n" * 20, "is not an audio file FFmpeg can read"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "is not an audio file FFmpeg can read"),
])
def test_anything_unreadable_is_one_line_naming_the_file(tmp_path, content, message) -> None:
    path = tmp_path / "question.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioFileError, match=message) as error:
        read_audio_file(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_directory_or_a_fifo_is_refused_without_blocking(tmp_path) -> None:
    with pytest.raises(AudioFileError, match="is a directory"):
        read_audio_file(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.wav")
        with pytest.raises(AudioFileError, match="not a regular file"):
            read_audio_file(tmp_path / "pipe.wav")


def test_a_file_without_audio_is_refused(tmp_path) -> None:
    path = tmp_path / "video.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width = stream.height = 16
        frame = av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
        for packet in (*stream.encode(frame), *stream.encode(None)):
            container.mux(packet)
    with pytest.raises(AudioFileError, match="has no audio stream"):
        read_audio_file(path)


def test_spoken_questions_are_synthesised_offline() -> None:
    pytest.importorskip("espeakng_loader", reason="eSpeak NG not installed (pip install '.[speech]')")
    pcm = synthesize_speech("What's the weather like in San Francisco, California?")
    assert 2.0 < len(pcm) / 48000 < 5.0
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 3000


def test_write_and_chunk(tmp_path) -> None:
    write_wav(tmp_path / "out.wav", b"\x01\x00" * 1000)
    with wave.open(str(tmp_path / "out.wav")) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (24000, 1000)
    pieces = list(chunks(b"\x01" * 2000))
    assert [len(p) for p in pieces] == [960, 960, 960] and pieces[-1].endswith(b"\0")
