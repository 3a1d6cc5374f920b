"""Server soak: does the embedded server hold flat memory and end every session, with sessions coming and going?

    .venv/bin/python benchmarks/server_soak.py [--sessions 50] [--minutes 10] [--lifetime 20 90] [--abort 0.2]

- server: ``LocalRealtimeServer(speech=False)`` (no transcriber, the tone voice: the soak measures the
  server, not the speech engines) on 127.0.0.1, port 0, in its own process (this script, spawned), so
  its RSS (``VmRSS`` of ``/proc/self/status``) is the server's alone. The parent asks it for RSS and open
  sessions over a pipe.
- clients (this process, aiohttp WebSockets, no SDK): ``--sessions`` at once. Each one connects, sends
  ``session.update`` (server VAD with ``silence_duration_ms`` 300), then streams input audio in real time
  on absolute deadlines: 100 ms ``input_audio_buffer.append`` chunks (4,800 bytes of PCM16 24 kHz) of
  ``../shared/fixtures/audio/weather-in-paris.pcm16-24k.wav`` followed by 2 s of silence, over and over,
  so the VAD cuts a turn every ~4.7 s and the server answers each with streamed audio (and barge-in cuts
  answers still playing). It reads every server event. After a lifetime drawn from ``--lifetime``
  (seconds), it leaves (a share ``--abort`` by a TCP reset, the rest by a clean close) and a new session
  takes its place at once: churn.
- after ``--minutes`` the clients stop; the script waits (up to 60 s) for the server's open sessions to
  reach zero, and samples once more 10 s later (idle). The end figure is taken 2 s before the clients
  stop, while every session still runs.

Reports, once a minute and at the end: the server's RSS and open sessions, sessions opened so far,
appends sent, events received, errors received, and the senders' worst lag behind real time (how far the
client side fell behind; above ~100 ms the load is not what was asked). Targets: the server's RSS at the
end of the run at most 10% above its level after the first minute (no drift upward; the level itself
swings by some percent with the sessions' ages and the heap trims); open sessions back to 0 after the
clients leave. Exit status 0 when both hold.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import platform
import random
import socket
import struct
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "fixtures" / "audio" / "weather-in-paris.pcm16-24k.wav"
CHUNK_MS = 100
CHUNK_BYTES = 48 * CHUNK_MS
SILENCE_MS = 2_000


# --- the server process -------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def serve(conn) -> None:  # runs in the spawned server process
    from semantic_kernel_realtime.server import LocalRealtimeServer

    async def main() -> None:
        async with LocalRealtimeServer(speech=False) as server:
            conn.send(server.port)
            while True:
                await asyncio.sleep(0.2)
                if conn.poll():
                    command = conn.recv()
                    if command == "stop":
                        break
                    conn.send({"rss_mb": rss_mb(), "sessions": server.session_count,
                               "tasks": len(asyncio.all_tasks())})

    asyncio.run(main())


# --- the clients --------------------------------------------------------------------------------------


@dataclass
class Tally:
    opened: int = 0
    aborted: int = 0
    appends: int = 0
    events: int = 0
    errors: int = 0
    failed_connects: int = 0
    worst_lag_s: float = 0.0


def audio_loop() -> list[str]:
    """The append payloads of one loop: the question, then silence, in 100 ms chunks (base64)."""
    with wave.open(str(SPEECH)) as wav:
        pcm = wav.readframes(wav.getnframes())
    pcm += bytes(48 * SILENCE_MS)
    pcm += bytes(-len(pcm) % CHUNK_BYTES)
    return [json.dumps({"type": "input_audio_buffer.append",
                        "audio": base64.b64encode(pcm[i : i + CHUNK_BYTES]).decode()})
            for i in range(0, len(pcm), CHUNK_BYTES)]


async def one_session(http, url: str, chunks: list[str], lifetime: float, abort: bool, tally: Tally) -> None:
    import aiohttp

    try:
        ws = await http.ws_connect(url, max_msg_size=0)
    except aiohttp.ClientError:
        tally.failed_connects += 1
        await asyncio.sleep(1)
        return
    tally.opened += 1

    async def read() -> None:
        async for message in ws:
            tally.events += 1
            if message.type == aiohttp.WSMsgType.TEXT and message.data.startswith('{"type":"error"'):
                tally.errors += 1

    reader = asyncio.create_task(read())
    try:
        await ws.send_str(json.dumps({"type": "session.update", "session": {"type": "realtime", "audio": {
            "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}}}}))
        loop = asyncio.get_running_loop()
        start = loop.time()
        offset = random.randrange(len(chunks))  # sessions do not speak in unison
        index = 0
        while loop.time() - start < lifetime:
            due = start + index * CHUNK_MS / 1000
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                tally.worst_lag_s = max(tally.worst_lag_s, -delay)
            await ws.send_str(chunks[(offset + index) % len(chunks)])
            tally.appends += 1
            index += 1
    except (ConnectionError, aiohttp.ClientError):
        pass
    finally:
        if abort:
            tally.aborted += 1
            transport = ws._response.connection.transport if ws._response.connection else None
            sock = transport.get_extra_info("socket") if transport else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def worker(http, url, chunks, args, tally: Tally, stop_at: float) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        lifetime = min(random.uniform(*args.lifetime), stop_at - loop.time())
        await one_session(http, url, chunks, lifetime, random.random() < args.abort, tally)


async def ask(conn) -> dict:
    conn.send("stats")
    return await asyncio.to_thread(conn.recv)


async def run(args, conn, port: int) -> int:
    import aiohttp

    url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
    chunks = audio_loop()
    tally = Tally()
    loop = asyncio.get_running_loop()
    began = loop.time()
    stop_at = began + args.minutes * 60
    baseline = None
    marks: list[float] = []
    print(f"{'t':>6} {'server RSS MB':>13} {'open':>5} {'opened':>7} {'aborted':>7} {'appends':>8} "
          f"{'events':>9} {'errors':>6} {'worst lag ms':>12} {'load1':>5}", flush=True)

    def row(label: str, stats: dict) -> None:
        print(f"{label:>6} {stats['rss_mb']:>13.1f} {stats['sessions']:>5} {tally.opened:>7} {tally.aborted:>7} "
              f"{tally.appends:>8} {tally.events:>9} {tally.errors:>6} {tally.worst_lag_s * 1000:>12.0f} "
              f"{os.getloadavg()[0]:>5.1f}", flush=True)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        workers = [asyncio.create_task(worker(http, url, chunks, args, tally, stop_at))
                   for _ in range(args.sessions)]
        minute, last = 1, stop_at - 2  # the end figure is taken while the sessions still run
        while loop.time() < last:
            await asyncio.sleep(max(0.0, min(began + minute * 60, last) - loop.time()))
            stats = await ask(conn)
            if minute == 1:
                baseline = stats["rss_mb"]
            else:
                marks.append(stats["rss_mb"])
            end_rss = stats["rss_mb"]
            row(f"{(loop.time() - began) / 60:.1f}m", stats)
            minute += 1
        await asyncio.gather(*workers)
    deadline = loop.time() + 60
    while (stats := await ask(conn))["sessions"] and loop.time() < deadline:
        await asyncio.sleep(0.5)
    row("left", stats)
    await asyncio.sleep(10)  # the server trims its heap once its sessions are gone (at most every 5 s)
    idle = await ask(conn)
    row("idle", idle)
    growth = (end_rss - baseline) / baseline if baseline else float("nan")
    print(f"\nserver RSS: {baseline:.1f} MB after the first minute, {end_rss:.1f} MB at the end "
          f"({growth:+.1%}); open sessions after the clients left: {stats['sessions']} "
          f"(server tasks: {stats['tasks']}); RSS 10 s later, idle: {idle['rss_mb']:.1f} MB")
    print(f"server RSS at the minute marks after the first: {min(marks):.1f} to {max(marks):.1f} MB")
    ok = growth <= 0.10 and stats["sessions"] == 0
    print("targets: RSS at the end at most 10% above the first minute's, open sessions back to 0:",
          "met" if ok else "NOT met")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--lifetime", type=float, nargs=2, default=(20.0, 90.0), metavar=("MIN_S", "MAX_S"))
    parser.add_argument("--abort", type=float, default=0.2, help="share of sessions ended by a TCP reset")
    args = parser.parse_args()
    print(f"server soak: {args.sessions} sessions, {args.minutes:g} min, lifetimes {args.lifetime[0]:g}-"
          f"{args.lifetime[1]:g} s, {args.abort:.0%} reset; audio in real time, 100 ms chunks")
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; load average at start {os.getloadavg()[0]:.2f}")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child,), daemon=True)
    server.start()
    try:
        port = parent.recv()
        return asyncio.run(run(args, parent, port))
    finally:
        with contextlib.suppress(Exception):
            parent.send("stop")
        server.join(10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    sys.exit(main())
