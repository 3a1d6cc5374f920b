"""Offline English speech recognition with PocketSphinx (PyPI ``pocketsphinx`` 5.x and the model it ships).

Rules:
- The acoustic model, dictionary and language model come from inside the installed package (or from
  paths the caller passes); nothing is downloaded. A missing package or model raises
  :class:`SpeechEngineUnavailable` from the constructor, never at import time.
- One decoder is built per transcriber (construction is the slow part) and reused; a lock serialises
  calls, so a transcriber may be shared between threads (one utterance is decoded at a time).
- Input is PCM16 mono 24 kHz, resampled to the model's 16 kHz (libswresample); the whole buffer is
  decoded as one utterance, from the same initial decoder state every time (the feature extractor, whose
  noise estimate adapts, and the cepstral mean are reset), so a transcript depends only on its own audio
  and hints. Silence before and after the speech is trimmed to :data:`SILENCE_MARGIN_MS` first: the
  cepstral mean is taken over the whole utterance, and seconds of silence around a short question
  (a client that sends its audio in one piece) would skew it. The transcript is lower-case words without
  punctuation; '' when nothing was heard.
- Only English is recognised: a ``language`` that is not English raises ``ValueError``.
- Hints (``keywords``, and the phrases of ``prompt``: see :mod:`.hints`) bias the result without touching
  the shared language model: the utterance is decoded with the generic model first; when there are hints,
  it is decoded again with a small grammar that accepts the first transcript's words or, in place of any
  run of them (at most one word longer than the phrase), a hint phrase, each replaced word counting
  ``hint_bias`` times less than the phrase. The acoustics choose. Hint words missing from the
  pronunciation dictionary are ignored (the phrase with them).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from semantic_kernel_realtime.server.speech.base import SAMPLE_RATE, SpeechEngineUnavailable
from semantic_kernel_realtime.server.speech.hints import dedupe, normalise, prompt_phrases
from semantic_kernel_realtime.server.speech.resample import resample_pcm16

_MODEL_RATE = 16_000
_MIN_SAMPLES = SAMPLE_RATE // 10  # under 100 ms there is nothing to recognise
#: How many times likelier a hint phrase is than each first-pass word it replaces. Measured with
#: ``benchmarks/transcription.py``: 1e12 turns "sentences to" into "san francisco" in the recorded weather
#: question and changes no other recording; 1e16 starts replacing unrelated words.
DEFAULT_HINT_BIAS = 1e12
#: Silence kept before the first and after the last frame within :data:`_SPEECH_RANGE_DB` of the loudest.
SILENCE_MARGIN_MS = 300
_SPEECH_RANGE_DB = 45.0
_FRAME = _MODEL_RATE // 100  # 10 ms
MAX_HINTS = 64
MAX_HINT_WORDS = 6
_HINT_SEARCH = "hints"


class PocketSphinxTranscriber:
    """:class:`~semantic_kernel_realtime.server.speech.base.Transcriber` backed by PocketSphinx.

    Args:
        hmm: acoustic model directory; default: the package's ``en-us`` model.
        lm: language model file (ARPA or binary); default: the package's ``en-us.lm.bin``.
        dictionary: pronunciation dictionary; default: the package's ``cmudict-en-us.dict``.
        decoder_options: PocketSphinx configuration overriding ours (we set ``maxhmmpf=3000``; e.g. pass
            ``{"maxhmmpf": 30000}`` for the library's slower, slightly more accurate default).
        hint_bias: how many times likelier a hint phrase is than each word it replaces (see the module
            rules); 1 makes hints plain alternatives.
    """

    name = "pocketsphinx"

    def __init__(
        self,
        *,
        hmm: str | os.PathLike[str] | None = None,
        lm: str | os.PathLike[str] | None = None,
        dictionary: str | os.PathLike[str] | None = None,
        decoder_options: Mapping[str, Any] | None = None,
        hint_bias: float = DEFAULT_HINT_BIAS,
    ) -> None:
        if not hint_bias >= 1.0:
            raise ValueError(f"hint_bias must be at least 1, got {hint_bias!r}")
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
        self._replaced_word_prob = 1.0 / hint_bias
        self._lock = threading.Lock()

    def transcribe(
        self,
        pcm16: bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        keywords: Sequence[str] = (),
    ) -> str:
        if language and not language.strip().lower().startswith("en"):
            raise ValueError(f"PocketSphinx recognises English only, not {language!r}")
        usable = len(pcm16) - len(pcm16) % 2
        if usable // 2 < _MIN_SAMPLES:
            return ""
        audio = _dither(_trim_silence(resample_pcm16(memoryview(pcm16)[:usable], SAMPLE_RATE, _MODEL_RATE)))
        with self._lock:
            words = self._decode(audio)
            hints = self._usable_hints([*(normalise(k) for k in keywords), *prompt_phrases(prompt)])
            if words and hints:
                words = self._decode_with_hints(audio, words, hints) or words
        return " ".join(words)

    def _decode(self, audio: bytes) -> list[str]:
        """One utterance with the active search, from the initial front-end state; caller holds the lock."""
        # The noise estimate and the cepstral mean adapt across utterances; restart from the model's prior
        # every time so a transcript depends only on its own audio (not on who spoke here before).
        self._decoder.reinit_feat()
        self._decoder.set_cmn(self._initial_cmn)
        self._decoder.start_utt()
        try:
            self._decoder.process_raw(audio, full_utt=True)
        finally:
            self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr.split() if hyp is not None else []

    def _usable_hints(self, phrases: list[str]) -> list[list[str]]:
        """The phrases whose every word the dictionary can pronounce, as word lists (bounded)."""
        usable = []
        for phrase in dedupe(phrases):
            words = phrase.split()
            if len(words) <= MAX_HINT_WORDS and all(self._decoder.lookup_word(w) is not None for w in words):
                usable.append(words)
                if len(usable) == MAX_HINTS:
                    break
        return usable

    def _decode_with_hints(self, audio: bytes, words: list[str], hints: list[list[str]]) -> list[str]:
        """The second pass over the hint grammar (module rules); [] when it finds no path."""
        fsg = self._decoder.create_fsg(_HINT_SEARCH, 0, len(words), _hint_grammar(words, hints,
                                                                                  self._replaced_word_prob))
        self._decoder.add_fsg(_HINT_SEARCH, fsg)
        try:
            self._decoder.activate_search(_HINT_SEARCH)
            return self._decode(audio)
        finally:
            self._decoder.activate_search()
            self._decoder.remove_search(_HINT_SEARCH)


def _hint_grammar(words: list[str], hints: list[list[str]], replaced_word_prob: float) -> list[tuple]:
    """FSG transitions: states 0..n follow the first pass's n words (each at ``replaced_word_prob``); from
    any state i, each hint phrase may lead to state j = i + 1 .. i + len(phrase) + 1 through states of its own.
    """
    n = len(words)
    transitions: list[tuple] = [(i, i + 1, replaced_word_prob, word) for i, word in enumerate(words)]
    next_state = n + 1
    for start in range(n):
        for phrase in hints:
            for end in range(start + 1, min(n, start + len(phrase) + 1) + 1):
                state = start
                for k, word in enumerate(phrase):
                    if k == len(phrase) - 1:
                        target = end
                    else:
                        target, next_state = next_state, next_state + 1
                    transitions.append((state, target, 1.0, word))
                    state = target
    return transitions


def _trim_silence(pcm16: bytes) -> bytes:
    """``pcm16`` (16 kHz) without the quiet beyond :data:`SILENCE_MARGIN_MS` before and after its speech."""
    x = np.frombuffer(pcm16, dtype="<i2")
    frames = x[: x.size // _FRAME * _FRAME].reshape(-1, _FRAME).astype(np.float64)
    if frames.shape[0] == 0:
        return pcm16
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1.0)
    loud = np.flatnonzero(level > level.max() - _SPEECH_RANGE_DB)
    margin = SILENCE_MARGIN_MS // 10
    first, last = max(0, loud[0] - margin), min(frames.shape[0], loud[-1] + 1 + margin)
    return x[first * _FRAME: last * _FRAME if last < frames.shape[0] else x.size].tobytes()


def _dither(pcm16: bytes) -> bytes:
    """Add +-1 LSB of noise from a fixed seed: digital silence (exact zeros) otherwise decodes to spurious
    words such as "f"; the fixed seed keeps a transcript a function of its audio alone (PocketSphinx's own
    ``dither`` draws from a stream shared by all calls)."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.int32)
    x += np.random.default_rng(0).integers(-1, 2, size=x.size, dtype=np.int32)
    return np.clip(x, -32768, 32767).astype("<i2").tobytes()
