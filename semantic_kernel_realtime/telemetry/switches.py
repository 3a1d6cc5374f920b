"""Semantic Kernel's own diagnostics switches, read the way Semantic Kernel reads them.

Rules: nothing here reads the environment itself. ``SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS``
and ``..._SENSITIVE`` are read by SK's ``ModelDiagnosticSettings`` when SK is imported (environment or a
``.env`` file); these functions ask SK's model-diagnostics module, so an application (or a test) that sets
SK's settings sets ours too.
"""

from __future__ import annotations

from semantic_kernel.utils.telemetry.model_diagnostics import decorators as _sk

__all__ = ["diagnostics_enabled", "sensitive_enabled"]


def diagnostics_enabled() -> bool:
    """True when SK's diagnostics switch (or its sensitive twin) is on: spans and metrics are emitted."""
    return bool(_sk.are_model_diagnostics_enabled())


def sensitive_enabled() -> bool:
    """True when SK's sensitive switch is on: content (transcripts, instructions, tool arguments) is recorded."""
    return bool(_sk.are_sensitive_events_enabled())
