"""The stand-in synthesizer used when no speech engine is installed (and no stand-in transcriber).

Rules: deterministic and non-silent; the audio lasts ``MS_PER_CHARACTER`` per character of the text
(divided by ``speed``), so its length tracks the transcript the way speech does. Letters and digits are
short speech-band tone bursts (200-1200 Hz, pitch from the character, with a fade in/out); spaces and
punctuation are quiet gaps. It is a placeholder for a voice, not speech: nothing can transcribe it.
"""

from __future__ import annotations

import numpy as np

from semantic_kernel_realtime.server.speech.base import SAMPLE_RATE

MS_PER_CHARACTER = 65
_AMPLITUDE = 0.3 * 32767


class ToneSynthesizer:
    """Text -> a tone pattern of ~65 ms per character (PCM16 24 kHz). Thread-safe."""

    name = "fallback-tones"
    thread_safe = True

    def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> bytes:
        speed = min(max(speed or 1.0, 0.25), 4.0)
        n = max(1, int(round(SAMPLE_RATE * MS_PER_CHARACTER / 1000 / speed)))
        t = np.arange(n) / SAMPLE_RATE
        envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.005 * SAMPLE_RATE))
        base = 1.0 + (sum(map(ord, voice or "")) % 5) / 10  # voices differ slightly in pitch
        chunks = []
        for char in text:
            if char.isalnum():
                freq = (200 + (ord(char.lower()) * 37) % 1000) * base
                chunks.append(_AMPLITUDE * envelope * np.sin(2 * np.pi * freq * t))
            else:
                chunks.append(np.zeros(n))
        if not chunks:
            return b""
        return np.concatenate(chunks).astype("<i2").tobytes()
