"""EspeakSynthesizer: real, non-silent 24 kHz speech whose length follows the text; voices; threads."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

pytest.importorskip("espeakng_loader", reason="espeakng-loader not installed (pip install '.[speech]')")

from semantic_kernel_realtime.server.speech import espeak  # noqa: E402
from semantic_kernel_realtime.server.speech.base import SpeechEngineUnavailable, Synthesizer  # noqa: E402
from semantic_kernel_realtime.server.speech.espeak import VOICES, EspeakSynthesizer  # noqa: E402

RATE = 24_000


def samples(pcm: bytes) -> np.ndarray:
    assert len(pcm) % 2 == 0
    return np.frombuffer(pcm, dtype="<i2")


def seconds(pcm: bytes) -> float:
    return len(pcm) / 2 / RATE


def envelope(pcm: bytes) -> np.ndarray:
    """Loudness per 20 ms frame (eSpeak adds random noise and jitter, so samples never repeat exactly)."""
    x = samples(pcm).astype(np.float64)
    return np.sqrt(np.mean(x[: x.size // 480 * 480].reshape(-1, 480) ** 2, axis=1))


def same_speech(a: bytes, b: bytes) -> bool:
    """Same utterance: lengths within 2% and loudness envelopes strongly correlated."""
    ea, eb = envelope(a), envelope(b)
    n = min(ea.size, eb.size)
    if abs(ea.size - eb.size) > 0.02 * max(ea.size, eb.size) or n < 5:
        return False
    return float(np.corrcoef(ea[:n], eb[:n])[0, 1]) > 0.9


def spectrum_distance(a: bytes, b: bytes) -> float:
    """Mean absolute difference of the long-term log magnitude spectra: a timbre (voice) distance."""

    def spectrum(pcm: bytes) -> np.ndarray:
        x = samples(pcm).astype(np.float64)
        frames = x[: x.size // 512 * 512].reshape(-1, 512) * np.hanning(512)
        return np.log(np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0) + 1e-3)

    return float(np.abs(spectrum(a) - spectrum(b)).mean())


@pytest.fixture(scope="module")
def synth() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def test_is_a_synthesizer(synth: EspeakSynthesizer) -> None:
    assert isinstance(synth, Synthesizer)
    assert synth.name == "espeak-ng"


def test_speech_is_not_silent(synth: EspeakSynthesizer) -> None:
    x = samples(synth.synthesize("The weather in Paris is sunny.")).astype(np.float64)
    assert np.sqrt(np.mean(x**2)) > 500
    assert np.abs(x).max() > 4000
    # speech has pauses: the loudness varies a lot between 50 ms frames
    frames = np.sqrt(np.mean(x[: x.size // 1200 * 1200].reshape(-1, 1200) ** 2, axis=1))
    assert frames.max() > 5 * max(frames.min(), 1.0)


def test_output_is_resampled_to_24k(synth: EspeakSynthesizer) -> None:
    text = "What is the weather in Paris?"
    engine = espeak._get_engine()
    with engine.lock:
        native = engine.synth(text, synth.espeak_voice(None), espeak.BASE_WPM)
    out = synth.synthesize(text)
    assert engine.sample_rate != RATE  # eSpeak's own rate (22050 Hz) is converted
    ratio = (len(out) / 2) / (len(native) / 2)
    assert ratio == pytest.approx(RATE / engine.sample_rate, rel=0.01)
    assert same_speech(out, out) and not same_speech(out, synth.synthesize("Hello."))


@pytest.mark.parametrize("speed", [1.0, 1.5])
def test_duration_follows_text_length(synth: EspeakSynthesizer, speed: float) -> None:
    texts = [
        "Hello.",
        "What is the weather in Paris?",
        "The weather in Paris is sunny and twenty two degrees, with a light breeze from the west this afternoon.",
    ]
    durations = [seconds(synth.synthesize(t, speed=speed)) for t in texts]
    assert durations == sorted(durations) and len(set(durations)) == 3
    for text, duration in zip(texts, durations, strict=True):
        per_word = duration / len(text.split())
        assert 0.15 / speed < per_word < 1.0 / speed, (text, duration)


def test_speed_changes_rate(synth: EspeakSynthesizer) -> None:
    text = "What is the weather like in San Francisco, California?"
    slow, normal, fast = (seconds(synth.synthesize(text, speed=s)) for s in (0.6, 1.0, 1.5))
    assert slow > normal * 1.3 and fast < normal * 0.8


def test_empty_text_is_empty_audio(synth: EspeakSynthesizer) -> None:
    assert synth.synthesize("") == b""
    assert synth.synthesize("  \n ") == b""


def test_every_session_voice_is_distinct(synth: EspeakSynthesizer) -> None:
    assert set(VOICES) == {"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}
    text = "Hello there, how are you?"
    audio = {voice: synth.synthesize(text, voice=voice) for voice in VOICES}
    assert all(seconds(a) > 0.5 for a in audio.values())
    # the measure separates voices: a repeat of one voice is much closer than any two voices are
    assert spectrum_distance(audio["alloy"], synth.synthesize(text, voice="alloy")) < 0.12
    names = sorted(audio)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert spectrum_distance(audio[a], audio[b]) > 0.15, (a, b)


def test_unknown_or_missing_voice_uses_default(synth: EspeakSynthesizer) -> None:
    text = "Hello there, how are you?"
    default = synth.synthesize(text, voice="alloy")
    for other in (synth.synthesize(text), synth.synthesize(text, voice="no-such-voice")):
        assert spectrum_distance(other, default) < 0.12
    coral = synth.synthesize(text, voice="coral")
    assert spectrum_distance(EspeakSynthesizer(default_voice="coral").synthesize(text), coral) < 0.12


def test_bad_voice_table_is_rejected() -> None:
    with pytest.raises(ValueError):
        EspeakSynthesizer(default_voice="nobody")
    with pytest.raises(SpeechEngineUnavailable, match="xx-nonexistent"):
        EspeakSynthesizer(voices={"alloy": "xx-nonexistent"})


def test_two_threads_synthesise_at_once(synth: EspeakSynthesizer) -> None:
    jobs = [
        ("The weather in Paris is sunny.", "alloy"),
        ("San Francisco is foggy and cool today.", "echo"),
    ]
    expected = [synth.synthesize(text, voice=voice) for text, voice in jobs]
    other = EspeakSynthesizer()  # a second instance shares the same library safely
    results: list[list[bytes]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(i: int) -> None:
        engine = synth if i == 0 else other
        try:
            start.wait()
            for _ in range(5):
                results[i].append(engine.synthesize(jobs[i][0], voice=jobs[i][1]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    for i in range(2):
        assert len(results[i]) == 5 and all(same_speech(r, expected[i]) for r in results[i])
    assert not same_speech(results[0][0], expected[1])


def test_missing_package_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(espeak, "_engine", None)
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)
    with pytest.raises(SpeechEngineUnavailable, match="not installed"):
        EspeakSynthesizer()


def test_round_trip_through_pocketsphinx(synth: EspeakSynthesizer) -> None:
    """End to end: eSpeak's speech (default voice) is intelligible to the bundled recogniser.

    eSpeak adds random noise and jitter, so every rendering differs; about 9 in 10 renderings give
    both key words (measured over 60). Requiring 3 of 7 keeps this honest without being flaky.
    """
    pytest.importorskip("pocketsphinx", reason="PocketSphinx not installed")
    from semantic_kernel_realtime.server.speech.pocketsphinx_asr import PocketSphinxTranscriber

    transcriber = PocketSphinxTranscriber()
    heard = [transcriber.transcribe(synth.synthesize("what is the weather in paris")) for _ in range(7)]
    assert sum("weather" in text and "paris" in text for text in heard) >= 3, heard


def test_the_first_synthesis_in_a_process_is_the_same_on_every_run() -> None:
    """eSpeak's noise generator is seeded before every synthesis: a fresh process (a sample, a doc block) speaks
    its question the same way every time; without the seed eSpeak seeds from the clock."""
    import hashlib
    import subprocess
    import time

    code = ("import hashlib; from semantic_kernel_realtime.server.speech.espeak import EspeakSynthesizer; "
            "print(hashlib.sha256(EspeakSynthesizer().synthesize('What is the weather in Paris?')).hexdigest())")
    runs = []
    for _ in range(2):  # a second apart: eSpeak's own seed is the clock's second
        runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                                   check=True))
        time.sleep(1.05)
    assert runs[0].stdout == runs[1].stdout and len(runs[0].stdout.strip()) == 64
    assert hashlib.sha256(b"").hexdigest() not in runs[0].stdout
