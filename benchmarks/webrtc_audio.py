"""CPU cost of WebRTCTransport audio: the hot path alone, and one live two-way session.

    .venv/bin/python benchmarks/webrtc_audio.py [seconds]

1. Hot path: what our code does per 20 ms of two-way audio, timed without pacing: queueing send_audio's
   bytes (24 kHz, kept as they are), building the outgoing frame and encoding it to Opus
   (``OpusAudioTrack``, inline on the loop), converting a received 48 kHz stereo frame to 24 kHz mono.
2. Reference costs in this machine: aiortc's own Opus encode (48 kHz stereo, what it runs on a worker
   thread for every frame a track hands it) and decode, and the CPU one paced 20 ms wake-up costs
   (virtual machines charge wake-ups heavily).
3. One live session: WebRTCTransport in this process, the answering aiortc peer in a subprocess
   (HTTP signalling on 127.0.0.1), speech both ways for N seconds; process CPU of this side only.
"""

from __future__ import annotations

import asyncio
import fractions
import resource
import subprocess
import sys
import time
import wave
from pathlib import Path

import av
import numpy as np

WAV = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "audio" / "hello-world.pcm16-24k.wav"
CHUNK = 960  # bytes: 20 ms of PCM16 at 24 kHz


def speech() -> bytes:
    with wave.open(str(WAV)) as w:
        return w.readframes(w.getnframes())


