"""Many two-way sessions in one client process on one core: the raw floor against ours, at real-time pace.

    .venv/bin/python benchmarks/scale.py [--sessions 100,200,300,400,500] [--seconds 10] [--kinds raw,ours]
                                         [--freeze] [--uvloop] [--traced N]

One server, one run, a fresh client process per (receiver, N):

- server: its own process, pinned to CPU 0 (uvloop when installed, so the server is not what falls behind).
  ``websockets`` accepts the connections; every 20 ms on absolute deadlines it builds one
  ``response.output_audio.delta`` (20 ms of PCM16 24 kHz speech from ``../shared``, its ``event_id`` the send
  time, ``time.perf_counter_ns``) once, frames it once, and writes the same bytes to every connection: a
  pre-serialised server, so its cost per session is a socket write. Each session first gets
  ``session.created`` and the response's opening events. Received frames are counted where the library
  parses them (no queue, no task per message): the audio bytes of every ``input_audio_buffer.append``.
- client: one process pinned to CPU 1 opens N sessions, then every session at once (phases spread over the
  20 ms) receives a delta every 20 ms and sends a 20 ms mic chunk every 20 ms on absolute deadlines, for
  ``--seconds``:
  - raw floor: ``websockets`` ``recv()`` + ``orjson.loads`` + base64 decode; ``send(orjson.dumps(append))``;
  - ours: ``OpenAIRealtimeWebsocket``: ``async for event in client.receive()`` reading the audio bytes, and
    ``await client.send_audio(pcm)``;
  ``--freeze`` adds runs whose client calls ``gc.freeze()`` once after start-up (after one warm-up session):
  importing Semantic Kernel leaves ~160,000 gc-tracked objects (modules, classes, pydantic schemas; a bare
  ``websockets`` + ``orjson`` process has ~21,000) that every full collection walks; ``--uvloop`` adds runs of
  every kind on uvloop (``semantic-kernel-realtime[uvloop]``; with ``--freeze``, frozen too).
- figures per run: client CPU (share of one core over the window), lateness of received deltas (the consumer
  has it - its send time) p50/p99/max, lateness of mic chunks (sent - due) p99, the largest gap between two
  deltas of one session, the share of deltas received and of mic chunks that reached the server (against the
  schedule), RSS per session (after the run, over RSS before the sessions opened), the client's CPU per session
  (us of CPU per session per second) and what that projects (N/core: sessions one core could carry at 100%;
  the figure that survives a shared machine, where a run may fall behind only because the client got less
  than a core). The first 2 s are not
  counted in the lateness figures. A run *keeps real time* when received and mic p99 lateness are <= 50 ms
  and >= 99% of the deltas and of the mic chunks arrived.
- ``--traced N``: also N sessions of each kind streaming for 3 s under ``tracemalloc``: Python memory per live
  session (traced once the stream stopped and the consumers took what was in flight - before the sessions
  opened, after ``gc.collect()``) and where it goes.

Both processes read ``CLOCK_MONOTONIC`` (``perf_counter_ns`` on Linux), so lateness crosses processes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import platform
import statistics
import struct
import sys
import time
import wave
from array import array
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
WAV = REPO.parent / "shared" / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"
CHUNK = 960
PERIOD_NS = 20_000_000
WARMUP_S = 2.0
KEEP_MS = 50.0
KEEP_SHARE = 0.99
LABELS = {"raw": "raw floor", "ours": "ours"}

sys.path.insert(0, str(REPO))


def _speech() -> list[bytes]:
    with wave.open(str(WAV)) as w:
        pcm = w.readframes(w.getnframes())
    return [pcm[i:i + CHUNK] for i in range(0, len(pcm) - CHUNK + 1, CHUNK)]


def _pin(cpu: int) -> None:
    if (os.cpu_count() or 1) > cpu:
        os.sched_setaffinity(0, {cpu})


def _use_uvloop() -> bool:
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def _frame(payload: bytes) -> bytes:
    """An unmasked server text frame."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + struct.pack("!H", n) + payload
    return bytes((0x81, 127)) + struct.pack("!Q", n) + payload


