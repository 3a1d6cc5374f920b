"""CPU per second of live two-way audio: one WebRTC session vs one WebSocket session, same run.

    .venv/bin/python benchmarks/webrtc.py [--seconds 10] [--repeat 1]

Method:
- The embedded server runs in a **separate process** (``python -m semantic_kernel_realtime.server
  --no-speech --pace 1``: tone voice, response audio paced in real time over WebSocket; a WebRTC track is
  real time anyway), so ``time.process_time()`` here is the client's CPU alone. The server's CPU over
  the same window is read from ``/proc`` and shown for reference.
- Each session: ``OpenAIRealtimeWebRTC`` or ``OpenAIRealtimeWebsocket`` with turn detection off (so the
  incoming audio does not interrupt the answer). A long text turn makes the server speak for longer than
  the window; at the same time a live source puts 20 ms ``RealtimeAudioEvent``s of speech
  (``../shared/fixtures/audio/hello-world.pcm16-24k.wav``, looped) on the send queue in real time, as a
  microphone would, and a consumer reads every received audio event's PCM (``event.audio.data``), as a
  player would. Measured: the ``--seconds`` window that starts 0.5 s after the first answer audio arrived.
- Figures: client CPU seconds per wall second (% of one core), audio seconds sent / received in the
  window. Goal: WebRTC <= 3% of a core per session. Transport-level figures (our hot path,
  Opus encode/decode, one bare transport session) are in ``benchmarks/webrtc_audio.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import resource
import subprocess
import sys
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WAV = ROOT.parent / "shared" / "fixtures" / "audio" / "hello-world.pcm16-24k.wav"
CHUNK = 960  # 20 ms of PCM16 24 kHz
TICKS = os.sysconf("SC_CLK_TCK")


def speech() -> bytes:
    with wave.open(str(WAV)) as w:
        return w.readframes(w.getnframes())


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc (Linux); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return float("nan")


async def wakeup_cost_us(n: int = 100) -> float:
    """CPU one sleep-and-wake of the event loop costs here (virtual machines charge wake-ups heavily)."""
    start = time.process_time()
    for _ in range(n):
        await asyncio.sleep(0.02)
    return 1e6 * (time.process_time() - start) / n


def start_server() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "semantic_kernel_realtime.server", "--port", "0", "--no-speech", "--pace", "1",
         "--log-level", "WARNING"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    line = server.stdout.readline()
    match = re.search(r"base_url=(\S+)", line)
    if not match:
        server.terminate()
        raise SystemExit(f"the server did not start: {line!r}")
    return server, match.group(1)


async def one_session(kind: str, base_url: str, server_pid: int, seconds: float) -> dict[str, float]:
    from semantic_kernel.contents.audio_content import AudioContent
    from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeTextEvent
    from semantic_kernel.contents.text_content import TextContent

    from semantic_kernel_realtime import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket, RealtimeExecutionSettings

    cls = OpenAIRealtimeWebRTC if kind == "webrtc" else OpenAIRealtimeWebsocket
    client = cls(api_key="benchmark", base_url=base_url)
    settings = RealtimeExecutionSettings(output_modalities=["audio"], turn_detection=None)
    s = speech()
    received = chunks = 0
    first_audio = asyncio.Event()
    # "You said: ..." at the tone voice's 65 ms per character: longer than warm-up + window
    words = " ".join(["one two three four five six seven eight nine ten"] * int((seconds + 4) / 0.065 / 50 + 1))

    async def consume() -> None:
        nonlocal received
        async for event in client.receive():
            if isinstance(event, RealtimeAudioEvent):
                received += len(event.audio.data)
                first_audio.set()

    async def live_source() -> None:
        nonlocal chunks
        loop = asyncio.get_running_loop()
        t0, i = loop.time(), 0
        while True:
            off = (i * CHUNK) % (len(s) - CHUNK)
            client.send_buffer.put_nowait(RealtimeAudioEvent(audio=AudioContent(data=s[off : off + CHUNK],
                                                                                 mime_type="audio/pcm")))
            i += 1
            chunks += 1
            await asyncio.sleep(max(0.0, t0 + i * 0.02 - loop.time()))

    async with client(settings=settings):
        consumer = asyncio.ensure_future(consume())
        source = asyncio.ensure_future(live_source())
        await client.send(RealtimeTextEvent(text=TextContent(text=words)))
        await client.send(RealtimeEvent(service_type="response.create"))
        await asyncio.wait_for(first_audio.wait(), 10)
        await asyncio.sleep(0.5)
        received0, chunks0 = received, chunks
        cpu0, wall0, server0 = time.process_time(), time.monotonic(), proc_cpu(server_pid)
        switches0 = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        switches = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - switches0
        server_cpu = proc_cpu(server_pid) - server0
        got, sent = (received - received0) / 48000, (chunks - chunks0) * 0.02
        source.cancel()
    await asyncio.gather(consumer, source, return_exceptions=True)
    return {"wall": wall, "cpu": cpu, "received": got, "sent": sent, "server_cpu": server_cpu, "wakeups": switches}


async def main(seconds: float, repeat: int) -> None:
    server, base_url = start_server()
    try:
        results: dict[str, list[dict[str, float]]] = {"webrtc": [], "websocket": []}
        for _ in range(repeat):
            for kind in results:
                results[kind].append(await one_session(kind, base_url, server.pid, seconds))
    finally:
        server.terminate()
        server.wait()

    import aiortc
    import semantic_kernel

    print("webrtc benchmark: client CPU per second of live two-way audio, one session at a time")
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()} "
          f"({platform.python_implementation()}), {platform.system()} {platform.release()}")
    print(f"versions: aiortc {aiortc.__version__}, semantic-kernel {semantic_kernel.__version__}")
    print(f"window: {seconds:g} s per session after 0.5 s of answer audio; {repeat} session(s) per transport, "
          "alternating; server in a separate process (--no-speech --pace 1)")
    print()
    print(f"{'transport':10s} {'client CPU % of a core':>24s} {'audio sent s':>13s} {'audio recv s':>13s} "
          f"{'server CPU %':>13s} {'client wake-ups/s':>18s}")
    print("-" * 96)
    best: dict[str, float] = {}
    for kind, runs in results.items():
        for run in runs:
            pct = 100 * run["cpu"] / run["wall"]
            best[kind] = min(best.get(kind, pct), pct)
            print(f"{kind:10s} {pct:24.2f} {run['sent']:13.1f} {run['received']:13.1f} "
                  f"{100 * run['server_cpu'] / run['wall']:13.1f} {run['wakeups'] / run['wall']:18.0f}")
    print()
    verdict = "PASS" if best["webrtc"] <= 3.0 else "FAIL"
    print(f"goal: WebRTC <= 3% of a core per session -> {best['webrtc']:.2f}%  {verdict}")
    print(f"WebRTC / WebSocket client CPU: {best['webrtc'] / best['websocket']:.2f}x")
    print(f"one paced asyncio.sleep(0.02) wake-up on this machine: {await wakeup_cost_us():.0f} us of CPU "
          "(client wake-ups/s = voluntary context switches of the client process, all threads)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.repeat))
