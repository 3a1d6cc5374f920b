"""Where the shared fixtures live (read in place, never copied into the repo)."""

import wave

from tests.shared import AUDIO, FIXTURES, SHARED, audio_fixture

__all__ = ["AUDIO", "FIXTURES", "SHARED", "read_alaw_wav", "read_wav"]


def read_wav(name: str) -> bytes:
    """PCM16 24 kHz mono frames of a shared recording (skips the test without ``../shared``)."""
    with wave.open(str(audio_fixture(name))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        return wav.readframes(wav.getnframes())


def read_alaw_wav(name: str) -> bytes:
    """The data chunk of a WAVE_FORMAT_ALAW file (the wave module reads PCM only)."""
    data = audio_fixture(name).read_bytes()
    offset = 12
    while offset < len(data):
        chunk_id, size = data[offset : offset + 4], int.from_bytes(data[offset + 4 : offset + 8], "little")
        if chunk_id == b"fmt ":
            assert int.from_bytes(data[offset + 8 : offset + 10], "little") == 6  # A-law
        if chunk_id == b"data":
            return data[offset + 8 : offset + 8 + size]
        offset += 8 + size + size % 2
    raise ValueError("no data chunk")
