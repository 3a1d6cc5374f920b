"""Tool stall: does a 500 ms kernel function stop audio and barge-in delivery? SK 1.45's built-in vs ours.

    .venv/bin/python benchmarks/tool_stall.py [--runs N] [--no-warmup]

One scripted local server, two clients (plus a bare-socket floor), one run:

- server: a ``websockets`` asyncio server (127.0.0.1, port 0, no compression) in its own process (this
  script with ``--serve``), so its pacing is not disturbed by the client under test. Per connection it
  sends ``session.created``, waits for the client's ``session.update`` (+200 ms to settle), then one
  response whose only output is a function call to the kernel function ``tools-slow``
  (``response.created``, ``response.output_item.added``, ``response.function_call_arguments.done`` with
  name/call_id/arguments, ``response.output_item.done``, ``response.done``) and right after it streams
  75 ``response.output_audio.delta`` frames (20 ms, PCM16 24 kHz, 480 samples of real speech from
  ``../shared/fixtures/audio/whats-the-weather.pcm16-24k.wav``) paced at real time on absolute deadlines
  (1.5 s), with ``input_audio_buffer.speech_started`` at +250 ms (between frames 12 and 13, the middle
  of the tool's 500 ms). Every event's ``event_id`` is ``event_<time.monotonic_ns() at send>``
  (CLOCK_MONOTONIC is system-wide), so the client computes arrival - send with no extra fields. The
  server records what the client sends and reports, per connection, whether a ``function_call_output``
  and a ``response.create`` came back.
- clients (same process, fresh kernel and connector per run), each consuming ``receive()``:
  0. floor: a bare ``websockets`` client (``recv`` + ``json.loads``, no SK, no tool) on the same stream,
     in the same process: what host scheduling and the library reader cost on their own, under the
     same background load. Gaps it shows are not any client's doing.
  1. SK 1.45: ``semantic_kernel.connectors.ai.open_ai.OpenAIRealtimeWebsocket(client=AsyncOpenAI(...))``
     with ``OpenAIRealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())``;
  2. ours: ``semantic_kernel_realtime.OpenAIRealtimeWebsocket(api_key=..., base_url=...)`` with
     ``RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())``.
  The kernel function ``tools-slow`` does ``await asyncio.sleep(0.5)``.

Measures, per run:

- max extra audio gap: max over consecutive audio deltas of (arrival gap - send gap), ms, where the
  delivered ``response.function_call_arguments.done`` counts as the first element of the sequence
  (audio is sent right after the call, so a receive loop that awaits the tool shows its stall as the
  call -> first delta gap, not between deltas; both clients deliver that call event before running the
  tool). Server-side pacing jitter cancels out; what is left is time the client held audio back. The
  delta-to-delta-only figure is printed per run too.
- barge-in delay: arrival - send of ``speech_started``, ms.
- whether the function ran (and finished), and whether the client sent ``function_call_output`` and
  ``response.create`` (count).
- per run, for diagnosis: where the worst gap fell (relative to the call and the tool's start/end; gaps
  split into "in the tool window" and "after the tool"), the garbage collections during the stream
  (``gc.callbacks``), and the client's CPU time per received event (``time.process_time``).

Each client runs ``--runs`` times (rounds alternate floor, SK, ours, so background load hits all alike), after
one uncounted warm-up session each (imports, first-call caches). The machine is shared (2 cores, tests
run alongside), so the verdict uses the median; the worst run is shown too. Finishes in ~35 s.
Exit status: 0 when ours meets every target (on the median), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the package from this checkout (the editable finder misses it from benchmarks/)
FIXTURE = ROOT.parent / "shared" / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"

FRAME_SAMPLES = 480  # 20 ms at 24 kHz
FRAME_NS = 20_000_000
N_FRAMES = 75  # 1.5 s
BARGE_AT_NS = 250_000_000  # middle of the 500 ms tool, between frames 12 (240 ms) and 13 (260 ms)
TOOL_SECONDS = 0.5
SETTLE_S = 0.2
AUDIO = "response.output_audio.delta"
CALL_DONE = "response.function_call_arguments.done"
SPEECH_STARTED = "input_audio_buffer.speech_started"
CLIENTS = ("floor", "sk", "ours")
TARGET_GAP_MS = 5.0
TARGET_BARGE_MS = 2.0


# ---------------------------------------------------------------------------------------------------
# server (separate process)
# ---------------------------------------------------------------------------------------------------


def _frames() -> list[str]:
    import base64

    with wave.open(str(FIXTURE)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000), FIXTURE
        pcm = wav.readframes(wav.getnframes())
    size = FRAME_SAMPLES * 2
    chunks = [pcm[i:i + size] for i in range(0, len(pcm) - size + 1, size)]
    return [base64.b64encode(chunks[i % len(chunks)]).decode() for i in range(N_FRAMES)]


def _call_events(n: int) -> list[dict[str, Any]]:
    rid, iid, cid = f"resp_{n}", f"item_call_{n}", f"call_{n}"
    item = {"id": iid, "object": "realtime.item", "type": "function_call", "status": "in_progress",
            "call_id": cid, "name": "tools-slow", "arguments": ""}
    done_item = {**item, "status": "completed", "arguments": "{}"}
    return [
        {"type": "response.created", "response": {"id": rid, "object": "realtime.response",
                                                   "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "response_id": rid, "output_index": 0, "item": item},
        {"type": "response.function_call_arguments.done", "response_id": rid, "item_id": iid, "output_index": 0,
         "call_id": cid, "name": "tools-slow", "arguments": "{}"},
        {"type": "response.output_item.done", "response_id": rid, "output_index": 0, "item": done_item},
        {"type": "response.done", "response": {"id": rid, "object": "realtime.response", "status": "completed",
                                                "output": [done_item]}},
    ]


async def _serve() -> None:
    from websockets.asyncio.server import serve

    frames = _frames()
    counter = 0

    async def send(ws: Any, event: dict[str, Any]) -> None:
        event["event_id"] = f"event_{time.monotonic_ns()}"
        await ws.send(json.dumps(event))

    async def handler(ws: Any) -> None:
        nonlocal counter
        counter += 1
        n = counter
        received: list[str] = []
        updated, output, create = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def reader() -> None:
            with contextlib.suppress(Exception):
                async for message in ws:
                    event = json.loads(message)
                    kind = event.get("type", "?")
                    item_type = event.get("item", {}).get("type")
                    if kind == "conversation.item.create" and item_type == "function_call_output":
                        kind = "function_call_output"
                        output.set()
                    received.append(kind)
                    if kind == "session.update":
                        updated.set()
                    elif kind == "response.create":
                        create.set()

        reading = asyncio.create_task(reader())
        await send(ws, {"type": "session.created", "session": {"type": "realtime", "id": f"sess_{n}",
                                                               "object": "realtime.session",
                                                               "model": "gpt-realtime"}})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(updated.wait(), 3)
        await asyncio.sleep(SETTLE_S)
        for event in _call_events(n):
            await send(ws, event)
        start = time.monotonic_ns()
        barge_sent = False
        for i, delta in enumerate(frames):
            due = start + i * FRAME_NS
            if not barge_sent and due > start + BARGE_AT_NS:
                await asyncio.sleep(max(0, start + BARGE_AT_NS - time.monotonic_ns()) / 1e9)
                await send(ws, {"type": SPEECH_STARTED, "audio_start_ms": 1000, "item_id": f"item_user_{n}"})
                barge_sent = True
            await asyncio.sleep(max(0, due - time.monotonic_ns()) / 1e9)
            await send(ws, {"type": AUDIO, "response_id": f"resp_audio_{n}", "item_id": f"item_audio_{n}",
                            "output_index": 0, "content_index": 0, "delta": delta})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(output.wait(), create.wait()), 1.5)
        report = {"conn": n, "received": received, "function_call_output": output.is_set(),
                  "response_create": received.count("response.create")}
        print(json.dumps(report), flush=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(ws.wait_closed(), 5)
        reading.cancel()

    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent exits


# ---------------------------------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------------------------------


class _GcPauses:
    """Records every garbage collection (generation, start ns, duration ns) through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, int, int]] = []
        self._start = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.monotonic_ns()
        else:
            self.pauses.append((info["generation"], self._start, time.monotonic_ns() - self._start))

    def between(self, t0: int, t1: int) -> list[tuple[int, int, int]]:
        return [p for p in self.pauses if t0 <= p[1] <= t1]


