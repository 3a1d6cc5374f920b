"""Server load: how many streaming sessions one core of the embedded server keeps pace with.

    .venv/bin/python benchmarks/server_load.py [--sessions 50,100,200] [--seconds 20] [--speech off,on]
                                               [--profile N] [--uvloop]

- server: ``LocalRealtimeServer`` (``max_sessions`` raised from its default of 100) in its own process
  pinned to CPU 0 (``os.sched_setaffinity``), without the speech engines (``speech=False``: no transcriber,
  the tone voice) and with them (the offline engines: PocketSphinx transcribes each turn, eSpeak NG speaks
  the answer). A fresh server per (speech, N).
- clients: this process, pinned to CPU 1, ``websockets`` connections (no SDK). Each session sends
  ``session.update`` (server VAD, ``silence_duration_ms`` 300), then streams input audio in real time on
  absolute deadlines: 20 ms ``input_audio_buffer.append`` chunks (960 bytes of PCM16 24 kHz, pre-serialised)
  of ``../shared/fixtures/audio/weather-in-paris.pcm16-24k.wav`` then 2 s of silence, over and over (sessions
  start at random points of the loop), so the server's VAD cuts a turn every ~4.7 s and answers it (text and
  audio: a tone, or eSpeak's voice). Each session reads every event.
- figures per run, over the window after the first 4 s: the server's CPU (share of its one core: its
  ``process_time`` over wall time), answer latency per turn (from the first silent chunk after the speech
  was sent to the first delta of the answer, so it includes the VAD's 300 ms of silence) p50/p99, the share
  of turns answered, the senders' p99 lateness (the client side keeping up), and ``N/core`` (N over the
  server's CPU share: what one core would carry at 100%). A run *keeps pace* when the server used at most
  90% of its core, >= 95% of the turns were answered, answer p99 <= 1.5 s, and the senders kept real time
  (p99 lateness <= 50 ms; otherwise the load asked of the server is not what was meant).
- ``--uvloop``: the server process and the clients run on uvloop (``semantic-kernel-realtime[uvloop]``), as
  ``sk-realtime serve --uvloop`` does; without it both use asyncio's default loop.
- ``--profile N``: one more run at N sessions (speech off) with ``cProfile`` in the server; prints the
  server's top functions by own time.

Targets (issue 22): >= 200 sessions per core without the speech engines, >= 50 with them, keeping pace.
Memory that stays flat while clients stream is ``benchmarks/server_soak.py``'s (issue 17).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import io
import multiprocessing
import os
import platform
import pstats
import random
import sys
import time
import wave
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "fixtures" / "audio" / "weather-in-paris.pcm16-24k.wav"
CHUNK_MS = 20
CHUNK_BYTES = 48 * CHUNK_MS
SILENCE_MS = 2_000
WARMUP_S = 4.0
MAX_CPU = 0.90
MIN_ANSWERED = 0.95
MAX_ANSWER_P99_S = 1.5
MAX_SEND_P99_S = 0.050

sys.path.insert(0, str(ROOT))


def _pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})


# --- the server process -------------------------------------------------------------------------------

def _loop_runner(uvloop: bool) -> Any:
    """``asyncio.run``, or uvloop's ``run`` when asked for."""
    if not uvloop:
        return asyncio.run
    import uvloop as uv

    return uv.run


def serve(conn: Any, speech: bool, profile: bool, uvloop: bool) -> None:  # runs in the spawned server process
    _pin(0)
    from semantic_kernel_realtime.server import LocalRealtimeServer
    from semantic_kernel_realtime.server.limits import ServerLimits

    async def main() -> None:  # the default limit is 100 sessions per server
        async with LocalRealtimeServer(speech=speech, limits=ServerLimits(max_sessions=10_000)) as server:
            conn.send(server.port)
            profiler = cProfile.Profile() if profile else None
            while True:
                command = await asyncio.to_thread(conn.recv)
                if command == "cpu":
                    conn.send(time.process_time())
                elif command == "profile on" and profiler is not None:
                    profiler.enable()
                    conn.send(None)
                elif command == "profile off" and profiler is not None:
                    profiler.disable()
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                    conn.send(out.getvalue())
                elif command == "stop":
                    conn.send(server.session_count)
                    return

    _loop_runner(uvloop)(main())


