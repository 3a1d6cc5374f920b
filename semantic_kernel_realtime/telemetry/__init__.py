"""Observability for realtime sessions: OpenTelemetry spans and metrics, per-turn latency, recording and replay.

A layer above ``client`` and ``function_calling`` (like agents): it attaches to a client through the
client's one hook interface (:mod:`semantic_kernel_realtime.client.hooks`) and reacts to the codec's
protocol-neutral signals and events, so it works for every connector and wire protocol. Nothing below it
imports it; connectors attach :func:`auto_telemetry` when Semantic Kernel's diagnostics switch is on.

- :class:`RealtimeTelemetry`: spans (session -> response -> tool call -> Semantic Kernel's function span),
  GenAI metrics and ``TurnLatencyEvent`` on the receive queue (:mod:`.tracing`, names in :mod:`.conventions`).
- :class:`TurnTracker`: the per-turn latency bookkeeping, on any clock (:mod:`.turns`).
- :class:`Recorder`, :class:`SessionLog`, :func:`read_log`: session logs (:mod:`.recording`).
- :class:`SessionReplay`, :func:`format_timing`, :class:`TranscriptPrinter`: replaying a log
  (:mod:`.replay`, :mod:`.transcript`); ``plot_timeline`` in :mod:`.plot` (matplotlib, the ``plot`` extra).

See ``docs/observability.md``.
"""

from semantic_kernel_realtime.telemetry.recording import Record, Recorder, SessionLog, read_log
from semantic_kernel_realtime.telemetry.replay import SessionReplay, format_timing
from semantic_kernel_realtime.telemetry.switches import diagnostics_enabled, sensitive_enabled
from semantic_kernel_realtime.telemetry.tracing import RealtimeTelemetry, auto_telemetry
from semantic_kernel_realtime.telemetry.transcript import TranscriptPrinter
from semantic_kernel_realtime.telemetry.turns import TurnTracker

__all__ = [
    "RealtimeTelemetry",
    "Record",
    "Recorder",
    "SessionLog",
    "SessionReplay",
    "TranscriptPrinter",
    "TurnTracker",
    "auto_telemetry",
    "diagnostics_enabled",
    "format_timing",
    "read_log",
    "sensitive_enabled",
]
