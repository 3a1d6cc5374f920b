"""speech/fallback.py and speech/defaults.py (tests/server/speech/ belongs to the speech engines)."""

import numpy as np
import pytest

from semantic_kernel_realtime.server.speech.base import Synthesizer, Transcriber
from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber
from semantic_kernel_realtime.server.speech.fallback import MS_PER_CHARACTER, ToneSynthesizer


@pytest.mark.parametrize("text", ["Hi there.", "Hi there. " * 4])
def test_tone_synthesizer_is_non_silent_and_proportional_to_the_text(text):
    samples = np.frombuffer(ToneSynthesizer().synthesize(text), dtype="<i2")
    assert len(samples) / 24000 == pytest.approx(len(text) * MS_PER_CHARACTER / 1000, abs=0.001)
    assert np.abs(samples).max() > 5000


def test_tone_synthesizer_is_deterministic_and_honours_speed():
    synth = ToneSynthesizer()
    assert isinstance(synth, Synthesizer)
    assert synth.synthesize("abc") == synth.synthesize("abc")
    assert len(synth.synthesize("abc", speed=2.0)) == pytest.approx(len(synth.synthesize("abc")) / 2, abs=4)
    assert synth.synthesize("") == b""


def test_defaults_always_give_a_synthesizer():
    synth = default_synthesizer()
    assert isinstance(synth, Synthesizer) and synth.name
    transcriber = default_transcriber()
    assert transcriber is None or isinstance(transcriber, Transcriber)