GC = _GcPauses()


@dataclass
class Run:
    client: str
    gap_ms: float | None = None
    barge_ms: float | None = None
    frames: int = 0
    ran: bool = False
    output_sent: bool = False
    creates: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _event_id(event: Any) -> str | None:
    inner = getattr(event, "service_event", None)
    if isinstance(inner, dict):
        return inner.get("event_id")
    return getattr(inner, "event_id", None)


def _make_kernel(state: dict[str, int]) -> Any:
    from semantic_kernel import Kernel
    from semantic_kernel.functions import kernel_function

    class Tools:
        @kernel_function(description="A slow tool: takes 500 ms.")
        async def slow(self) -> str:
            state["started"] += 1
            state["t_start"] = time.monotonic_ns()
            await asyncio.sleep(TOOL_SECONDS)
            state["finished"] += 1
            state["t_end"] = time.monotonic_ns()
            return "sunny, 21 degrees"

    kernel = Kernel()
    kernel.add_plugin(Tools(), "tools")
    return kernel


class _Floor:
    """The noise floor: a bare ``websockets`` client (``recv`` + ``json.loads``), no Semantic Kernel, no tool.

    It shows what this host's scheduling and the library reader cost on their own under the same load.
    """

    def __init__(self, port: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
        self.ws: Any = None

    async def __aenter__(self) -> _Floor:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, compression=None, max_size=None)
        await self.ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime"}}))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def receive(self) -> Any:
        async for message in self.ws:
            event = json.loads(message)
            yield SimpleNamespace(service_type=event.get("type"), service_event=event)


