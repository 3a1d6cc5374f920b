"""Test helpers: the judge of Gemini Live messages is google-genai's own types (``server.gemini.validation``)."""

from __future__ import annotations

from semantic_kernel_realtime.server.gemini.validation import validate_client_message, validate_server_message

__all__ = ["validate_client_message", "validate_server_message"]
