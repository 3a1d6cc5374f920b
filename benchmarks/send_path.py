"""Send path, app -> socket, over real sockets: CPU per 20 ms mic chunk, the raw floor against ours (and SK 1.45).

    .venv/bin/python benchmarks/send_path.py [--chunks N] [--rounds N] [--no-sk]

One local server, one client process, one run:

- server: a ``websockets`` asyncio server (127.0.0.1, port 0) in its own process, pinned to CPU 0 where the
  machine has two, so the client's CPU time is the client's alone. It reads every message as bytes, parses each
  ``input_audio_buffer.append`` with ``orjson`` and counts its audio bytes (the decoded length of the base64);
  on ``response.create`` it answers ``rate_limits.updated`` whose ``event_id`` carries the count, so a round
  ends only when every chunk it sent has reached the server.
- client: one process pinned to CPU 1, one connection per path, paths round-robin in every round (order
  rotated per round). Each round sends ``--chunks`` 20 ms chunks (960 bytes of PCM16 24 kHz mono, real speech
  from ``../shared/fixtures/audio/whats-the-weather.pcm16-24k.wav``), one chunk per turn of the event loop
  (``await asyncio.sleep(0)`` after each, the same for every path: a mic callback hands over one chunk at a
  time), then ``response.create`` and waits for the server's count. CPU = ``time.process_time()`` of the
  client process over the round / chunks; gc stays on (collecting what a path allocates is its cost).
  Paths:
  1. raw floor: ``websockets`` ``send(orjson.dumps({"type": "input_audio_buffer.append", "audio":
     base64.b64encode(pcm).decode()}).decode())``;
  2. ours, raw PCM fast path: ``await client.send_audio(pcm)``;
  3. ours, the event: ``await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm,
     mime_type="audio/pcm")))``, the event built by the app for every chunk (counted: it is the app's cost of
     using this path);
  4. ours, the same events built before the round (not timed): what the send path itself costs for an
     event, without Semantic Kernel's ``AudioContent`` constructor (pydantic, paid by the app);
  5. SK 1.45's ``OpenAIRealtimeWebsocket`` with the same event (``data_format="base64"`` and the base64 text:
     the form it accepts), built per chunk too; ``--no-sk`` leaves it out.

Targets (issue 22): ours fast path <= 1.3x the floor, ours with the event <= 1.6x (median over rounds).
The machine is shared: every figure is the median of the rounds; the per-round ratios are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform
import statistics
import sys
import time
import wave
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
WAV = REPO.parent / "shared" / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"
CHUNK = 960
TARGETS = {"pcm": 1.3, "event": 1.6, "prebuilt": 1.6}
LABELS = {"raw": "raw floor (websockets+orjson+base64)", "pcm": "ours: send_audio(pcm)",
          "event": "ours: send(RealtimeAudioEvent(...))",
          "prebuilt": "ours: send(event), event built untimed", "sk": "SK 1.45: send(RealtimeAudioEvent(...))"}

sys.path.insert(0, str(REPO))


def _chunks() -> list[bytes]:
    with wave.open(str(WAV)) as w:
        pcm = w.readframes(w.getnframes())
    return [pcm[i:i + CHUNK] for i in range(0, len(pcm) - CHUNK + 1, CHUNK)]


def _pin(cpu: int) -> None:
    if len(os.sched_getaffinity(0)) > 1 and os.cpu_count() and os.cpu_count() > cpu:  # type: ignore[operator]
        os.sched_setaffinity(0, {cpu})


# -- the server (its own process) ------------------------------------------------------------------------


def server_main(port_out: Any) -> None:
    from websockets.asyncio.server import serve

    _pin(0)
    loads = orjson.loads

    async def handle(ws: Any) -> None:
        audio = 0
        await ws.send('{"type":"session.created","event_id":"evt_0","session":{"type":"realtime"}}')
        async for message in ws:  # noqa: B007
            if isinstance(message, str):
                message = message.encode()
            if b"input_audio_buffer.append" in message:
                audio += len(loads(message)["audio"]) * 3 // 4
            elif b"response.create" in message:
                await ws.send(orjson.dumps({"type": "rate_limits.updated", "event_id": f"evt_{audio}",
                                            "rate_limits": []}).decode())

    async def main() -> None:
        async with serve(handle, "127.0.0.1", 0, compression=None, max_size=None, ping_interval=None) as server:
            port_out.send(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


# -- senders ----------------------------------------------------------------------------------------------


class Raw:
    async def open(self, url: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url, compression=None, max_size=None, ping_interval=None)
        await self.ws.recv()

    async def run(self, chunks: list[bytes]) -> int:
        send, dumps, b64, tick = self.ws.send, orjson.dumps, base64.b64encode, asyncio.sleep
        for pcm in chunks:
            await send(dumps({"type": "input_audio_buffer.append", "audio": b64(pcm).decode()}).decode())
            await tick(0)
        await send('{"type":"response.create"}')
        return int(orjson.loads(await self.ws.recv())["event_id"][4:])


class _Client:
    client: Any

    async def open(self, url: str) -> None:
        await self.client.create_session()
        self.events = self.client.receive()

    async def _count(self) -> int:
        from semantic_kernel.contents.realtime_events import RealtimeEvent

        await self.client.send(RealtimeEvent(service_type="response.create"))
        async for event in self.events:
            if event.service_type == "rate_limits.updated":
                service_event = event.service_event
                event_id = service_event["event_id"] if isinstance(service_event, dict) else service_event.event_id
                return int(event_id[4:])
        raise RuntimeError("the session ended")


class OursPcm(_Client):
    def __init__(self, base: str) -> None:
        from semantic_kernel_realtime import OpenAIRealtimeWebsocket

        self.client = OpenAIRealtimeWebsocket(api_key="x", base_url=base, ai_model_id="bench")

    async def run(self, chunks: list[bytes]) -> int:
        send, tick = self.client.send_audio, asyncio.sleep
        for pcm in chunks:
            await send(pcm)
            await tick(0)
        return await self._count()


class OursEvent(OursPcm):
    async def run(self, chunks: list[bytes]) -> int:
        from semantic_kernel.contents.audio_content import AudioContent
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        send, tick = self.client.send, asyncio.sleep
        for pcm in chunks:
            await send(RealtimeAudioEvent(audio=AudioContent(data=pcm, mime_type="audio/pcm")))
            await tick(0)
        return await self._count()


class OursPrebuilt(OursPcm):
    """The event path without the app's construction of the event (built before the round, not timed)."""

    async def run(self, chunks: list[bytes]) -> int:
        from semantic_kernel.contents.audio_content import AudioContent
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        events = getattr(self, "_events", None)
        if events is None or len(events) != len(chunks):
            events = [RealtimeAudioEvent(audio=AudioContent(data=pcm, mime_type="audio/pcm")) for pcm in chunks]
        self._events = None
        send, tick = self.client.send, asyncio.sleep
        for event in events:
            await send(event)
            await tick(0)
        return await self._count()

    def prepare(self, chunks: list[bytes]) -> None:
        from semantic_kernel.contents.audio_content import AudioContent
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        self._events = [RealtimeAudioEvent(audio=AudioContent(data=pcm, mime_type="audio/pcm")) for pcm in chunks]


