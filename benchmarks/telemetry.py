"""Telemetry's cost per received event, in process: the client's receive path with and without hooks.

    .venv/bin/python benchmarks/telemetry.py [--events N] [--repeats N] [--passes N]

No sockets: one real ``Connection`` of ``OpenAIRealtimeWebsocket`` (its codec, its ``Inbound`` receive
path, its signal observers: function calling, the history mirror) is fed the messages of one realistic GA
audio response (``receive_path.build_response``: 20 ms PCM16 24 kHz audio deltas of real speech, a
transcript word every 7 frames, the ``*.done`` events, ``response.done`` with usage), exactly as the
transport's read callback would hand them over; a consumer takes each event off the receive queue and reads
the audio bytes of audio events, as a player would. Paths, timed round-robin in each repeat:

- ``no hooks``: what every session pays with telemetry off (nothing attached);
- ``latency only``: ``RealtimeTelemetry()`` with Semantic Kernel's switch off: the turn tracker, no spans;
- ``OTel SDK``: ``RealtimeTelemetry(diagnostics=True)`` with the OpenTelemetry SDK installed (a
  ``TracerProvider`` whose batch processor exports to a sink that drops spans, a ``MeterProvider`` with an
  in-memory reader): spans, metrics, the tracker;
- ``OTel SDK + DEBUG``: the same with the client's DEBUG logging on (a handler that drops records);
- ``Recorder``: a ``Recorder`` writing the session log (audio kept) to a temporary file.

Each pass is one response (one session span, one response span, its metrics). Timing: ``time.process_time``,
a warm-up pass, ``gc`` disabled while timing, min and median of the repeats, µs per event and the difference
from ``no hooks``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from receive_path import _frames, build_response  # noqa: E402
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent  # noqa: E402

from semantic_kernel_realtime import OpenAIRealtimeWebsocket  # noqa: E402
from semantic_kernel_realtime.client.connection import Connection  # noqa: E402
from semantic_kernel_realtime.protocol import OpenAICodec  # noqa: E402
from semantic_kernel_realtime.telemetry import RealtimeTelemetry, Recorder  # noqa: E402


class _Transport:
    """Stands in for the socket: the benchmark only feeds received messages; anything sent is dropped."""

    carries_audio = False

    async def send_text(self, message: str | bytes) -> None:
        pass


def _providers() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def path(messages: list[str], hooks: Callable[[], list[Any]], debug: bool = False) -> Callable[[], None]:
    """One pass: a session opened with ``hooks()``, the messages through its receive path, the session ended."""
    logger = logging.getLogger("semantic_kernel_realtime.client")

    def run() -> None:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url="http://127.0.0.1:9/v1", ai_model_id="gpt-realtime")
        attached = hooks()
        logger.setLevel(logging.DEBUG if debug else logging.WARNING)
        for hook in attached:
            hook.started(client)
        connection = Connection(client, _Transport(), OpenAICodec(model="gpt-realtime"), attached)  # type: ignore
        connection.observe([])
        for hook in attached:
            hook.opened(connection)
        sink, queue = connection.sink, client.receive_buffer
        get = queue.get_nowait
        for message in messages:
            sink(message)
            while queue.qsize():
                event = get()
                if type(event) is RealtimeAudioEvent:
                    event.audio.data  # noqa: B018  (a player reads the PCM bytes)
        for hook in attached:
            hook.ended(None)
        logger.setLevel(logging.WARNING)

    return run


def measure(paths: list[Callable[[], None]], n_events: int, repeats: int, passes: int) -> list[list[float]]:
    for run_pass in paths:
        run_pass()  # warm-up
    results: list[list[float]] = [[] for _ in paths]
    for _ in range(repeats):
        for i, run_pass in enumerate(paths):
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                for _ in range(passes):
                    run_pass()
                elapsed = time.process_time() - start
            finally:
                gc.enable()
            results[i].append(1e6 * elapsed / (passes * n_events))
    return results


async def main_async(args: argparse.Namespace) -> None:
    messages = ['{"event_id":"event_1",' + rest for rest in build_response(args.events, _frames())]
    tracer_provider, meter_provider = _providers()
    handler = logging.NullHandler()
    logging.getLogger("semantic_kernel_realtime.client").addHandler(handler)
    logging.getLogger("semantic_kernel_realtime.client").propagate = False
    log_dir = tempfile.mkdtemp(prefix="bench-telemetry-")
    recorders: list[Recorder] = []

    def recorder() -> list[Any]:
        for old in recorders:
            old.close()
        recorders[:] = [Recorder(Path(log_dir) / "session.jsonl")]
        return list(recorders)

    otel = lambda: [RealtimeTelemetry(diagnostics=True, tracer_provider=tracer_provider,  # noqa: E731
                                      meter_provider=meter_provider)]
    paths = {
        "no hooks (telemetry off)": path(messages, list),
        "latency only (switch off)": path(messages, lambda: [RealtimeTelemetry(diagnostics=False)]),
        "OTel SDK (spans + metrics)": path(messages, otel),
        "OTel SDK + DEBUG logging": path(messages, otel, debug=True),
        "Recorder (audio kept)": path(messages, recorder),
    }
    results = measure(list(paths.values()), len(messages), args.repeats, args.passes)
    for old in recorders:
        old.close()
    base = min(results[0])
    print(f"telemetry: receive path per event, in process; {len(messages)} events per pass (one GA audio response), "
          f"{args.passes} passes x {args.repeats} repeats, round-robin, gc off while timing")
    print(f"machine: nproc={os.cpu_count()}, Python {platform.python_version()}, load avg {os.getloadavg()[0]:.2f}")
    print()
    print(f"{'path':30} {'min us/event':>12} {'median':>8} {'+ over no hooks (min)':>22}")
    for (name, _), samples in zip(paths.items(), results, strict=True):
        low, mid = min(samples), statistics.median(samples)
        print(f"{name:30} {low:12.2f} {mid:8.2f} {low - base:+22.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000, help="events per response (pass)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--passes", type=int, default=10)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
