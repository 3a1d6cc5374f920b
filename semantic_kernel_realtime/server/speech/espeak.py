"""Offline speech synthesis with eSpeak NG, from the library and data shipped in PyPI ``espeakng-loader``.

Rules:
- The library is loaded with ``ctypes`` and initialised once per process on first construction (never at
  import time) in synchronous mode: ``espeak_Synth`` returns after handing every sample to our callback.
- eSpeak NG keeps global state (current voice, rate, callback), so every call into it holds one
  process-wide lock: synthesizers may be shared between threads and calls are serialised.
- The text is spoken as plain text (no SSML), exactly as given; '' / whitespace gives b''. The output is
  eSpeak's native rate (22050 Hz) low-pass resampled to PCM16 mono 24 kHz.
- Every synthesis starts eSpeak's noise generator from the same seed (:data:`SEED`), so the first synthesis
  in a process is the same for the same text, voice and speed (a test's spoken question is heard the same
  way on every run). Later ones still differ slightly: eSpeak keeps pitch-flutter and waveform state from
  call to call, which its API cannot reset. A library without ``espeak_ng_SetRandSeed`` seeds from the clock.
- Session voices map to eSpeak voices through :data:`VOICES`; an unknown voice uses the default one.
  ``speed`` scales eSpeak's 175 words per minute, clamped to eSpeak's 80..450 range.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Mapping

from semantic_kernel_realtime.server.speech.base import SAMPLE_RATE, SpeechEngineUnavailable
from semantic_kernel_realtime.server.speech.resample import resample_pcm16

#: OpenAI Realtime voice -> eSpeak NG voice ("language+variant"). eSpeak has no matching timbres; the
#: variants only make voices audibly distinct and keep their usual gender (f* female, m* male). ``alloy``
#: (the session default) uses f5, the variant the bundled PocketSphinx recogniser understands best.
VOICES: Mapping[str, str] = {
    "alloy": "en-us+f5",
    "ash": "en-us+m1",
    "ballad": "en+m2",  # British English ("en" is eSpeak's en-GB voice)
    "coral": "en-us+f2",
    "echo": "en-us+m2",
    "sage": "en-us+f4",
    "shimmer": "en-us+f1",
    "verse": "en-us+m4",
    "marin": "en-us+f3",
    "cedar": "en-us+m7",
}
DEFAULT_VOICE = "alloy"

#: The noise generator's seed at the start of every synthesis (see the rules above).
SEED = 1

BASE_WPM = 175
MIN_WPM, MAX_WPM = 80, 450

# espeak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0
_BUFFER_MS = 500

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Engine:
    """The process-wide eSpeak NG library: one initialisation, one lock, one callback."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise SpeechEngineUnavailable(
                "eSpeak NG is not installed: pip install 'semantic-kernel-realtime[speech]'"
            ) from exc
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise SpeechEngineUnavailable(f"eSpeak NG library or data missing: {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        self._seed = getattr(lib, "espeak_ng_SetRandSeed", None)  # eSpeak NG >= 1.52
        if self._seed is not None:
            self._seed.argtypes = [ctypes.c_long]
            self._seed.restype = None

        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path.encode(), _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise SpeechEngineUnavailable(f"eSpeak NG failed to initialise with data at {data_path}")
        self.lib = lib
        self.sample_rate = rate
        self.lock = threading.Lock()
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._on_samples)  # keep a reference: the library holds it
        lib.espeak_SetSynthCallback(self._callback)

    def _on_samples(self, wav, count, _events) -> int:  # type: ignore[no-untyped-def]
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # continue

    def set_voice(self, name: str) -> bool:
        """Select ``name``; caller holds :attr:`lock`. False when eSpeak does not know the voice."""
        return self.lib.espeak_SetVoiceByName(name.encode()) == _EE_OK

    def synth(self, text: str, voice: str, wpm: int) -> bytes:
        """Native-rate PCM16 for ``text``; caller holds :attr:`lock`."""
        if not self.set_voice(voice):
            raise ValueError(f"eSpeak NG has no voice {voice!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
        data = text.encode("utf-8")
        self._chunks = []
        if self._seed is not None:
            self._seed(SEED)
        try:
            err = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            if err != _EE_OK:
                raise RuntimeError(f"espeak_Synth failed with error {err}")
            return b"".join(self._chunks)
        finally:
            self._chunks = []


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _Engine()
        return _engine


class EspeakSynthesizer:
    """:class:`~semantic_kernel_realtime.server.speech.base.Synthesizer` backed by eSpeak NG.

    Args:
        default_voice: the session voice (a key of ``voices``) used when ``voice`` is None or unknown.
        voices: session voice -> eSpeak voice table; default :data:`VOICES`.
    """

    name = "espeak-ng"

    def __init__(self, *, default_voice: str = DEFAULT_VOICE, voices: Mapping[str, str] | None = None) -> None:
        self._voices = dict(VOICES if voices is None else voices)
        if default_voice not in self._voices:
            raise ValueError(f"default voice {default_voice!r} is not in the voice table")
        self._default = default_voice
        self._engine = _get_engine()
        with self._engine.lock:
            missing = sorted({v for v in self._voices.values() if not self._engine.set_voice(v)})
        if missing:
            raise SpeechEngineUnavailable(f"eSpeak NG voices not found in its data: {', '.join(missing)}")

    def espeak_voice(self, voice: str | None) -> str:
        """The eSpeak voice used for the session voice ``voice``."""
        return self._voices.get(voice or self._default, self._voices[self._default])

    def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> bytes:
        if not text or not text.strip():
            return b""
        wpm = max(MIN_WPM, min(MAX_WPM, round(BASE_WPM * float(speed))))
        with self._engine.lock:
            native = self._engine.synth(text, self.espeak_voice(voice), wpm)
        return resample_pcm16(native, self._engine.sample_rate, SAMPLE_RATE)
