"""The two speech-engine interfaces.

Audio is always PCM16 little-endian mono at 24 kHz (the session's native rate); engines resample
internally. Both calls are synchronous and may be slow: the server calls them through
``asyncio.to_thread``. ``name`` is reported in ``session.created`` and logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 24_000


class SpeechEngineUnavailable(RuntimeError):
    """The engine's package or model is not installed."""


@runtime_checkable
class Transcriber(Protocol):
    """Speech to text."""

    name: str

    def transcribe(
        self, pcm16: bytes, *, language: str | None = None, prompt: str | None = None, keywords: Sequence[str] = ()
    ) -> str:
        """Return the words heard in ``pcm16`` (24 kHz mono); '' when nothing was recognised.

        ``prompt`` is the session's transcription prompt; ``keywords`` are phrases the audio is likely to
        contain (the session's transcription ``keywords`` and the names in its tool schemas, see
        :mod:`.hints`). Both are hints: an engine may favour them or ignore them. (The server calls
        engines whose ``transcribe`` takes no ``keywords`` without it.) Raises any exception on failure;
        the server turns it into a ``...transcription.failed`` event.
        """
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech."""

    name: str

    def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> bytes:
        """Return PCM16 24 kHz mono audio speaking exactly ``text``."""
        ...
