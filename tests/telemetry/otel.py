"""One OpenTelemetry SDK for the test process: in-memory spans and metrics, and Semantic Kernel's switches.

The global tracer and meter providers can be set once per process, and Semantic Kernel's own function
spans go to the global one, so the tests share these. Semantic Kernel reads its switches once at import
into module-level settings objects (one per module that uses them); :func:`sk_switches` sets them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from semantic_kernel.utils.telemetry.agent_diagnostics import decorators as agent_decorators
from semantic_kernel.utils.telemetry.model_diagnostics import decorators, function_tracer


@dataclass
class Otel:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list:
        """Every data point of the metric ``name`` collected so far."""
        found = []
        data = self.metrics.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += list(metric.data.data_points)
        return found


_otel: Otel | None = None


def otel() -> Otel:
    """The process's SDK (installed as the global providers on first use); spans cleared."""
    global _otel
    if _otel is None:
        exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        _otel = Otel(exporter, reader)
    _otel.spans.clear()
    return _otel


@contextlib.contextmanager
def sk_switches(diagnostics: bool, sensitive: bool = False) -> Iterator[None]:
    """Set Semantic Kernel's diagnostics switches (every settings object SK made from the environment)."""
    settings = [decorators.MODEL_DIAGNOSTICS_SETTINGS, function_tracer.MODEL_DIAGNOSTICS_SETTINGS,
                agent_decorators.MODEL_DIAGNOSTICS_SETTINGS]
    saved = [(s.enable_otel_diagnostics, s.enable_otel_diagnostics_sensitive) for s in settings]
    for s in settings:
        s.enable_otel_diagnostics, s.enable_otel_diagnostics_sensitive = diagnostics, sensitive
    try:
        yield
    finally:
        for s, (on, secret) in zip(settings, saved, strict=True):
            s.enable_otel_diagnostics, s.enable_otel_diagnostics_sensitive = on, secret
