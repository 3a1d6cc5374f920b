"""The OpenAI Realtime GA wire protocol (OpenAI and Azure OpenAI): :class:`OpenAICodec` and its parts.

Rules: sans-I/O like the rest of ``protocol``. ``decode`` is tolerant, ``encode`` strict; ``session``,
``tools`` and ``history`` map Semantic Kernel settings, functions and chat history to GA shapes; ``state``
is what decoding remembers across events; ``signals`` turns decoded events into protocol-neutral facts.
"""

from semantic_kernel_realtime.protocol.openai.codec import OpenAICodec

__all__ = ["OpenAICodec"]
