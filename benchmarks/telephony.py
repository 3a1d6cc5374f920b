"""Phone bridges: what a Twilio or ACS bridge costs per 20 ms frame, in CPU and in added delay, on loopback.

    .venv/bin/python benchmarks/telephony.py [--frames N] [--paced N] [--rounds N]

Three bridges, one run (each against the same embedded server session kind):

- ``twilio-pcmu``: Twilio Media Streams with a session using ``audio/pcmu`` (mu-law passed through);
- ``twilio-pcm``: Twilio with a PCM16 24 kHz session (mu-law 8 kHz <-> PCM16 24 kHz converted);
- ``acs-16k``: ACS bidirectional streaming at 16 kHz with a PCM16 24 kHz session.

Measures:

- CPU us/frame, in process, no sockets (``time.process_time`` over ``--frames`` frames, median of
  ``--rounds``): *in* = one provider media message (JSON text) through the bridge's handler onto the
  client's send queue; *out* = one 20 ms frame of session audio (what the client's receive path hands its
  audio callback) through the bridge into the provider's outgoing message(s) (Twilio: media + mark). The
  floor is what any bridge must do with the same message: ``orjson.loads`` + base64 decode (in), base64
  encode + ``orjson.dumps`` (out); the ratio says what the bridge adds on top.
- added delay, over real loopback sockets (aiohttp app, ``websockets`` peer, one event loop, one clock):
  *in* = the peer's send of a media message to the frame on the client's send queue; *out* = the frame
  handed to the bridge's audio callback to the peer having the provider's message; ``--paced`` frames,
  one every 20 ms, p50 / p95. The baseline is the same hop without a bridge: a plain text message of the
  same size app -> peer (out) and peer -> app (in). Added = bridge - baseline, per percentile.

The session is a real one on the embedded server (``speech=False``): the bridge's checks pass and its
send loop forwards the caller's audio, but the timings stop at the client's queues.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from typing import Any

import numpy as np
import orjson
import websockets
from aiohttp import WSMsgType, web

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings, g711
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telephony import AcsMediaStreamingBridge, TwilioMediaStreamBridge

SID = "MZ" + "0" * 32
MODES = {
    "twilio-pcmu": (TwilioMediaStreamBridge, {"type": "audio/pcmu"}, ("pcmu", 8000)),
    "twilio-pcm": (TwilioMediaStreamBridge, None, ("pcmu", 8000)),
    "acs-16k": (AcsMediaStreamingBridge, None, ("pcm16", 16000)),
}


def _signal(rate: int, ms: int) -> np.ndarray:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * 220 * t) * 6000 + np.sin(2 * np.pi * 1330 * t) * 2000).astype("<i2")


def _phone_frame(phone: tuple[str, int]) -> bytes:
    pcm = _signal(phone[1], 20)
    return g711.mulaw_encode(pcm) if phone[0] == "pcmu" else pcm.tobytes()


def _media_message(bridge: Any, payload: bytes) -> str:
    data = base64.b64encode(payload).decode()
    if isinstance(bridge, TwilioMediaStreamBridge):
        return json.dumps({"event": "media", "streamSid": SID, "media": {"track": "inbound", "payload": data}})
    return json.dumps({"kind": "AudioData", "audioData": {"data": data, "silent": False}})


def _session_frame(session_format: dict | None) -> np.ndarray:
    """20 ms of what the session sends (the audio callback's view of it)."""
    if session_format is not None:
        return np.frombuffer(g711.mulaw_encode(_signal(8000, 20)), dtype=np.int16)  # 160 bytes
    return _signal(24000, 20)


async def _session(server: LocalRealtimeServer, fmt: dict | None) -> OpenAIRealtimeWebsocket:
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    settings = RealtimeExecutionSettings(input_audio_format=fmt, output_audio_format=fmt, turn_detection=None) \
        if fmt else RealtimeExecutionSettings(turn_detection=None)
    await client.create_session(settings=settings)
    return client


def _start(bridge: Any) -> None:
    if isinstance(bridge, TwilioMediaStreamBridge):
        bridge.HANDLERS["start"](bridge, {"event": "start", "streamSid": SID, "start": {"streamSid": SID}})


# -- CPU --------------------------------------------------------------------------------------------------


def cpu(bridge: Any, phone: tuple[str, int], session_format: dict | None, frames: int) -> dict[str, float]:
    client = bridge.client
    message = _media_message(bridge, _phone_frame(phone))
    kind = orjson.loads(message)[bridge.KIND]
    handler = bridge.HANDLERS[kind]
    out_frame = _session_frame(session_format)
    queue = client.send_buffer
    outgoing = bridge._queue

    def drain() -> None:
        while not queue.empty():
            queue.get_nowait()
        outgoing.clear()

    start = time.process_time()
    for index in range(frames):
        handler(bridge, orjson.loads(message))
        if index % 256 == 255:
            drain()
    bridge_in = (time.process_time() - start) / frames * 1e6
    drain()
    start = time.process_time()
    for index in range(frames):
        bridge._play(out_frame)
        if index % 256 == 255:
            drain()
    bridge_out = (time.process_time() - start) / frames * 1e6
    drain()
    if isinstance(bridge, TwilioMediaStreamBridge):
        bridge._marks.clear()

    payload = orjson.loads(message)
    field = ("media", "payload") if "media" in payload else ("audioData", "data")
    start = time.process_time()
    for _ in range(frames):
        base64.b64decode(orjson.loads(message)[field[0]][field[1]])
    floor_in = (time.process_time() - start) / frames * 1e6
    phone_bytes = _phone_frame(phone)
    start = time.process_time()
    for _ in range(frames):
        orjson.dumps({"event": "media", "streamSid": SID, "media": {"payload": base64.b64encode(phone_bytes).decode()}})
    floor_out = (time.process_time() - start) / frames * 1e6
    return {"in": bridge_in, "out": bridge_out, "floor_in": floor_in, "floor_out": floor_out}


# -- delay ------------------------------------------------------------------------------------------------


class _Timed:
    """Wraps a bridge's two ends with loop-clock stamps (the frame's number is its position in order)."""

    def __init__(self, bridge: Any) -> None:
        self.queued: list[float] = []  # caller frame on the client's send queue
        self.played: list[float] = []  # session frame handed to the audio callback
        clock = asyncio.get_running_loop().time
        caller_audio, play = bridge._caller_audio, bridge._play

        def timed_caller_audio(data: bytes) -> None:
            caller_audio(data)
            self.queued.append(clock())

        def timed_play(samples: np.ndarray) -> None:
            self.played.append(clock())
            play(samples)

        bridge._caller_audio = timed_caller_audio
        bridge._play = timed_play
        self.play = timed_play


async def delay(server: LocalRealtimeServer, mode: str, paced: int) -> dict[str, list[float]]:
    bridge_class, fmt, phone = MODES[mode]
    loop = asyncio.get_running_loop()
    clock = loop.time
    client = await _session(server, fmt)
    result: dict[str, list[float]] = {}
    baseline_in: list[float] = []
    app_ready = asyncio.Event()
    holder: dict[str, Any] = {}

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if request.path == "/plain":  # the baseline hop: no bridge
            holder["plain"] = ws
            app_ready.set()
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    baseline_in.append(clock())
            return ws
        bridge = bridge_class(client, **({"sample_rate": phone[1]} if phone[0] == "pcm16" else {}))
        holder["bridge"] = bridge
        holder["timed"] = _Timed(bridge)

        async def messages() -> Any:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    yield message.data

        run = asyncio.ensure_future(bridge.run(messages(), ws.send_str))
        app_ready.set()
        await asyncio.wait({run})
        return ws

    app = web.Application()
    app.router.add_get("/bridge", handle)
    app.router.add_get("/plain", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/bridge") as peer:
            await app_ready.wait()
            bridge, timed = holder["bridge"], holder["timed"]
            if isinstance(bridge, TwilioMediaStreamBridge):
                await peer.send(json.dumps({"event": "start", "streamSid": SID, "start": {"streamSid": SID}}))
            else:
                await peer.send(json.dumps({"kind": "AudioMetadata", "audioMetadata": {"sampleRate": phone[1]}}))
            received: list[float] = []

            async def read() -> None:
                async for raw in peer:
                    if '"media"' in raw or '"AudioData"' in raw:
                        received.append(clock())

            reader = asyncio.ensure_future(read())
            message = _media_message(bridge, _phone_frame(phone))
            out_frame = _session_frame(fmt)
            sent: list[float] = []
            t0 = clock()
            for index in range(paced):
                await asyncio.sleep(max(0.0, t0 + index * 0.02 - clock()))
                sent.append(clock())
                await peer.send(message)
                await asyncio.sleep(max(0.0, t0 + index * 0.02 + 0.01 - clock()))
                timed.play(out_frame)  # what the client's receive path does with a session frame
            await asyncio.sleep(0.2)
            reader.cancel()
            result["in"] = [q - s for s, q in zip(sent, timed.queued, strict=False)]
            result["out"] = [r - p for p, r in zip(timed.played, received, strict=False)]
        app_ready.clear()
        async with websockets.connect(f"ws://127.0.0.1:{port}/plain") as peer:
            await app_ready.wait()
            plain = holder["plain"]
            got: list[float] = []

            async def read_plain() -> None:
                async for _ in peer:
                    got.append(clock())

            reader = asyncio.ensure_future(read_plain())
            sent_in: list[float] = []
            sent_out: list[float] = []
            t0 = clock()
            for index in range(paced):
                await asyncio.sleep(max(0.0, t0 + index * 0.02 - clock()))
                sent_in.append(clock())
                await peer.send(message)
                await asyncio.sleep(max(0.0, t0 + index * 0.02 + 0.01 - clock()))
                sent_out.append(clock())
                await plain.send_str(message)
            await asyncio.sleep(0.2)
            reader.cancel()
            result["base_in"] = [r - s for s, r in zip(sent_in, baseline_in, strict=False)]
            result["base_out"] = [r - s for s, r in zip(sent_out, got, strict=False)]
    finally:
        await client.close_session()
        await runner.cleanup()
    return result


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--paced", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load average at start: {' '.join(load)}")
    async with LocalRealtimeServer(speech=False) as server:
        print(f"{'bridge':<12} {'CPU in us':>9} {'floor':>6} {'ratio':>6} {'CPU out us':>10} {'floor':>6} {'ratio':>6}"
              f" {'% of 20 ms':>10}")
        for mode, (bridge_class, fmt, phone) in MODES.items():
            client = await _session(server, fmt)
            bridge = bridge_class(client, **({"sample_rate": phone[1]} if phone[0] == "pcm16" else {}))
            _start(bridge)
            rounds = [cpu(bridge, phone, fmt, args.frames) for _ in range(args.rounds)]
            await client.close_session()
            m = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
            share = (m["in"] + m["out"]) / 20_000 * 100
            print(f"{mode:<12} {m['in']:>9.1f} {m['floor_in']:>6.1f} {m['in'] / m['floor_in']:>6.1f}"
                  f" {m['out']:>10.1f} {m['floor_out']:>6.1f} {m['out'] / m['floor_out']:>6.1f} {share:>9.2f}%")
        print()
        print(f"{'bridge':<12} {'in p50 ms':>9} {'p95':>6} {'base p50':>8} {'added p50':>9} "
              f"{'out p50 ms':>10} {'p95':>6} {'base p50':>8} {'added p50':>9}")
        for mode in MODES:
            r = await delay(server, mode, args.paced)
            print(f"{mode:<12} {_pct(r['in'], .5):>9.3f} {_pct(r['in'], .95):>6.3f} {_pct(r['base_in'], .5):>8.3f}"
                  f" {_pct(r['in'], .5) - _pct(r['base_in'], .5):>9.3f}"
                  f" {_pct(r['out'], .5):>10.3f} {_pct(r['out'], .95):>6.3f} {_pct(r['base_out'], .5):>8.3f}"
                  f" {_pct(r['out'], .5) - _pct(r['base_out'], .5):>9.3f}")
    print(f"load average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    asyncio.run(main())