# --- the clients --------------------------------------------------------------------------------------

def audio_loop() -> tuple[list[str], int]:
    """The append messages of one loop (the question, then silence), and the index of the first silent one."""
    with wave.open(str(SPEECH)) as wav:
        pcm = wav.readframes(wav.getnframes())
    pcm += bytes(-len(pcm) % CHUNK_BYTES)
    speech_chunks = len(pcm) // CHUNK_BYTES
    pcm += bytes(48 * SILENCE_MS)
    chunks = [orjson.dumps({"type": "input_audio_buffer.append",
                            "audio": base64.b64encode(pcm[i:i + CHUNK_BYTES]).decode()}).decode()
              for i in range(0, len(pcm), CHUNK_BYTES)]
    return chunks, speech_chunks


class Tally:
    def __init__(self, warm: float, until: float) -> None:
        self.warm = warm
        self.last_turn = until - MAX_ANSWER_P99_S  # later turns may not be answered before the end
        self.turns = 0  # speech ends sent after the warm-up
        self.answered = 0
        self.answer_s: list[float] = []
        self.send_late_s: list[float] = []
        self.errors = 0
        self.events = 0


_ANSWER_TYPES = frozenset({"response.output_audio.delta", "response.output_text.delta",
                           "response.output_audio_transcript.delta"})


