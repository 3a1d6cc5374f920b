"""Usage of one session: the estimates ``response.done`` reports and the ``rate_limits.updated`` figures.

Rules:
- Estimates, deterministic: text tokens ~ characters / 4 (rounded up), audio tokens ~ 1 per 50 ms.
- :class:`UsageMeter` counts a session's requests (responses started) and tokens. Nothing is counted as a
  side effect of rendering an event: the engine calls :meth:`UsageMeter.request_started` when it starts a
  response and the response runner calls :meth:`UsageMeter.record` with a finished response's total
  before it sends ``response.done``.
- Limits are fixed (``RATE_LIMITS``) and reset every 60 s as far as clients are told; nothing is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from semantic_kernel_realtime.server import audio_formats
from semantic_kernel_realtime.server.conversation import Conversation

RATE_LIMITS = {"requests": 10_000, "tokens": 2_000_000}
_RESET_S = 60.0


@dataclass
class UsageMeter:
    """Requests and tokens used by one session."""

    requests: int = 0
    tokens: int = 0

    def request_started(self) -> None:
        self.requests += 1

    def record(self, usage: dict[str, Any]) -> None:
        """Account a finished response's ``usage`` object (as :func:`response_usage` built it)."""
        self.tokens += usage["total_tokens"]

    def rate_limits(self) -> list[dict[str, Any]]:
        """The ``rate_limits`` list of ``rate_limits.updated``."""
        return [
            {"name": "requests", "limit": RATE_LIMITS["requests"],
             "remaining": max(0, RATE_LIMITS["requests"] - self.requests), "reset_seconds": _RESET_S},
            {"name": "tokens", "limit": RATE_LIMITS["tokens"],
             "remaining": max(0, RATE_LIMITS["tokens"] - self.tokens), "reset_seconds": _RESET_S},
        ]


def text_tokens(chars: int) -> int:
    return math.ceil(chars / 4)


def audio_tokens(milliseconds: int) -> int:
    return math.ceil(milliseconds / 50)


def input_tokens(items: Iterable[dict[str, Any]], instructions: str, conversation: Conversation) -> tuple[int, int]:
    """(text, audio) tokens of a response's input: the instructions and items, their stored audio included."""
    chars = len(instructions)
    audio_ms = 0
    for item in items:
        for content in item.get("content") or ():
            chars += len(content.get("text") or content.get("transcript") or "")
        audio_ms += audio_formats.duration_ms(len(conversation.audio(item.get("id", "")) or b""))
        chars += len(item.get("arguments") or "") + len(item.get("output") or "")
    return text_tokens(chars), audio_tokens(audio_ms)


def response_usage(text_in: int, audio_in: int, text_out: int, audio_out: int) -> dict[str, Any]:
    """The ``usage`` object of ``response.done``."""
    return {
        "total_tokens": text_in + audio_in + text_out + audio_out,
        "input_tokens": text_in + audio_in,
        "output_tokens": text_out + audio_out,
        "input_token_details": {"text_tokens": text_in, "audio_tokens": audio_in, "image_tokens": 0,
                                "cached_tokens": 0,
                                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0}},
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }
