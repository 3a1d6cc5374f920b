"""Offline English speech recognition with PocketSphinx (PyPI ``pocketsphinx`` 5.x and the model it ships).

Rules:
- The acoustic model, dictionary and language model come from inside the installed package (or from
  paths the caller passes); nothing is downloaded. A missing package or model raises
  :class:`SpeechEngineUnavailable` from the constructor, never at import time.
- One decoder is built per transcriber (construction is the slow part) and reused; a lock serialises
  calls, so a transcriber may be shared between threads (one utterance is decoded at a time).
- Input is PCM16 mono 24 kHz, low-pass resampled to the model's 16 kHz; the whole buffer is decoded
  as one utterance, from the same initial decoder state every time (deterministic). The transcript is
  lower-case words without punctuation; '' when nothing was heard.
- Only English is recognised: a ``language`` that is not English raises ``ValueError``. ``prompt`` is
  accepted for interface compatibility and ignored (the generic language model is used as shipped).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from semantic_kernel_realtime.server.speech.base import SAMPLE_RATE, SpeechEngineUnavailable
from semantic_kernel_realtime.server.speech.resample import resample_pcm16

_MODEL_RATE = 16_000
_MIN_SAMPLES = SAMPLE_RATE // 10  # under 100 ms there is nothing to recognise


class PocketSphinxTranscriber:
    """:class:`~semantic_kernel_realtime.server.speech.base.Transcriber` backed by PocketSphinx.

    Args:
        hmm: acoustic model directory; default: the package's ``en-us`` model.
        lm: language model file (ARPA or binary); default: the package's ``en-us.lm.bin``.
        dictionary: pronunciation dictionary; default: the package's ``cmudict-en-us.dict``.
        decoder_options: PocketSphinx configuration overriding ours (we set ``maxhmmpf=3000``; e.g. pass
            ``{"maxhmmpf": 30000}`` for the library's slower, slightly more accurate default).
    """

    name = "pocketsphinx"

    def __init__(
        self,
        *,
        hmm: str | os.PathLike[str] | None = None,
        lm: str | os.PathLike[str] | None = None,
        dictionary: str | os.PathLike[str] | None = None,
        decoder_options: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise SpeechEngineUnavailable(
                "PocketSphinx is not installed: pip install 'semantic-kernel-realtime[speech]'"
            ) from exc

        paths = {
            "hmm": hmm or pocketsphinx.get_model_path("en-us/en-us"),
            "lm": lm or pocketsphinx.get_model_path("en-us/en-us.lm.bin"),
            "dict": dictionary or pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"),
        }
        for key, path in paths.items():
            if not os.path.exists(path):
                raise SpeechEngineUnavailable(f"PocketSphinx model file missing ({key}): {path}")
        # maxhmmpf caps the active HMMs per frame (PocketSphinx default 30000): about a third less CPU, same
        # fixture transcripts, and noise no longer blows up the search.
        options: dict[str, Any] = {"loglevel": "FATAL", "samprate": float(_MODEL_RATE), "maxhmmpf": 3000}
        options.update({key: os.fspath(path) for key, path in paths.items()})
        options.update(decoder_options or {})
        try:
            self._decoder = pocketsphinx.Decoder(**options)
        except RuntimeError as exc:  # model files unreadable or incompatible
            raise SpeechEngineUnavailable(f"PocketSphinx decoder could not be created: {exc}") from exc
        self._initial_cmn = self._decoder.get_cmn()
        self._lock = threading.Lock()

    def transcribe(self, pcm16: bytes, *, language: str | None = None, prompt: str | None = None) -> str:
        if language and not language.strip().lower().startswith("en"):
            raise ValueError(f"PocketSphinx recognises English only, not {language!r}")
        usable = len(pcm16) - len(pcm16) % 2
        if usable // 2 < _MIN_SAMPLES:
            return ""
        audio = _dither(resample_pcm16(memoryview(pcm16)[:usable], SAMPLE_RATE, _MODEL_RATE))
        with self._lock:
            # The cepstral mean adapts across utterances; restart from the model's prior every time so a
            # transcript depends only on its own audio (not on who spoke to this transcriber before).
            self._decoder.set_cmn(self._initial_cmn)
            self._decoder.start_utt()
            try:
                self._decoder.process_raw(audio, full_utt=True)
            finally:
                self._decoder.end_utt()
            hyp = self._decoder.hyp()
        return " ".join(hyp.hypstr.split()) if hyp is not None else ""


def _dither(pcm16: bytes) -> bytes:
    """Add +-1 LSB of noise from a fixed seed: digital silence (exact zeros) otherwise decodes to spurious
    words such as "f"; the fixed seed keeps a transcript a function of its audio alone (PocketSphinx's own
    ``dither`` draws from a stream shared by all calls)."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.int32)
    x += np.random.default_rng(0).integers(-1, 2, size=x.size, dtype=np.int32)
    return np.clip(x, -32768, 32767).astype("<i2").tobytes()
