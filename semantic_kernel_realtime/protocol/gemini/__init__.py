"""The Gemini Live wire protocol (Google AI Gemini API and Vertex AI): :class:`GeminiCodec` and its parts.

Rules: sans-I/O like the rest of ``protocol``. ``decode`` is tolerant, ``encode`` strict; ``setup`` maps
Semantic Kernel settings and functions to the ``setup`` message; ``signals`` reads the protocol-neutral facts
the decoder settled. The mapping of every message is in ``docs/providers/gemini.md``.
"""

from semantic_kernel_realtime.protocol.gemini.codec import DEFAULT_MODEL, GeminiCodec
from semantic_kernel_realtime.protocol.gemini.decode import Decoder, GeminiServerEvent, usage_of
from semantic_kernel_realtime.protocol.gemini.settings import GoogleLiveExecutionSettings

__all__ = ["DEFAULT_MODEL", "Decoder", "GeminiCodec", "GeminiServerEvent", "GoogleLiveExecutionSettings", "usage_of"]
