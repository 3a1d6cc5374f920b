"""Test helpers: where the shared fixtures are, and the judge of wire events.

The judge is the ``openai`` package's own GA event types, validated strictly with no unknown field at any
depth; the embedded server uses the same judge on what it receives (``server.validation``), and it is
independent of our client codec (``protocol/``), which it checks.
"""

from __future__ import annotations

from semantic_kernel_realtime.server.validation import validate_client_event, validate_server_event
from tests.shared import FIXTURES, SHARED

__all__ = ["FIXTURES", "SHARED", "validate_client_event", "validate_server_event"]
