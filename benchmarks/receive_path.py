"""Receive path, end to end over real sockets: the raw floor, Semantic Kernel 1.45's connector, and ours.

    .venv/bin/python benchmarks/receive_path.py [--events N] [--repeats N] [--paced N] [--rounds N]
                                                [--sessions N] [--quick] [--baseline-tree DIR]

One local server, four receivers (five with ``--baseline-tree``), one run:

- server: a purpose-built ``websockets`` server (``websockets.sync.server``, 127.0.0.1, port 0) in its own
  process (multiprocessing, spawn), so every client's CPU time is the client's alone. On connect it sends
  ``session.created``; on each ``response.create`` it streams one realistic GA audio response:
  ``response.created``, ``response.output_item.added``, ``response.content_part.added``, then 20 ms PCM16
  24 kHz ``response.output_audio.delta`` frames (480 samples of real speech from
  ``../shared/fixtures/audio/whats-the-weather.pcm16-24k.wav``, looped) with a
  ``response.output_audio_transcript.delta`` word every 7 frames, then the ``*.done`` events and
  ``response.done``. Every other client event is ignored. What to stream is chosen by the model name
  in the URL (``?model=fast-20000``, ``paced-3000``, ``idle``), which every receiver sets as usual.
  The send time (``time.perf_counter_ns``, taken just before the frame is written) is the event's
  ``event_id`` (``event_<ns>``), so every event is protocol-valid and no receiver parses anything extra.
  Pacing uses absolute deadlines (``t0 + i * 1 ms``) and ``time.sleep`` in the connection's thread:
  no drift, no spinning.
- receivers, each in its own fresh subprocess (so peak RSS is per receiver):
  1. raw floor: ``websockets`` client, ``recv()`` + ``orjson.loads`` + ``binascii.a2b_base64`` of every
     audio delta;
  2. SK 1.45: ``semantic_kernel.connectors.ai.open_ai.OpenAIRealtimeWebsocket(client=AsyncOpenAI(...))``,
     consuming ``receive()``;
  3. ours: ``semantic_kernel_realtime.OpenAIRealtimeWebsocket(api_key=..., base_url=...)``, consuming
     ``receive()``, telemetry off (no hook attached: what every session pays);
  4. ours + telemetry: the same with ``RealtimeTelemetry(diagnostics=True)`` attached and the OpenTelemetry
     SDK installed (a ``TracerProvider`` whose batch processor exports to a sink that drops spans, and a
     ``MeterProvider`` with an in-memory reader): spans, metrics and the turn tracker on every event (the
     one ``TurnLatencyEvent`` per response is left off the queue, so every receiver consumes the same events);
  5. with ``--baseline-tree DIR`` (e.g. ``git archive <commit> | tar -x -C DIR``): receiver 3 importing the
     package from that tree, so a change is measured against its baseline in the same run.
  SK and ours also read ``event.audio.data`` (the PCM bytes) of every audio event, as a player would,
  as the floor decodes every delta. The protocol-neutral events ours queues after their wire event
  (``client.*``: the words, the usage, the response's end; 3 per response) are consumed but not timed: they
  carry no server send time.

Measures:

- CPU us/event: the server streams ``--events`` events as fast as it can; the client's
  ``time.process_time()`` delta from sending ``response.create`` to receiving ``response.done``, divided
  by the events. One warm-up response, then ``--repeats`` responses per subprocess, ``--rounds``
  subprocesses per receiver (receiver order rotated per round); the median over all of them. GC stays
  on: collecting what a receiver allocates is part of its cost.
- added latency: ``--paced`` events at 1,000 events/s; per event, the time the consumer loop has it in
  hand (decoded, audio bytes read) minus the server's send time; the first 100 events are dropped;
  p50 and p99 per round, median over rounds. ``perf_counter`` is ``CLOCK_MONOTONIC`` on Linux (one
  clock for all processes); the script checks it and checks the server's clock against its own.
- peak RSS: ``ru_maxrss`` of the receiver's subprocess after its streams.
- KB per idle session: a fresh subprocess per receiver opens ``--sessions`` sessions (connected,
  ``session.created`` received, a consumer task waiting on each, nothing streaming);
  (RSS after - RSS before) / sessions, after ``gc.collect()``, RSS before taken after one warm-up
  session was opened and closed. A second batch of sessions is then opened under ``tracemalloc`` to
  say where the Python allocations go. SK sessions share one ``AsyncOpenAI`` client (SK's default
  makes one per connector, which costs more).

The machine is shared with other work (tests run alongside), so every figure is a median of repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import gc
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import wave
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WAV = SHARED / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"
FRAME_BYTES = 960  # 20 ms of PCM16 mono at 24 kHz (480 samples)
WORD_EVERY = 7  # one transcript word per 7 audio frames
SENTENCE = "What's the weather like in San Francisco, California? It is sunny and mild today.".split()
PACE_NS = 1_000_000  # 1,000 events/s
LATENCY_WARMUP = 100  # paced events dropped from the latency figures
AUDIO_DELTA = "response.output_audio.delta"
RESPONSE_DONE = "response.done"
RECEIVERS = ("raw", "sk", "ours", "otel")
LABELS = {"raw": "raw floor (websockets+orjson+b64)", "sk": "SK 1.45 built-in", "ours": "ours (+ audio.data read)",
          "otel": "ours + telemetry (OTel SDK)", "base": "ours @ --baseline-tree"}
TARGET_CPU_RATIO = 1.3
TARGET_LATENCY_US = 30.0
TARGET_IDLE_KB = 40.0

sys.path.insert(0, str(REPO))


# -- the server (its own process) ------------------------------------------------------------------------


def _frames() -> list[str]:
    with wave.open(str(WAV)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000), "expected PCM16 24 kHz mono"
        pcm = w.readframes(w.getnframes())
    usable = len(pcm) - len(pcm) % FRAME_BYTES
    return [base64.b64encode(pcm[i : i + FRAME_BYTES]).decode() for i in range(0, usable, FRAME_BYTES)]


def _session_created() -> dict[str, Any]:
    return {
        "type": "session.created",
        "session": {
            "type": "realtime", "object": "realtime.session", "id": "sess_bench", "model": "gpt-realtime",
            "output_modalities": ["audio"], "instructions": "", "tools": [], "tool_choice": "auto",
            "max_output_tokens": "inf", "tracing": None, "prompt": None, "expires_at": 0, "include": None,
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000}, "transcription": None, "noise_reduction": None,
                    "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                       "silence_duration_ms": 200, "idle_timeout_ms": None,
                                       "create_response": True, "interrupt_response": True},
                },
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin", "speed": 1.0},
            },
        },
    }


def build_response(n_events: int, frames: list[str], k: int = 0) -> list[str]:
    """One GA audio response of exactly ``n_events`` events, each as JSON text minus its opening ``{``."""
    rid, iid = f"resp_bench{k}", f"item_bench{k}"
    ids = {"response_id": rid, "item_id": iid, "output_index": 0, "content_index": 0}
    n_deltas = max(0, n_events - 8)
    deltas: list[dict[str, Any]] = []
    words: list[str] = []
    f = 0
    for i in range(n_deltas):
        if i % (WORD_EVERY + 1) == WORD_EVERY:
            word = SENTENCE[len(words) % len(SENTENCE)] + " "
            words.append(word)
            deltas.append({"type": "response.output_audio_transcript.delta", **ids, "delta": word})
        else:
            deltas.append({"type": AUDIO_DELTA, **ids, "delta": frames[f % len(frames)]})
            f += 1
    transcript = "".join(words)
    item = {"id": iid, "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant",
            "content": []}
    done_item = {**item, "status": "completed", "content": [{"type": "output_audio", "transcript": transcript}]}
    response = {"object": "realtime.response", "id": rid, "status": "in_progress", "status_details": None,
                "output": [], "conversation_id": "conv_bench", "output_modalities": ["audio"],
                "max_output_tokens": "inf", "metadata": None, "usage": None,
                "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"}}}
    usage = {"total_tokens": 400, "input_tokens": 100, "output_tokens": 300,
             "input_token_details": {"text_tokens": 100, "audio_tokens": 0, "cached_tokens": 0},
             "output_token_details": {"text_tokens": 60, "audio_tokens": 240}}
    events = [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "response_id": rid, "output_index": 0, "item": item},
        {"type": "response.content_part.added", **ids, "part": {"type": "audio", "transcript": ""}},
        *deltas,
        {"type": "response.output_audio.done", **ids},
        {"type": "response.output_audio_transcript.done", **ids, "transcript": transcript},
        {"type": "response.content_part.done", **ids, "part": {"type": "audio", "transcript": transcript}},
        {"type": "response.output_item.done", "response_id": rid, "output_index": 0, "item": done_item},
        {"type": RESPONSE_DONE, "response": {**response, "status": "completed", "output": [done_item],
                                             "usage": usage}},
    ]
    return [orjson.dumps(e).decode()[1:] for e in events[:n_events]]


def _stamped(rest: str) -> str:
    return '{"event_id":"event_' + str(time.perf_counter_ns()) + '",' + rest


def _handle(ws: Any, frames: list[str], cache: dict[int, list[str]], lock: threading.Lock) -> None:
    from websockets.exceptions import ConnectionClosed

    model = parse_qs(urlsplit(ws.request.path).query).get("model", ["idle"])[0]
    mode, _, count = model.partition("-")
    n = int(count) if count.isdigit() else 0
    try:
        ws.send(_stamped(orjson.dumps(_session_created()).decode()[1:]))
        for message in ws:
            if mode not in ("fast", "paced") or b'"response.create"' not in (
                message.encode() if isinstance(message, str) else message
            ):
                continue  # every other client event (session.update, ...) is ignored
            with lock:
                if n not in cache:
                    cache[n] = build_response(n, frames)
                texts = cache[n]
            send = ws.send
            if mode == "fast":
                for rest in texts:
                    send(_stamped(rest))
            else:
                clock, sleep = time.perf_counter_ns, time.sleep
                t0 = clock() + PACE_NS
                for i, rest in enumerate(texts):
                    wait = t0 + i * PACE_NS - clock()
                    if wait > 0:
                        sleep(wait / 1e9)
                    send(_stamped(rest))
    except ConnectionClosed:
        pass


def _pin(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def server_main(conn: Any, cpu: int | None = None) -> None:
    """Entry of the server process: serve until terminated; answer clock probes on ``conn``."""
    from websockets.sync.server import serve

    _pin(cpu)

    frames = _frames()
    cache: dict[int, list[str]] = {}
    lock = threading.Lock()
    server = serve(lambda ws: _handle(ws, frames, cache, lock), "127.0.0.1", 0, compression=None, max_size=None,
                   ping_interval=None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.socket.getsockname()[1])
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            break
        if msg == "clock":
            conn.send(time.perf_counter_ns())
        elif msg == "stop":
            break
    server.shutdown()


# -- receivers (each in a fresh subprocess) ------------------------------------------------------------


class RawReceiver:
    """The floor: websockets recv + orjson.loads + base64 decode of audio deltas."""

    def __init__(self, base: str, model: str) -> None:
        self.url = base.replace("http://", "ws://") + f"/realtime?model={model}"

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, additional_headers={"Authorization": "Bearer x"}, compression=None,
                                max_size=16 * 2**20, ping_interval=20.0)
        event = orjson.loads(await self.ws.recv())
        assert event["type"] == "session.created", event

    async def wait(self) -> None:  # idle: a consumer waiting for the next event
        await self.ws.recv()

    async def request(self) -> None:
        await self.ws.send('{"type":"response.create"}')

    async def consume(self, arrivals: list[int], ids: list[str]) -> None:
        recv, loads, a2b, clock = self.ws.recv, orjson.loads, binascii.a2b_base64, time.perf_counter_ns
        add_t, add_id = arrivals.append, ids.append
        while True:
            event = loads(await recv())
            etype = event["type"]
            if etype == AUDIO_DELTA:
                a2b(event["delta"])
            add_t(clock())
            add_id(event["event_id"])
            if etype == RESPONSE_DONE:
                return

    async def close(self) -> None:
        await self.ws.close()


class _SKLike:
    """Shared consumer for SK's and our connector: iterate ``receive()``, read audio bytes."""

    client: Any

    async def open(self) -> None:
        await self.client.create_session()
        self.events = self.client.receive()
        event = await self.events.__anext__()
        assert event.service_type == "session.created", event

    async def wait(self) -> None:
        await self.events.__anext__()

    async def request(self) -> None:
        from semantic_kernel.contents.realtime_events import RealtimeEvent

        await self.client.send(RealtimeEvent(service_type="response.create"))

    async def consume(self, arrivals: list[int], ids: list[str]) -> None:
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        anext_, clock, event_id = self.events.__anext__, time.perf_counter_ns, self.event_id
        add_t, add_id = arrivals.append, ids.append
        while True:
            event = await anext_()
            if type(event) is RealtimeAudioEvent:
                event.audio.data  # noqa: B018  (a player reads the PCM bytes)
            etype = event.service_type or ""
            if etype[:7] == "client.":
                continue  # ours: a protocol-neutral event after its wire event (usage, words, response done)
            add_t(clock())
            add_id(event_id(event.service_event))
            if etype == RESPONSE_DONE:
                return

    async def close(self) -> None:
        await self.client.close_session()


class SKReceiver(_SKLike):
    shared_openai: Any = None

    def __init__(self, base: str, model: str) -> None:
        from openai import AsyncOpenAI
        from semantic_kernel.connectors.ai.open_ai import OpenAIRealtimeWebsocket as SKOpenAIRealtimeWebsocket

        if SKReceiver.shared_openai is None:
            SKReceiver.shared_openai = AsyncOpenAI(base_url=base, api_key="x")
        self.client = SKOpenAIRealtimeWebsocket(ai_model_id=model, client=SKReceiver.shared_openai)
        self.event_id = lambda service_event: service_event.event_id


class OursReceiver(_SKLike):
    def __init__(self, base: str, model: str) -> None:
        from semantic_kernel_realtime import OpenAIRealtimeWebsocket

        self.client = OpenAIRealtimeWebsocket(api_key="x", base_url=base, ai_model_id=model)
        self.event_id = lambda service_event: service_event["event_id"]


class OtelReceiver(OursReceiver):
    """Ours with RealtimeTelemetry attached and the OpenTelemetry SDK installed (spans exported to nowhere)."""

    providers: Any = None

    def __init__(self, base: str, model: str) -> None:
        super().__init__(base, model)
        from semantic_kernel_realtime.telemetry import RealtimeTelemetry

        if OtelReceiver.providers is None:
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import InMemoryMetricReader
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

            class Drop(SpanExporter):
                def export(self, spans: Any) -> SpanExportResult:
                    return SpanExportResult.SUCCESS

            tracer_provider = TracerProvider()
            tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
            OtelReceiver.providers = (tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()]))
        tracer_provider, meter_provider = OtelReceiver.providers
        # the turn tracker runs (its figures go to the metrics); the one TurnLatencyEvent per response is left
        # off the queue so every receiver consumes the same events
        self.client.attach(RealtimeTelemetry(diagnostics=True, latency_events=False, tracer_provider=tracer_provider,
                                             meter_provider=meter_provider))