_IDS = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
_OPENING = [
    {"type": "session.created", "event_id": "evt_0", "session": {"type": "realtime", "id": "sess_1"}},
    {"type": "response.created", "event_id": "evt_1",
     "response": {"object": "realtime.response", "id": "resp_1", "status": "in_progress", "output": []}},
    {"type": "response.output_item.added", "event_id": "evt_2", "response_id": "resp_1", "output_index": 0,
     "item": {"id": "item_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}},
    {"type": "response.content_part.added", "event_id": "evt_3", **_IDS, "part": {"type": "audio", "transcript": ""}},
]


# -- the server --------------------------------------------------------------------------------------------


def server_main(conn: Any) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.frames import Opcode

    _pin(0)
    uv = _use_uvloop()
    speech = [base64.b64encode(pcm).decode() for pcm in _speech()]
    state = {"streaming": False, "ticks": 0, "sent": 0, "audio": 0}
    live: set[Any] = set()
    marker = b'"audio":"'

    class Counting(ServerConnection):
        def process_event(self, event: Any) -> None:
            if self.request is not None and event.opcode is Opcode.TEXT:
                data = event.data
                start = data.find(marker)
                if start >= 0 and b"input_audio_buffer.append" in data:
                    start += len(marker)
                    state["audio"] += (data.index(b'"', start) - start) * 3 // 4
                return
            super().process_event(event)

    async def handle(ws: Any) -> None:
        for event in _OPENING:
            await ws.send(orjson.dumps(event).decode())
        live.add(ws)
        try:
            await ws.wait_closed()
        finally:
            live.discard(ws)

    async def ticker() -> None:
        clock = time.perf_counter_ns
        t0 = clock()
        k = 0
        while True:
            k += 1
            wait = t0 + k * PERIOD_NS - clock()
            if wait > 0:
                await asyncio.sleep(wait / 1e9)
            if not state["streaming"]:
                continue
            rest = orjson.dumps({"type": "response.output_audio.delta", **_IDS, "delta": speech[k % len(speech)]})
            frame = _frame(b'{"event_id":"event_' + str(clock()).encode() + b'",' + rest[1:])
            for ws in live:
                ws.transport.write(frame)
            state["ticks"] += 1
            state["sent"] += len(live)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with serve(handle, "127.0.0.1", 0, compression=None, max_size=None, ping_interval=None,
                         create_connection=Counting) as server:
            conn.send((server.sockets[0].getsockname()[1], uv))
            asyncio.ensure_future(ticker())
            while True:
                msg = await loop.run_in_executor(None, conn.recv)
                if msg == "start":
                    state.update(streaming=True, ticks=0, sent=0, audio=0)
                    conn.send(time.process_time())
                elif msg == "stop":
                    state["streaming"] = False
                    await asyncio.sleep(0.3)  # what is in flight still counts
                    conn.send({**state, "cpu": time.process_time(), "open": len(live)})
                elif msg == "exit":
                    return

    asyncio.run(main())


# -- clients --------------------------------------------------------------------------------------------


class _Nothing:
    def append(self, value: int) -> None:
        pass

    def __iter__(self) -> Any:
        return iter(())


class Stats:
    def __init__(self, record: bool = True) -> None:
        # received deltas: ns between send and the consumer having it; mic chunks: ns between due and sent
        # (not kept in a traced run: the benchmark's own arrays would count as the sessions' memory)
        self.late: Any = array("q") if record else _Nothing()
        self.mic_late: Any = array("q") if record else _Nothing()
        self.deltas = 0
        self.chunks = 0
        self.gap = 0


async def _mic(send: Any, speech: list[bytes], t0: int, until: int, warm: int, stats: Stats) -> None:
    clock, sleep = time.perf_counter_ns, asyncio.sleep
    k = 0
    while True:
        due = t0 + k * PERIOD_NS
        if due >= until:
            return
        wait = due - clock()
        if wait > 0:
            await sleep(wait / 1e9)
        await send(speech[k % len(speech)])
        now = clock()
        stats.chunks += 1
        if due >= warm:
            stats.mic_late.append(now - due)
        k += 1


class RawSession:
    async def open(self, url: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url, compression=None, max_size=None, ping_interval=20.0)
        for _ in _OPENING:
            await self.ws.recv()

    async def send(self, pcm: bytes) -> None:
        await self.ws.send(orjson.dumps({"type": "input_audio_buffer.append",
                                         "audio": base64.b64encode(pcm).decode()}).decode())

    async def consume(self, warm: int, stats: Stats) -> None:
        from websockets.exceptions import ConnectionClosed

        recv, loads, b64, clock = self.ws.recv, orjson.loads, base64.b64decode, time.perf_counter_ns
        late = stats.late.append
        last = 0
        try:
            while True:
                event = loads(await recv())
                b64(event["delta"])
                now = clock()
                stats.deltas += 1
                if last and now - last > stats.gap:
                    stats.gap = now - last
                last = now
                sent = int(event["event_id"][6:])
                if sent >= warm:
                    late(now - sent)
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        await self.ws.close()


class OursSession:
    def __init__(self, base: str) -> None:
        from semantic_kernel_realtime import OpenAIRealtimeWebsocket

        self.client = OpenAIRealtimeWebsocket(api_key="x", base_url=base, ai_model_id="bench")

    async def open(self, url: str) -> None:
        await self.client.create_session()
        self.events = self.client.receive()
        self.send = self.client.send_audio
        for _ in _OPENING:
            await self.events.__anext__()

    async def consume(self, warm: int, stats: Stats) -> None:
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        from semantic_kernel_realtime.protocol import audio_bytes

        clock = time.perf_counter_ns
        late = stats.late.append
        last = 0
        async for event in self.events:
            if type(event) is not RealtimeAudioEvent:
                continue
            audio_bytes(event.audio)
            now = clock()
            stats.deltas += 1
            if last and now - last > stats.gap:
                stats.gap = now - last
            last = now
            sent = int(event.service_event["event_id"][6:])
            if sent >= warm:
                late(now - sent)

    async def close(self) -> None:
        await self.client.close_session()


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def client_run(kind: str, port: int, n: int, seconds: float, conn: Any, traced: bool, freeze: bool) -> None:
    import tracemalloc

    base = f"http://127.0.0.1:{port}/v1"
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=bench"
    speech = _speech()

    def make() -> Any:
        return RawSession() if kind == "raw" else OursSession(base)

    warmup = make()  # imports and first-connection costs out of the figures
    await warmup.open(url)
    await warmup.close()
    gc.collect()
    if freeze:
        gc.freeze()  # start-up objects (modules, classes, schemas) out of every later full collection
    if traced:
        tracemalloc.start()
        traced_before = tracemalloc.get_traced_memory()[0]
    rss_before = _rss_kb()
    sessions = [make() for _ in range(n)]
    for i in range(0, n, 50):
        await asyncio.gather(*(s.open(url) for s in sessions[i:i + 50]))
    rss_open = _rss_kb()
    conn.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "go": the server streams
    stats = Stats(record=not traced)
    clock = time.perf_counter_ns
    t0 = clock() + 50_000_000
    until = t0 + int(seconds * 1e9)
    warm = t0 + int(WARMUP_S * 1e9)
    consumers = [asyncio.ensure_future(s.consume(warm, stats)) for s in sessions]
    cpu0 = time.process_time()
    await asyncio.gather(*(_mic(s.send, speech, t0 + i * PERIOD_NS // n, until, warm, stats)
                           for i, s in enumerate(sessions)))
    cpu = time.process_time() - cpu0
    wall = (clock() - t0) / 1e9
    conn.send("mic done")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # the server stopped streaming
    await asyncio.sleep(0.3)
    for _ in range(50):  # until the consumers have taken what was in flight (a loaded machine lags)
        seen = stats.deltas
        await asyncio.sleep(0.2)
        if stats.deltas == seen:
            break
    report: dict[str, Any] = {}
    if traced:
        gc.collect()
        current = tracemalloc.get_traced_memory()[0]
        snapshot = tracemalloc.take_snapshot()
        top = snapshot.statistics(os.environ.get("SCALE_TRACED_BY", "filename"))[
            :int(os.environ.get("SCALE_TRACED_TOP", "6"))]
        report["traced_kb"] = (current - traced_before) / 1024 / n
        report["traced_top"] = [(f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}"
                                 if os.environ.get("SCALE_TRACED_BY") == "lineno" else
                                 _short(s.traceback[0].filename), s.size / 1024 / n) for s in top]
        tracemalloc.stop()
    late = sorted(stats.late)
    mic = sorted(stats.mic_late)
    report.update(
        cpu_share=cpu / wall, deltas=stats.deltas, chunks=stats.chunks, gap_ms=stats.gap / 1e6,
        p50=_pct(late, 0.5) / 1e6, p99=_pct(late, 0.99) / 1e6, max=(late[-1] / 1e6 if late else 0.0),
        mic_p99=_pct(mic, 0.99) / 1e6, rss_kb=(_rss_kb() - rss_before) / n, rss_open_kb=(rss_open - rss_before) / n,
        expected_chunks=n * int(seconds * 1e9 // PERIOD_NS))
    for task in consumers:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    conn.send(report)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "python3.11/", "wt-22/", "/work/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _pct(values: Any, q: float) -> float:
    if not values:
        return float("nan")
    return float(values[min(len(values) - 1, int(q * len(values)))])


def client_main(kind: str, port: int, n: int, seconds: float, conn: Any, uv: bool, traced: bool,
                freeze: bool) -> None:
    _pin(1)
    if uv:
        _use_uvloop()
    asyncio.run(client_run(kind, port, n, seconds, conn, traced, freeze))


def run_one(ctx: Any, server: Any, kind: str, port: int, n: int, seconds: float, uv: bool, freeze: bool = False,
            traced: bool = False) -> dict[str, Any]:
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=client_main, args=(kind, port, n, seconds, child, uv, traced, freeze), daemon=True)
    proc.start()
    if not parent.poll(300):
        proc.kill()
        raise SystemExit(f"{kind} x {n}: sessions did not open")
    assert parent.recv() == "ready"
    server.send("start")
    server_cpu0 = server.recv()
    parent.send("go")
    assert parent.recv() == "mic done"
    server.send("stop")
    counts = server.recv()
    parent.send("stopped")
    report = parent.recv()
    proc.join(30)
    report["server_cpu_share"] = (counts["cpu"] - server_cpu0) / max(seconds, 1e-9)
    report["delta_share"] = report["deltas"] / max(1, counts["sent"])
    report["mic_share"] = counts["audio"] / CHUNK / max(1, report["expected_chunks"])
    report["kept"] = (report["p99"] <= KEEP_MS and report["mic_p99"] <= KEEP_MS
                      and report["delta_share"] >= KEEP_SHARE and report["mic_share"] >= KEEP_SHARE)
    return report


def main() -> None:
    import multiprocessing as mp

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="100,200,300,400,500")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kinds", default="raw,ours")
    parser.add_argument("--uvloop", action="store_true", help="also run every kind on uvloop")
    parser.add_argument("--freeze", action="store_true",
                        help="also run every kind with gc.freeze() after start-up (one warm-up session)")
    parser.add_argument("--traced", type=int, default=0, help="sessions for the tracemalloc run (0: none)")
    args = parser.parse_args()
    ns = [int(x) for x in args.sessions.split(",")]
    names = args.kinds.split(",")
    kinds = [(k, False, False) for k in names]
    if args.freeze:
        kinds += [(k, False, True) for k in names]
    if args.uvloop:
        kinds += [(k, True, args.freeze) for k in names]

    ctx = mp.get_context("spawn")
    server, child = ctx.Pipe()
    proc = ctx.Process(target=server_main, args=(child,), daemon=True)
    proc.start()
    port, server_uv = server.recv()
    from importlib.metadata import version

    print("scale: N two-way sessions (a 20 ms delta in and a 20 ms mic chunk out every 20 ms each) in one client "
          "process on one core")
    print(f"machine: nproc={os.cpu_count()}, {platform.machine()}, Python {platform.python_version()}, "
          f"load avg {os.getloadavg()[0]:.2f} at start; server on CPU 0 ({'uvloop' if server_uv else 'asyncio'}), "
          f"client on CPU 1")
    print(f"versions: websockets {version('websockets')}, orjson {version('orjson')}; {args.seconds:.0f} s per run, "
          f"first {WARMUP_S:.0f} s not in the lateness figures; kept = p99 (in and mic) <= {KEEP_MS:.0f} ms and "
          f">= {KEEP_SHARE:.0%} of deltas and mic chunks arrived")
    print()
    head = (f"{'client':18s} {'N':>4s} {'CPU':>6s} {'p50 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'mic p99':>8s} "
            f"{'gap ms':>7s} {'deltas':>7s} {'mic':>7s} {'KB/sess':>8s} {'srv CPU':>7s} {'us/sess-s':>9s} "
            f"{'N/core':>6s}  kept")
    print(head)
    print("-" * len(head))
    results: dict[tuple[str, bool, bool], dict[int, dict[str, Any]]] = {}

    def label_of(kind: str, uv: bool, freeze: bool) -> str:
        return LABELS[kind] + (" +uvloop" if uv else "") + (" +freeze" if freeze else "")

    try:
        for n in ns:
            for kind, uv, freeze in kinds:
                r = run_one(ctx, server, kind, port, n, args.seconds, uv, freeze)
                results.setdefault((kind, uv, freeze), {})[n] = r
                label = label_of(kind, uv, freeze)
                print(f"{label:18s} {n:4d} {r['cpu_share']:6.0%} {r['p50']:7.1f} {r['p99']:7.1f} {r['max']:7.1f} "
                      f"{r['mic_p99']:8.1f} {r['gap_ms']:7.1f} {r['delta_share']:7.1%} {r['mic_share']:7.1%} "
                      f"{r['rss_kb']:8.1f} {r['server_cpu_share']:7.0%} {r['cpu_share'] / n * 1e6:9.0f} "
                      f"{n / r['cpu_share']:6.0f}  {'yes' if r['kept'] else 'NO'}", flush=True)
        print()
        for (kind, uv, freeze), by_n in results.items():
            kept = [n for n, r in by_n.items() if r["kept"]]
            print(f"{label_of(kind, uv, freeze):25s} keeps real time at N = {', '.join(map(str, kept)) or 'none'}")
        for variant in sorted({(uv, freeze) for _, uv, freeze in kinds}):
            floor, ours = results.get(("raw", *variant), {}), results.get(("ours", *variant), {})
            if floor and ours:
                missing = [n for n, r in floor.items() if r["kept"] and not ours[n]["kept"]]
                print(f"{'PASS' if not missing else 'FAIL'}  ours keeps every N the floor keeps "
                      f"{label_of('raw', *variant)[len(LABELS['raw']):] or '(plain)'}: "
                      f"{'yes' if not missing else 'not ' + ', '.join(map(str, missing))}")
            if floor and ours:
                cost = {k: statistics.median(r["cpu_share"] / n for n, r in v.items()) for k, v in
                        (("raw", floor), ("ours", ours))}
                print(f"      client CPU per session, median over N: ours {cost['ours'] * 1e6:.0f} us/s vs the floor "
                      f"{cost['raw'] * 1e6:.0f} us/s = {cost['ours'] / cost['raw']:.2f}x")
        if args.traced:
            print()
            for kind in names:
                r = run_one(ctx, server, kind, port, args.traced, 3.0, False, traced=True)
                top = ", ".join(f"{name} {kb:.1f}" for name, kb in r["traced_top"])
                print(f"traced memory per live session, {LABELS[kind]} ({args.traced} sessions streaming 3 s): "
                      f"{r['traced_kb']:.1f} KB  [{top}]")
    finally:
        server.send("exit")
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    print(f"\nload avg {os.getloadavg()[0]:.2f} at end")



if __name__ == "__main__":
    main()