def _make_client(name: str, port: int, kernel: Any) -> Any:
    from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

    base_url = f"http://127.0.0.1:{port}/v1"
    if name == "floor":
        return _Floor(port)
    if name == "sk":
        from openai import AsyncOpenAI
        from semantic_kernel.connectors.ai.open_ai import OpenAIRealtimeExecutionSettings, OpenAIRealtimeWebsocket

        client = OpenAIRealtimeWebsocket(ai_model_id="gpt-realtime",
                                         client=AsyncOpenAI(base_url=base_url, api_key="x"))
        settings = OpenAIRealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())
    else:
        from semantic_kernel_realtime import OpenAIRealtimeWebsocket as Ours
        from semantic_kernel_realtime.protocol import RealtimeExecutionSettings

        client = Ours(api_key="x", base_url=base_url)
        settings = RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())
    return client(settings=settings, kernel=kernel)


async def _one_run(name: str, port: int, reports: asyncio.Queue) -> Run:
    run = Run(client=name)
    state = {"started": 0, "finished": 0, "t_start": 0, "t_end": 0}
    audio: list[tuple[int, int]] = []  # (send ns, arrival ns)
    barge: list[tuple[int, int]] = []
    call: list[tuple[int, int]] = []  # the delivered response.function_call_arguments.done
    session = _make_client(name, port, _make_kernel(state))

    async def consume() -> None:
        stream = session.receive()
        try:
            async for event in stream:
                now = time.monotonic_ns()
                kind = event.service_type
                if kind in (AUDIO, SPEECH_STARTED, CALL_DONE):
                    eid = _event_id(event)
                    sent = int(eid.rsplit("_", 1)[1]) if eid else now
                    (audio if kind == AUDIO else barge if kind == SPEECH_STARTED else call).append((sent, now))
                    if len(audio) == N_FRAMES:
                        return
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stream.aclose(), 1)

    try:
        await asyncio.wait_for(session.__aenter__(), 5)
        cpu = time.process_time()
        try:
            await asyncio.wait_for(consume(), 6)
            run.extra["cpu_us_per_event"] = (time.process_time() - cpu) * 1e6 / max(1, len(audio) + 7)
        except asyncio.TimeoutError:
            run.error = f"timed out after {len(audio)} audio deltas"
        try:
            report = await asyncio.wait_for(reports.get(), 4)
            run.output_sent = report["function_call_output"]
            run.creates = report["response_create"]
        except asyncio.TimeoutError:
            run.error = run.error or "no server report"
    except Exception as exc:  # a broken client is a result, not a crash of the benchmark
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(session.__aexit__(None, None, None), 3)
    if audio:
        pauses = GC.between(audio[0][1] - 1_000_000_000, audio[-1][1])
        run.extra["gc"] = (len(pauses), max((d for _, _, d in pauses), default=0) / 1e6,
                           sum(g == 2 for g, _, _ in pauses))
    run.frames = len(audio)
    run.ran = state["started"] == 1 and state["finished"] == 1
    stream = call[:1] + audio  # the stall can also sit between the call and the first delta
    gaps = [((a2 - a1) - (s2 - s1), a2) for (s1, a1), (s2, a2) in zip(stream, stream[1:], strict=False)]
    if gaps and audio:
        worst, at = max(gaps)
        run.gap_ms = worst / 1e6
        run.extra["deltas_only_ms"] = max(g for g, _ in gaps[len(call[:1]):]) / 1e6 if len(audio) > 1 else None
        if call:
            t0 = call[0][1]
            run.extra["worst_at_ms"] = (at - t0) / 1e6
            if state["t_end"]:
                run.extra["tool_ms"] = ((state["t_start"] - t0) / 1e6, (state["t_end"] - t0) / 1e6)
            # the tool window: from the call's delivery to 40 ms after the tool ended (500 ms nominal
            # for the floor, which runs no tool); gaps outside it cannot be the tool's doing
            end = state["t_end"] or t0 + int(TOOL_SECONDS * 1e9)
            inside = [g for g, a in gaps if a <= end + 40_000_000]
            outside = [g for g, a in gaps if a > end + 40_000_000]
            run.extra["in_tool_ms"] = max(inside) / 1e6 if inside else None
            run.extra["after_tool_ms"] = max(outside) / 1e6 if outside else None
    if barge:
        run.barge_ms = (barge[0][1] - barge[0][0]) / 1e6
    return run