class SK(_Client):
    def __init__(self, base: str) -> None:
        from openai import AsyncOpenAI
        from semantic_kernel.connectors.ai.open_ai import OpenAIRealtimeWebsocket

        self.client = OpenAIRealtimeWebsocket(ai_model_id="bench", client=AsyncOpenAI(base_url=base, api_key="x"))

    async def run(self, chunks: list[bytes]) -> int:
        from semantic_kernel.contents.audio_content import AudioContent
        from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

        send, tick, b64 = self.client.send, asyncio.sleep, base64.b64encode
        for pcm in chunks:
            await send(RealtimeAudioEvent(audio=AudioContent(data=b64(pcm).decode(), data_format="base64",
                                                             mime_type="audio/pcm")))
            await tick(0)
        return await self._count()


async def client_main(port: int, args: argparse.Namespace) -> dict[str, list[float]]:
    base = f"http://127.0.0.1:{port}/v1"
    url = f"ws://127.0.0.1:{port}/v1/realtime?model=bench"
    speech = _chunks()
    chunks = [speech[i % len(speech)] for i in range(args.chunks)]
    expected = len(chunks) * CHUNK
    senders: dict[str, Any] = {"raw": Raw(), "pcm": OursPcm(base), "event": OursEvent(base),
                               "prebuilt": OursPrebuilt(base)}
    if not args.no_sk:
        senders["sk"] = SK(base)
    for sender in senders.values():
        await sender.open(url)
    cpu: dict[str, list[float]] = {name: [] for name in senders}
    names = list(senders)
    for name in names:  # warm-up
        await senders[name].run(chunks[:500])
    for round_ in range(args.rounds):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            if hasattr(senders[name], "prepare"):
                senders[name].prepare(chunks)
            start = time.process_time()
            received = await senders[name].run(chunks)
            cpu[name].append((time.process_time() - start) / len(chunks) * 1e6)
            if received != expected * (round_ + 1) + 500 * CHUNK:
                raise SystemExit(f"{name}: the server counted {received} audio bytes, expected more")
    for name in ("pcm", "event", "prebuilt", "sk"):
        if name in senders:
            await senders[name].client.close_session()
    await senders["raw"].ws.close()
    return cpu


def main() -> None:
    import multiprocessing as mp

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=3000, help="chunks per path per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-sk", action="store_true", help="leave Semantic Kernel 1.45's connector out")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=server_main, args=(child,), daemon=True)
    server.start()
    port = parent.recv()
    _pin(1)
    load = os.getloadavg()[0]
    from importlib.metadata import version

    print("send_path: CPU per 20 ms mic chunk (960 B PCM16), app -> socket, one run")
    print(f"machine: nproc={os.cpu_count()}, {platform.machine()}, Python {platform.python_version()}, "
          f"load avg {load:.2f} at start")
    print(f"versions: websockets {version('websockets')}, orjson {version('orjson')}, "
          f"semantic-kernel {version('semantic-kernel')}")
    print(f"pinning: server on CPU 0, client on CPU 1; {args.chunks} chunks per path per round, {args.rounds} rounds, "
          "one chunk per event-loop turn, gc on")
    try:
        cpu = asyncio.run(client_main(port, args))
    finally:
        server.terminate()
    floor = statistics.median(cpu["raw"])
    print()
    print(f"{'path':42s} {'median us':>10s} {'min us':>8s} {'x floor':>8s}   per-round ratios")
    for name, samples in cpu.items():
        med = statistics.median(samples)
        ratios = " ".join(f"{s / r:.2f}" for s, r in zip(samples, cpu["raw"], strict=True))
        print(f"{LABELS[name]:42s} {med:10.2f} {min(samples):8.2f} {med / floor:7.2f}x   {ratios}")
    print()
    for name, target in TARGETS.items():
        ratio = statistics.median(cpu[name]) / floor
        print(f"{'PASS' if ratio <= target else 'FAIL'}  {LABELS[name]} <= {target}x floor: "
              f"{statistics.median(cpu[name]):.2f} us vs {floor:.2f} us = {ratio:.2f}x")
    print(f"load avg {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