def voluntary_switches() -> int:
    """Voluntary context switches of this process, all threads: each is a sleep that ended in a wake-up."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


def per_call_us(fn, n: int = 2000) -> float:
    start = time.process_time()
    for i in range(n):
        fn(i)
    return 1e6 * (time.process_time() - start) / n


def hot_path() -> None:
    from aiortc.codecs.opus import OpusDecoder, OpusEncoder
    from aiortc.jitterbuffer import JitterFrame

    from semantic_kernel_realtime.transports.audio_tracks import OpusAudioTrack, Pcm16Converter

    s = speech()
    track, converter = OpusAudioTrack(), Pcm16Converter()
    stereo = np.repeat(np.frombuffer(s[: 2 * CHUNK * 2], dtype=np.int16), 2).reshape(1, -1)
    received = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
    received.sample_rate = 48000

    def push(i: int) -> None:
        off = (i * CHUNK) % (len(s) - CHUNK)
        track.push(s[off : off + CHUNK])

    def build_and_encode(i: int) -> None:  # what OpusAudioTrack.recv() does once the frame is due
        frame = av.AudioFrame(format="s16", layout="mono", samples=480)
        frame.planes[0].update(track._take_frame_bytes())
        frame.sample_rate, frame.time_base, frame.pts = 24000, fractions.Fraction(1, 24000), i * 480
        track._encoder.encode(frame)

    us = {
        "send_audio queue (24 kHz bytes)": per_call_us(push),
        "outgoing frame + Opus encode": per_call_us(build_and_encode),
        "incoming 48k stereo -> 24k mono": per_call_us(lambda i: converter.convert(received)),
    }
    for name, v in us.items():
        print(f"  {name:34s} {v:7.1f} us / 20 ms")
    total = sum(us.values())
    print(f"  {'our hot path, both directions':34s} {total:7.1f} us / 20 ms = {total * 50 / 1e4:.2f}% of a core")

    encoder, decoder = OpusEncoder(), OpusDecoder()
    packets: list[bytes] = []

    def encode(i: int) -> None:
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(bytes(np.frombuffer(s, np.int16)[(i * 480) % 20000 :][:480].repeat(2)))
        frame.sample_rate, frame.time_base, frame.pts = 48000, fractions.Fraction(1, 48000), i * 960
        packets.extend(encoder.encode(frame)[0])

    print("reference (aiortc, not ours):")
    enc = per_call_us(encode, 1000)
    dec = per_call_us(lambda i: decoder.decode(JitterFrame(data=packets[i % len(packets)], timestamp=i * 960)), 1000)
    print(f"  {'Opus encode (aiortc)':34s} {enc:7.1f} us / 20 ms = {enc * 50 / 1e4:.2f}% of a core")
    print(f"  {'Opus decode (aiortc)':34s} {dec:7.1f} us / 20 ms = {dec * 50 / 1e4:.2f}% of a core")

    async def wakeups() -> float:
        start = time.process_time()
        for _ in range(100):
            await asyncio.sleep(0.02)
        return 1e6 * (time.process_time() - start) / 100

    wake = asyncio.run(wakeups())
    print(f"  {'one asyncio.sleep(0.02) wake-up':34s} {wake:7.1f} us = {wake * 50 / 1e4:.2f}% of a core at 50/s")


async def peer_main() -> None:
    from aiohttp import web
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from semantic_kernel_realtime.transports.audio_tracks import PcmAudioTrack

    track, s, keep = PcmAudioTrack(), speech(), []

    async def feed() -> None:
        while True:
            if track.buffered_seconds < 0.5:
                track.push(s)
            await asyncio.sleep(0.2)

    async def drain(remote) -> None:
        try:
            while True:
                await remote.recv()
        except Exception:
            pass

    async def calls(request: web.Request) -> web.Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", lambda remote: keep.append(asyncio.ensure_future(drain(remote))))
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        for transceiver in pc.getTransceivers():
            transceiver.sender.replaceTrack(track)
            transceiver.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        keep.extend([pc, asyncio.ensure_future(feed())])
        return web.Response(status=201, text=pc.localDescription.sdp)

    app = web.Application()
    app.router.add_post("/calls", calls)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


async def session(seconds: float) -> None:
    from semantic_kernel_realtime.transports.signalling import HttpSdpSignalling
    from semantic_kernel_realtime.transports.webrtc import WebRTCTransport

    peer = subprocess.Popen([sys.executable, __file__, "--peer"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(peer.stdout.readline())
        received = 0

        def on_audio(pcm: bytes) -> None:
            nonlocal received
            received += len(pcm)

        transport = WebRTCTransport(HttpSdpSignalling(f"http://127.0.0.1:{port}/calls"), audio_receiver=on_audio)
        await transport.open()
        s = speech()

        async def live_source() -> None:  # like a microphone or a model's deltas: 20 ms chunks in real time
            loop = asyncio.get_running_loop()
            t0, i = loop.time(), 0
            while True:
                off = (i * CHUNK) % (len(s) - CHUNK)
                await transport.send_audio(s[off : off + CHUNK])
                i += 1
                await asyncio.sleep(max(0.0, t0 + i * 0.02 - loop.time()))

        source = asyncio.ensure_future(live_source())
        await asyncio.sleep(1.0)  # warm up
        received, sent0 = 0, transport.audio_track.audio_frames_sent
        cpu0, wall0, switches0 = time.process_time(), time.monotonic(), voluntary_switches()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        switches = voluntary_switches() - switches0
        sent = (transport.audio_track.audio_frames_sent - sent0) * 0.02
        source.cancel()
        await transport.close()
        print(f"  {wall:.1f} s: sent {sent:.1f} s of audio, received {received / 48000:.1f} s")
        print(
            f"  process CPU, this side only (incl. Opus, SRTP, SCTP, aiortc tasks/threads, the source loop): "
            f"{100 * cpu / wall:.2f}% of a core"
        )
        print(f"  sleeps that ended in a wake-up (voluntary context switches, all threads): {switches / wall:.0f}/s "
              f"= {switches / wall / 50:.1f} per 20 ms")
    finally:
        peer.terminate()
        peer.wait()


if __name__ == "__main__":
    if sys.argv[1:] == ["--peer"]:
        asyncio.run(peer_main())
    else:
        print("hot path (our code), per 20 ms of two-way audio:")
        hot_path()
        print("one live two-way WebRTC session:")
        asyncio.run(session(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))