async def _pump_reports(stdout: asyncio.StreamReader, reports: asyncio.Queue) -> None:
    while line := await stdout.readline():
        with contextlib.suppress(ValueError):
            reports.put_nowait(json.loads(line))


async def _bench(runs: int, warmup: bool) -> list[Run]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().split()
        if first[:1] != ["PORT"]:
            raise RuntimeError(f"server did not start: {first}")
        port = int(first[1])
        reports: asyncio.Queue = asyncio.Queue()
        pump = asyncio.create_task(_pump_reports(proc.stdout, reports))
        results: list[Run] = []
        if warmup:
            for name in CLIENTS:
                await _one_run(name, port, reports)
        for _ in range(runs):
            for name in CLIENTS:
                results.append(await _one_run(name, port, reports))
        pump.cancel()
        return results
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 3)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()


# ---------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------


def _fmt(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "n/a"
    return f"{statistics.median(got):7.1f} / {max(got):7.1f}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _verdict(values: list[float | None], target: float) -> str:
    got = [v for v in values if v is not None]
    if len(got) < len(values) or not got:
        return "FAIL (missing)"
    med, worst = statistics.median(got), max(got)
    verdict = "PASS" if med <= target else "FAIL"
    return f"{verdict} (worst {'within' if worst <= target else 'over'})"


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{p} {version(p)}" for p in ("semantic-kernel", "openai", "websockets"))


def _print(results: list[Run], runs: int, warmup: bool) -> bool:
    floor = [r for r in results if r.client == "floor"]
    sk = [r for r in results if r.client == "sk"]
    ours = [r for r in results if r.client == "ours"]

    def count(group: list[Run], attr: str) -> str:
        return f"{sum(bool(getattr(r, attr)) for r in group)}/{len(group)}"

    def each(group: list[Run], attr: str) -> str:
        return ",".join(str(getattr(r, attr)) for r in group)

    def extra(group: list[Run], key: str) -> list[float | None]:
        return [r.extra.get(key) for r in group]

    def ok(flag: bool) -> str:
        return "PASS" if flag else "FAIL"

    print(f"tool_stall: 500 ms async kernel function `tools-slow`, then {N_FRAMES} x 20 ms audio deltas "
          f"paced in real time ({N_FRAMES * 20 / 1000:.1f} s), speech_started at +{BARGE_AT_NS / 1e6:.0f} ms")
    print(f"machine: nproc={os.cpu_count()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}, load average {os.getloadavg()[0]:.1f}; {_versions()}")
    print(f"runs: {runs} per client, rounds alternate floor/SK/ours"
          f"{', after 1 uncounted warm-up each' if warmup else ''}; shared host, so verdicts use the median "
          "(worst shown)")
    print()
    rows = [
        ("metric (median / worst)", "floor (bare websockets)", "SK 1.45 built-in", "ours", "target", "ours"),
        ("max extra audio gap, ms", _fmt([r.gap_ms for r in floor]), _fmt([r.gap_ms for r in sk]),
         _fmt([r.gap_ms for r in ours]), f"<= {TARGET_GAP_MS:g}", _verdict([r.gap_ms for r in ours], TARGET_GAP_MS)),
        ("  of which in the tool window", _fmt(extra(floor, "in_tool_ms")), _fmt(extra(sk, "in_tool_ms")),
         _fmt(extra(ours, "in_tool_ms")), "", ""),
        ("  of which after the tool", _fmt(extra(floor, "after_tool_ms")), _fmt(extra(sk, "after_tool_ms")),
         _fmt(extra(ours, "after_tool_ms")), "", ""),
        ("barge-in delay, ms", _fmt([r.barge_ms for r in floor]), _fmt([r.barge_ms for r in sk]),
         _fmt([r.barge_ms for r in ours]), f"<= {TARGET_BARGE_MS:g}",
         _verdict([r.barge_ms for r in ours], TARGET_BARGE_MS)),
        ("function ran (runs)", "no tool", count(sk, "ran"), count(ours, "ran"), "all", ok(all(r.ran for r in ours))),
        ("function_call_output sent", "-", count(sk, "output_sent"), count(ours, "output_sent"), "all",
         ok(all(r.output_sent for r in ours))),
        ("response.create sent, per run", "-", each(sk, "creates"), each(ours, "creates"), "1 each",
         ok(all(r.creates == 1 for r in ours))),
        ("audio deltas received, per run", each(floor, "frames"), each(sk, "frames"), each(ours, "frames"),
         f"{N_FRAMES} each", ok(all(r.frames == N_FRAMES for r in ours))),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    gap = [statistics.median(v) for v in ([r.gap_ms for r in floor], [r.gap_ms for r in ours])
           if v and None not in v]
    if len(gap) == 2:
        print(f"ours minus the floor (median max extra gap): {gap[1] - gap[0]:+.1f} ms")
    print()
    print("per run: gap = max extra audio gap (d2d: delta-to-delta pairs only); @ = when the worst gap ended, ms")
    print("after the call was delivered; tool = the kernel function's start..end on the same clock; tool window =")
    print("call delivered .. tool end + 40 ms (500 ms nominal for the floor)")
    for label, group in (("floor", floor), ("SK 1.45", sk), ("ours", ours)):
        for r in group:
            x = r.extra
            tool = x.get("tool_ms")
            print(f"  {label:8s} gap {_num(r.gap_ms):>6s}  d2d {_num(x.get('deltas_only_ms')):>5s}  "
                  f"barge {_num(r.barge_ms):>6s}  @ {_num(x.get('worst_at_ms')):>7s}  "
                  f"in/after tool {_num(x.get('in_tool_ms'))}/{_num(x.get('after_tool_ms'))}  "
                  f"tool {_num(tool[0]) if tool else '-'}..{_num(tool[1]) if tool else '-'}  "
                  f"gc {x['gc'][0]} (gen2 {x['gc'][2]}, longest {x['gc'][1]:.1f} ms)  "
                  f"cpu {x.get('cpu_us_per_event', 0):.0f} us/event"
                  + (f"  [{r.error}]" if r.error else ""))
    return all(row[5].startswith("PASS") for row in rows[1:] if row[5])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return 0
    if not FIXTURE.exists():
        print(f"missing fixture {FIXTURE}", file=sys.stderr)
        return 2
    import gc
    import logging

    gc.callbacks.append(GC)

    logging.disable(logging.CRITICAL)  # SK logs every event at INFO/DEBUG paths; keep the table readable
    results = asyncio.run(_bench(args.runs, not args.no_warmup))
    return 0 if _print(results, args.runs, not args.no_warmup) else 1


if __name__ == "__main__":
    sys.exit(main())