async def session(url: str, chunks: list[str], first_silent: int, until: float, tally: Tally) -> None:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    async with connect(url, max_size=None, compression=None) as ws:
        await ws.send(orjson.dumps({"type": "session.update", "session": {"type": "realtime", "audio": {
            "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}}}}).decode())
        spoke: list[float] = []  # when the last speech ended, until the answer comes

        async def read() -> None:
            async for message in ws:
                tally.events += 1
                kind = orjson.loads(message).get("type")
                if kind in _ANSWER_TYPES:
                    if spoke:
                        ended = spoke.pop()
                        spoke.clear()
                        if tally.warm <= ended < tally.last_turn:
                            tally.answered += 1
                            tally.answer_s.append(loop.time() - ended)
                elif kind == "error":
                    tally.errors += 1

        reader = asyncio.create_task(read())
        try:
            start = loop.time() + random.random() * CHUNK_MS / 1000
            offset = random.randrange(len(chunks))
            index = 0
            while True:
                due = start + index * CHUNK_MS / 1000
                if due >= until:
                    break
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif due >= tally.warm:
                    tally.send_late_s.append(-delay)
                position = (offset + index) % len(chunks)
                await ws.send(chunks[position])
                if position == first_silent:
                    now = loop.time()
                    spoke[:] = [now]
                    if tally.warm <= now < tally.last_turn:
                        tally.turns += 1
                index += 1
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def run_clients(port: int, n: int, seconds: float, server: Any) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    chunks, first_silent = audio_loop()
    loop = asyncio.get_running_loop()
    began = loop.time() + 1.0
    until = began + seconds
    tally = Tally(began + WARMUP_S, until)
    tasks = [asyncio.create_task(session(url, chunks, first_silent, until, tally)) for _ in range(n)]
    await asyncio.sleep(max(0.0, tally.warm - loop.time()))
    server.send("cpu")
    cpu0 = await asyncio.to_thread(server.recv)
    wall0 = loop.time()
    await asyncio.sleep(max(0.0, until - loop.time()))
    server.send("cpu")
    cpu1 = await asyncio.to_thread(server.recv)
    wall = loop.time() - wall0
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    return {"n": n, "cpu": (cpu1 - cpu0) / wall, "turns": tally.turns, "answered": tally.answered,
            "answer_p50": _pct(tally.answer_s, 0.5), "answer_p99": _pct(tally.answer_s, 0.99),
            "send_p99": _pct(tally.send_late_s, 0.99) if tally.send_late_s else 0.0, "errors": tally.errors,
            "failed": len(failed), "first_failure": repr(failed[0]) if failed else ""}


def one_run(n: int, seconds: float, speech: bool, profile: bool = False, uvloop: bool = False) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child, speech, profile, uvloop), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        if profile:
            parent.send("profile on")
            parent.recv()
        result = _loop_runner(uvloop)(run_clients(port, n, seconds, parent))
        if profile:
            parent.send("profile off")
            result["profile"] = parent.recv()
        parent.send("stop")
        parent.recv()
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    share = result["answered"] / result["turns"] if result["turns"] else 0.0
    result["answered_share"] = share
    result["kept"] = (result["cpu"] <= MAX_CPU and share >= MIN_ANSWERED and result["answer_p99"] <= MAX_ANSWER_P99_S
                      and result["send_p99"] <= MAX_SEND_P99_S and not result["failed"])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="50,100,200")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--speech", default="off,on", help="off, on, or off,on")
    parser.add_argument("--profile", type=int, default=0, help="sessions for a profiled run (0: none)")
    parser.add_argument("--uvloop", action="store_true", help="server and clients on uvloop")
    args = parser.parse_args()
    _pin(1)
    ns = [int(x) for x in args.sessions.split(",")]
    modes = [m == "on" for m in args.speech.split(",")]
    print("server load: N sessions streaming 20 ms appends in real time, a turn every ~4.7 s, server on one core")
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}; load average "
          f"at start {os.getloadavg()[0]:.2f}; server on CPU 0, clients on CPU 1, "
          f"{'uvloop' if args.uvloop else 'asyncio'} event loops; {args.seconds:g} s per run, first "
          f"{WARMUP_S:g} s not counted")
    print(f"keeps pace = server CPU <= {MAX_CPU:.0%} of its core, >= {MIN_ANSWERED:.0%} of turns answered, answer "
          f"p99 <= {MAX_ANSWER_P99_S:g} s (from the end of speech: includes the VAD's 300 ms), sender p99 late <= "
          f"{MAX_SEND_P99_S * 1000:.0f} ms\n")
    head = (f"{'speech':7s} {'N':>4s} {'srv CPU':>7s} {'N/core':>6s} {'turns':>6s} {'answered':>8s} "
            f"{'ans p50 ms':>10s} {'ans p99 ms':>10s} {'send p99 ms':>11s} {'errors':>6s}  kept")
    print(head)
    print("-" * len(head))
    best: dict[bool, list[float]] = {}
    for speech in modes:
        for n in ns:
            r = one_run(n, args.seconds, speech, uvloop=args.uvloop)
            per_core = n / r["cpu"] if r["cpu"] else float("inf")
            if r["kept"]:
                best.setdefault(speech, []).append(per_core)
            failed = f"  ({r['failed']} sessions failed: {r['first_failure']})" if r["failed"] else ""
            print(f"{'on' if speech else 'off':7s} {n:4d} {r['cpu']:7.0%} {per_core:6.0f} {r['turns']:6d} "
                  f"{r['answered_share']:8.1%} {r['answer_p50'] * 1000:10.0f} {r['answer_p99'] * 1000:10.0f} "
                  f"{r['send_p99'] * 1000:11.1f} {r['errors']:6d}  {'yes' if r['kept'] else 'NO'}{failed}",
                  flush=True)
    print()
    for speech, target in ((False, 200), (True, 50)):
        if speech in modes:
            kept = best.get(speech, [])
            figure = min(kept) if kept else 0.0
            print(f"{'PASS' if figure >= target else 'FAIL'}  speech {'on' if speech else 'off'}: sessions per core "
                  f"(N over server CPU, lowest over the runs that kept pace) {figure:.0f} vs target >= {target}")
    if args.profile:
        r = one_run(args.profile, args.seconds, False, profile=True, uvloop=args.uvloop)
        print(f"\nprofile of the server, {args.profile} sessions, speech off (server CPU {r['cpu']:.0%}):")
        print(r["profile"])
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
