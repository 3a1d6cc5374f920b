"""Audio files for the demo and the samples: read any common format as PCM16 24 kHz mono; write WAV.

Rules:
- :func:`read_audio_file` decodes with PyAV (FFmpeg; ``av`` is installed with ``aiortc``): WAV (integer PCM,
  float, G.711 A-law and mu-law), FLAC, MP3, Ogg Vorbis and Opus, and whatever else FFmpeg reads, at any
  rate and channel count. Channels are mixed down and the rate converted by libswresample; the result is
  PCM16 little-endian mono at 24 kHz, the realtime session's native format. A PCM16 24 kHz mono file comes
  through bit-exact.
- Anything unreadable (missing, a directory, not audio, no audio stream, corrupt) raises
  :class:`AudioFileError` whose message is one line naming the file: applications print it and exit.
- :func:`synthesize_speech` synthesises a sentence offline with eSpeak NG (the ``[speech]`` extra): the demo's and the
  samples' default questions are produced by the project itself, so they need no recording.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from semantic_kernel_realtime.errors import AudioFileError

RATE = 24000
CHUNK_MS = 20
CHUNK_BYTES = RATE * CHUNK_MS // 1000 * 2  # 960 bytes: 20 ms of PCM16 mono at 24 kHz
#: The eSpeak NG voice the default questions are spoken with: the one the bundled PocketSphinx model
#: understands best (en-us+f5; see ``server/speech/espeak.py``).
QUESTION_VOICE = "alloy"

__all__ = ["CHUNK_BYTES", "CHUNK_MS", "RATE", "AudioFileError", "AudioInfo", "chunks", "read_audio_file",
           "synthesize_speech", "write_wav"]


@dataclass(frozen=True)
class AudioInfo:
    """What the file was: its codec (FFmpeg's name, e.g. ``pcm_s16le``, ``pcm_alaw``, ``flac``, ``mp3``),
    sample rate, channel count and container format (``wav``, ``flac``, ``ogg``, ``mp3``...)."""

    codec: str
    rate: int
    channels: int
    container: str

    def describe(self) -> str:
        layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels} channels")
        return f"{self.codec} {self.rate} Hz {layout}"


def read_audio_file(path: str | Path) -> tuple[bytes, AudioInfo]:
    """PCM16 little-endian mono 24 kHz bytes of any audio file FFmpeg reads, and what the file was."""
    import av  # installed with aiortc; imported here so that importing this module stays cheap

    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"input audio file not found: {path}")
    if path.is_dir():
        raise AudioFileError(f"{path} is a directory, not an audio file")
    if not path.is_file():  # a FIFO or a device would block the decoder
        raise AudioFileError(f"{path} is not a regular file")
    try:
        with av.open(str(path), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioFileError(f"{path} has no audio stream")
            info = AudioInfo(codec=stream.codec_context.name, rate=stream.codec_context.sample_rate or 0,
                             channels=stream.codec_context.channels or 0, container=container.format.name)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            pieces = [out.to_ndarray().reshape(-1)
                      for frame in container.decode(stream) for out in resampler.resample(frame)]
            pieces += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except AudioFileError:
        raise
    except PermissionError:
        raise AudioFileError(f"cannot read {path}: permission denied") from None
    except (av.FFmpegError, ValueError, OSError) as exc:
        reason = " ".join(str(getattr(exc, "strerror", None) or exc).split()) or type(exc).__name__
        raise AudioFileError(f"{path} is not an audio file FFmpeg can read ({reason})") from None
    pcm = np.concatenate(pieces).astype("<i2", copy=False) if pieces else np.zeros(0, "<i2")
    if pcm.size == 0:
        raise AudioFileError(f"{path} holds no audio samples")
    return pcm.tobytes(), info


def synthesize_speech(text: str, *, voice: str = QUESTION_VOICE) -> bytes:
    """``text`` spoken by eSpeak NG, offline, as PCM16 24 kHz mono (needs the ``[speech]`` extra)."""
    from semantic_kernel_realtime.server.speech.base import SpeechEngineUnavailable
    from semantic_kernel_realtime.server.speech.espeak import EspeakSynthesizer

    try:
        return EspeakSynthesizer().synthesize(text, voice=voice)
    except SpeechEngineUnavailable as exc:
        raise AudioFileError(f"cannot synthesise speech offline: {exc}") from None


def write_wav(path: str | Path, pcm16: bytes, rate: int = RATE) -> None:
    """Write PCM16 mono little-endian bytes as a playable WAV file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm16)


def chunks(pcm16: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Split PCM16 bytes into ``size``-byte pieces (the last one padded with silence)."""
    for start in range(0, len(pcm16), size):
        piece = pcm16[start:start + size]
        yield piece + b"\0" * (size - len(piece))