RECEIVER_CLASSES = {"raw": RawReceiver, "sk": SKReceiver, "ours": OursReceiver, "otel": OtelReceiver,
                    "base": OursReceiver}


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


async def child_stream(kind: str, base: str, events: int, repeats: int, paced: int) -> dict[str, Any]:
    cls = RECEIVER_CLASSES[kind]
    arrivals: list[int] = []
    ids: list[str] = []
    # CPU per event, as fast as the server can send
    rx = cls(base, f"fast-{events}")
    await rx.open()
    cpu: list[float] = []
    counts: list[int] = []
    for i in range(repeats + 1):
        arrivals.clear()
        ids.clear()
        gc.collect()
        t0 = time.process_time()
        await rx.request()
        await rx.consume(arrivals, ids)
        dt = time.process_time() - t0
        counts.append(len(arrivals))
        if i:  # the first response is the warm-up
            cpu.append(dt / len(arrivals) * 1e6)
    await rx.close()
    # added latency at 1,000 events/s
    rx = cls(base, f"paced-{paced}")
    await rx.open()
    arrivals.clear()
    ids.clear()
    gc.collect()
    await rx.request()
    await rx.consume(arrivals, ids)
    await rx.close()
    lat = sorted((t - int(i[6:])) / 1e3 for t, i in zip(arrivals[LATENCY_WARMUP:], ids[LATENCY_WARMUP:], strict=True))
    spacing = (int(ids[-1][6:]) - int(ids[LATENCY_WARMUP][6:])) / max(1, len(ids) - 1 - LATENCY_WARMUP) / 1e3
    return {
        "cpu_us": cpu,
        "events": counts,
        "paced_events": len(arrivals),
        "send_spacing_us": spacing,
        "p50_us": _pct(lat, 50),
        "p99_us": _pct(lat, 99),
        "max_us": lat[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def child_idle(kind: str, base: str, sessions: int, top: int) -> dict[str, Any]:
    cls = RECEIVER_CLASSES[kind]

    async def open_many(n: int) -> tuple[list[Any], list[asyncio.Task]]:
        opened: list[Any] = []
        for start in range(0, n, 20):
            batch = [cls(base, "idle") for _ in range(start, min(n, start + 20))]
            await asyncio.gather(*(rx.open() for rx in batch))
            opened += batch
        waiters = [asyncio.create_task(rx.wait()) for rx in opened]  # an app's consumer per session
        await asyncio.sleep(0.2)
        return opened, waiters

    warm = cls(base, "idle")
    await warm.open()
    await warm.close()
    await asyncio.sleep(0.2)
    gc.collect()
    before = _rss_kb()
    first, waiters1 = await open_many(sessions)
    gc.collect()
    after = _rss_kb()
    tracemalloc.start(1)
    snap0 = tracemalloc.take_snapshot()
    second, waiters2 = await open_many(sessions)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    diff = snap1.compare_to(snap0, "filename")
    traced = sum(d.size_diff for d in diff)
    sites = [(_short(d.traceback[0].filename), d.size_diff / sessions / 1024, d.count_diff / sessions)
             for d in diff[:top]]
    for w in waiters1 + waiters2:
        w.cancel()
    await asyncio.gather(*waiters1, *waiters2, return_exceptions=True)
    for rx in first + second:
        try:
            await asyncio.wait_for(rx.close(), 2)
        except Exception:
            pass
    return {"kb_per_session": (after - before) / sessions, "traced_kb_per_session": traced / sessions / 1024,
            "sites": sites, "sessions": sessions}


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def child_main(args: argparse.Namespace) -> None:
    import logging

    if args.kind == "base":
        sys.path.insert(0, str(Path(args.baseline_tree).resolve()))
        import semantic_kernel_realtime

        assert Path(semantic_kernel_realtime.__file__).resolve().is_relative_to(Path(args.baseline_tree).resolve())

    logging.basicConfig(level=logging.WARNING)
    _pin(args.cpu)
    base = f"http://127.0.0.1:{args.port}/v1"
    if args.child == "stream":
        result = asyncio.run(child_stream(args.kind, base, args.events, args.repeats, args.paced))
    else:
        result = asyncio.run(child_idle(args.kind, base, args.sessions, args.top))
    print("RESULT " + json.dumps(result), flush=True)


# -- the orchestration ---------------------------------------------------------------------------------


def _run_child(mode: str, kind: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--kind", kind, "--port", str(port),
           "--events", str(args.events), "--repeats", str(args.repeats), "--paced", str(args.paced),
           "--sessions", str(args.sessions), "--top", str(args.top)]
    if args.client_cpu is not None:
        cmd += ["--cpu", str(args.client_cpu)]
    if args.baseline_tree:
        cmd += ["--baseline-tree", args.baseline_tree]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode}/{kind} child failed (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")


def _check_clock(conn: Any) -> str:
    info = time.get_clock_info("perf_counter")
    ok = 0
    for _ in range(20):
        before = time.perf_counter_ns()
        conn.send("clock")
        theirs = conn.recv()
        after = time.perf_counter_ns()
        ok += before <= theirs <= after
    if ok != 20:
        raise SystemExit(f"perf_counter is not one clock across processes ({info.implementation}); cannot measure")
    return f"{info.implementation}, same clock in server and client processes (20/20 probes)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per as-fast-as-possible response")
    parser.add_argument("--repeats", type=int, default=2, help="timed responses per subprocess (+1 warm-up)")
    parser.add_argument("--paced", type=int, default=2_500, help="events in the 1,000 events/s response")
    parser.add_argument("--rounds", type=int, default=5, help="stream subprocesses per receiver")
    parser.add_argument("--sessions", type=int, default=200, help="idle sessions per receiver")
    parser.add_argument("--top", type=int, default=6, help="tracemalloc sites shown per receiver")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    parser.add_argument("--baseline-tree", default=None, metavar="DIR",
                        help="also measure ours imported from DIR (a checkout of the baseline commit)")
    parser.add_argument("--child", choices=("stream", "idle"), help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=(*RECEIVERS, "base"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the server and the receivers to separate CPUs")
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    if args.quick:
        args.events, args.repeats, args.paced, args.rounds, args.sessions = 2_000, 1, 500, 1, 20
    receivers = (*RECEIVERS, "base") if args.baseline_tree else RECEIVERS

    started = time.perf_counter()
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, args.client_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 and not args.no_pin else (None, None)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=server_main, args=(child, server_cpu), daemon=True)
    server.start()
    port = parent.recv()
    clock = _check_clock(parent)
    import semantic_kernel
    import websockets

    print("receive_path: raw floor vs Semantic Kernel 1.45 built-in vs ours (telemetry off / on), one local server, "
          "one run" + (f"; baseline tree {args.baseline_tree}" if args.baseline_tree else ""))
    print(f"machine: nproc={os.cpu_count()} (affinity {len(os.sched_getaffinity(0))}), {platform.machine()}, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
          f"load avg {os.getloadavg()[0]:.2f}")
    print(f"versions: semantic-kernel {semantic_kernel.__version__}, websockets {websockets.__version__}, "
          f"orjson {orjson.__version__}")
    print(f"clock: {clock}")
    print("pinning: " + (f"server on CPU {server_cpu}, every receiver on CPU {args.client_cpu}"
                         if server_cpu is not None else "none (the scheduler places the processes)"))
    print(f"server: pid {server.pid}, ws://127.0.0.1:{port}/v1/realtime; audio {WAV.name} in 20 ms frames, "
          f"a transcript word every {WORD_EVERY} frames")
    print(f"stream: {args.events} events per response, 1 warm-up + {args.repeats} timed responses x {args.rounds} "
          f"subprocess rounds; paced: {args.paced} events at 1,000/s (first {LATENCY_WARMUP} dropped) per round; "
          f"idle: {args.sessions} sessions")
    print("shared machine: every figure is the median over repeats/rounds", flush=True)

    streams: dict[str, list[dict[str, Any]]] = {k: [] for k in receivers}
    for r in range(args.rounds):
        order = receivers[r % len(receivers):] + receivers[: r % len(receivers)]
        for kind in order:
            t = time.perf_counter()
            streams[kind].append(_run_child("stream", kind, port, args))
            print(f"  round {r + 1}/{args.rounds} {kind}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    idle = {kind: _run_child("idle", kind, port, args) for kind in receivers}
    parent.send("stop")
    server.join(5)

    rows = {}
    for kind in receivers:
        runs = streams[kind]
        cpu_all = [c for run in runs for c in run["cpu_us"]]
        rows[kind] = {
            "cpu": statistics.median(cpu_all),
            "cpu_min": min(cpu_all),
            "p50": statistics.median(run["p50_us"] for run in runs),
            "p99": statistics.median(run["p99_us"] for run in runs),
            "rss": statistics.median(run["peak_rss_mb"] for run in runs),
            "idle": idle[kind]["kb_per_session"],
            "traced": idle[kind]["traced_kb_per_session"],
            "spacing": statistics.median(run["send_spacing_us"] for run in runs),
        }
    floor = rows["raw"]
    print()
    head = (f"{'receiver':34} {'CPU us/event':>12} {'(min)':>7} {'x floor':>8} {'p50 us':>8} {'p99 us':>8} "
            f"{'p50-floor':>9} {'peak RSS MB':>11} {'KB/idle sess':>12} {'(traced)':>9}")
    print(head)
    print("-" * len(head))
    for kind in receivers:
        row = rows[kind]
        print(f"{LABELS[kind]:34} {row['cpu']:12.1f} {row['cpu_min']:7.1f} {row['cpu'] / floor['cpu']:7.2f}x "
              f"{row['p50']:8.1f} {row['p99']:8.1f} {row['p50'] - floor['p50']:+9.1f} {row['rss']:11.1f} "
              f"{row['idle']:12.1f} {row['traced']:9.1f}")
    print()
    print(f"paced send spacing (server, median): {floor['spacing']:.1f} us/event; CPU = client process "
          f"time.process_time() per event, median of {args.repeats * args.rounds}; latency = consumer has the event "
          f"(audio bytes decoded) - server send time; (traced) = tracemalloc KB/session")
    for kind in receivers:
        per_round = "  ".join(f"{run['p50_us']:.0f}/{run['p99_us']:.0f}" for run in streams[kind])
        cpus = " ".join(f"{c:.1f}" for run in streams[kind] for c in run["cpu_us"])
        print(f"  {LABELS[kind]:34} p50/p99 per round: {per_round};  CPU us/event samples: {cpus}")
    ours = rows["ours"]
    checks = [
        (f"ours CPU/event <= {TARGET_CPU_RATIO}x floor", ours["cpu"] <= TARGET_CPU_RATIO * floor["cpu"],
         f"{ours['cpu']:.1f} us vs {floor['cpu']:.1f} us = {ours['cpu'] / floor['cpu']:.2f}x"),
        (f"ours p50 latency <= floor + {TARGET_LATENCY_US:.0f} us", ours["p50"] - floor["p50"] <= TARGET_LATENCY_US,
         f"{ours['p50']:.1f} us vs {floor['p50']:.1f} us = {ours['p50'] - floor['p50']:+.1f} us"),
        (f"ours <= {TARGET_IDLE_KB:.0f} KB per idle session", ours["idle"] <= TARGET_IDLE_KB,
         f"{ours['idle']:.1f} KB"),
    ]
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    otel = rows["otel"]
    print(f"telemetry on (OTel SDK installed) costs {otel['cpu'] - ours['cpu']:+.1f} us CPU/event "
          f"({otel['cpu'] / ours['cpu']:.2f}x ours), {otel['p50'] - ours['p50']:+.1f} us p50 latency, "
          f"{otel['idle'] - ours['idle']:+.1f} KB per idle session")
    if "base" in rows:
        base = rows["base"]
        print(f"ours vs the baseline tree: {ours['cpu'] - base['cpu']:+.1f} us CPU/event "
              f"({ours['cpu'] / base['cpu']:.2f}x), {ours['p50'] - base['p50']:+.1f} us p50 latency, "
              f"{ours['idle'] - base['idle']:+.1f} KB per idle session")
    print()
    print(f"where idle-session Python memory goes (tracemalloc, KB and blocks per session, top {args.top} files):")
    for kind in receivers:
        sites = ", ".join(f"{name} {kb:.1f} KB/{count:.0f}" for name, kb, count in idle[kind]["sites"])
        print(f"  {LABELS[kind]}: {sites}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
