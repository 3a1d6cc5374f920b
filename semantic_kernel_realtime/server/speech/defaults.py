"""Pick the speech engines: the offline engines from PyPI packages when installed, else fallbacks.

``default_transcriber()`` tries PocketSphinx and returns None when unavailable (audio is then not
transcribed; the responder says it could not understand). ``default_synthesizer()`` tries eSpeak NG
and falls back to :class:`ToneSynthesizer`. Each choice is logged once per call.
"""

from __future__ import annotations

import logging

from semantic_kernel_realtime.server.speech.base import Synthesizer, Transcriber
from semantic_kernel_realtime.server.speech.fallback import ToneSynthesizer

logger = logging.getLogger(__name__)


def default_transcriber() -> Transcriber | None:
    try:
        from semantic_kernel_realtime.server.speech.pocketsphinx_asr import PocketSphinxTranscriber

        transcriber = PocketSphinxTranscriber()
    except Exception as exc:  # an optional engine must never break the server
        logger.info("speech: no offline transcriber (%s: %s); input audio is not transcribed", type(exc).__name__, exc)
        return None
    logger.info("speech: transcriber %s", transcriber.name)
    return transcriber


def default_synthesizer() -> Synthesizer:
    try:
        from semantic_kernel_realtime.server.speech.espeak import EspeakSynthesizer

        synthesizer = EspeakSynthesizer()
    except Exception as exc:  # an optional engine must never break the server
        logger.info("speech: no offline synthesizer (%s: %s); using %s", type(exc).__name__, exc, ToneSynthesizer.name)
        return ToneSynthesizer()
    logger.info("speech: synthesizer %s", synthesizer.name)
    return synthesizer
