"""Speech engines of the embedded server: a transcriber (speech -> text) and a synthesizer (text -> speech).

Both are small synchronous interfaces (the server runs them in a worker thread, never on the event loop)
so users can plug their own (a cloud or GPU model). :func:`default_transcriber` and
:func:`default_synthesizer` pick the offline engines shipped in PyPI packages when installed and fall
back to documented stand-ins otherwise; ``describe_engines()`` tells which were chosen.
"""

from semantic_kernel_realtime.server.speech.base import (
    SpeechEngineUnavailable,
    Synthesizer,
    Transcriber,
)

__all__ = ["SpeechEngineUnavailable", "Synthesizer", "Transcriber"]
