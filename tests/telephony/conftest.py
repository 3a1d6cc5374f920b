"""The offline speech engines the telephony tests speak with (skipped when not installed)."""

from __future__ import annotations

import pytest

from semantic_kernel_realtime.server.speech.defaults import default_synthesizer, default_transcriber


@pytest.fixture(scope="module")
def engines():
    transcriber = default_transcriber()
    synthesizer = default_synthesizer()
    if transcriber is None or synthesizer.name != "espeak-ng":
        pytest.skip("offline speech engines not installed")
    return transcriber, synthesizer
