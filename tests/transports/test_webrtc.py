"""WebRTCTransport over real loopback WebRTC in one process.

The answering peer is a second aiortc ``RTCPeerConnection`` reached through ``CallableSignalling`` (or a
tiny aiohttp server for ``HttpSdpSignalling``). Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from semantic_kernel_realtime.transports import (
    AuthenticationError,
    ConnectionClosedError,
    ConnectionFailedError,
    Transport,
    TransportError,
)
from semantic_kernel_realtime.transports.audio_tracks import PcmAudioTrack
from semantic_kernel_realtime.transports.signalling import CallableSignalling, HttpSdpSignalling
from semantic_kernel_realtime.transports.webrtc import WebRTCTransport
from tests.tasks import live_tasks

REPO_ROOT = Path(__file__).resolve().parents[2]
HELLO_WAV = REPO_ROOT.parent / "shared" / "fixtures" / "audio" / "hello-world.pcm16-24k.wav"
SECRET = "ek_test_9f8e7d6c5b4a-very-secret"


def load_hello() -> bytes:
    if not HELLO_WAV.exists():
        pytest.skip(f"fixture missing: {HELLO_WAV}")
    with wave.open(str(HELLO_WAV)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24000, 1, 2)
        return w.readframes(w.getnframes())


class Listener:
    """Runs ``transport.listen()`` on a task and collects what it delivers."""

    def __init__(self, transport: WebRTCTransport) -> None:
        self.messages: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.task = asyncio.ensure_future(transport.listen(self.messages.put_nowait))

    async def next(self, timeout: float = 2) -> str | bytes:
        return await asyncio.wait_for(self.messages.get(), timeout)


def active_seconds(samples: np.ndarray, rate: int, threshold: float = 150.0) -> float:
    """Duration of 20 ms windows whose RMS exceeds ``threshold`` (speech, not codec noise)."""
    win = rate // 50
    n = len(samples) // win
    if n == 0:
        return 0.0
    rms = np.sqrt((samples[: n * win].astype(np.float64).reshape(n, win) ** 2).mean(axis=1))
    return float((rms > threshold).sum()) * 0.020


class AnsweringPeer:
    """The far end: answers the offer, echoes nothing, records what it receives.

    Received audio is checked independently of our converter: the raw decoded 48 kHz frames are kept
    and their first channel analysed with numpy.
    """

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.track = PcmAudioTrack()
        self.messages: asyncio.Queue[str] = asyncio.Queue()
        self.channel = None
        self.channel_ready = asyncio.Event()
        self.frames: list = []
        self.samples48: list[np.ndarray] = []
        self.got_audio_done = asyncio.Event()
        self.wanted_samples48: int | None = None
        self._reader: asyncio.Task | None = None

        @self.pc.on("datachannel")
        def on_datachannel(channel):
            self.channel = channel
            channel.on("message", self.messages.put_nowait)
            self.channel_ready.set()

        @self.pc.on("track")
        def on_track(track):
            self._reader = asyncio.get_running_loop().create_task(self._read(track))

    async def _read(self, track) -> None:
        seen_speech = 0
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames.append((frame.sample_rate, frame.samples, frame.layout.name, frame.pts))
            first = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0].copy()
            self.samples48.append(first)
            if np.abs(first).max() > 1000 or seen_speech:
                seen_speech += len(first)
            if self.wanted_samples48 is not None and seen_speech >= self.wanted_samples48:
                self.got_audio_done.set()

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.sender.replaceTrack(self.track)
                transceiver.direction = "sendrecv"
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def close(self) -> None:
        await self.pc.close()
        if self._reader is not None:
            await self._reader


@pytest.fixture
async def peer():
    p = AnsweringPeer()
    yield p
    await p.close()


async def open_pair(peer: AnsweringPeer, **kwargs) -> WebRTCTransport:
    transport = WebRTCTransport(CallableSignalling(peer.answer), **kwargs)
    await transport.open()
    await asyncio.wait_for(peer.channel_ready.wait(), 5)
    return transport


async def test_implements_transport_contract_and_uses_no_ice_servers(peer):
    offers: list[str] = []

    async def answer(offer_sdp: str) -> str:
        offers.append(offer_sdp)
        return await peer.answer(offer_sdp)

    transport = WebRTCTransport(CallableSignalling(answer))
    await transport.open()
    try:
        assert isinstance(transport, Transport)
        assert transport.carries_audio is True
        await asyncio.wait_for(peer.channel_ready.wait(), 2)
        assert peer.channel.label == "oai-events"
        # gathering was complete before the offer left, and no STUN/TURN server was asked
        candidates = [line for line in offers[0].splitlines() if line.startswith("a=candidate:")]
        assert candidates and all(" typ host" in line for line in candidates)
        assert "a=end-of-candidates" in offers[0]
        assert "m=audio" in offers[0] and "a=sendrecv" in offers[0]
        # the built-in track sends Opus it encoded itself, so Opus is the only codec offered
        assert [line.split()[1] for line in offers[0].splitlines() if line.startswith("a=rtpmap:")] == ["opus/48000/2"]
    finally:
        await transport.close()


async def test_text_both_ways(peer):
    transport = await open_pair(peer)
    try:
        await transport.send_text('{"type":"session.update"}')
        await transport.send_text('{"type":"response.create"}')
        assert await asyncio.wait_for(peer.messages.get(), 2) == '{"type":"session.update"}'
        assert await asyncio.wait_for(peer.messages.get(), 2) == '{"type":"response.create"}'

        peer.channel.send('{"type":"session.created"}')
        peer.channel.send('{"type":"response.done","text":"h\u00e9llo"}')
        listener = Listener(transport)
        assert await listener.next() == '{"type":"session.created"}'
        assert await listener.next() == '{"type":"response.done","text":"h\u00e9llo"}'
    finally:
        await transport.close()
    with pytest.raises(ConnectionClosedError):
        await listener.task


async def test_send_text_waits_while_the_channel_is_full_and_nothing_is_lost(peer):
    transport = await open_pair(peer, max_buffered_bytes=16_000)
    try:
        message = '{"type":"conversation.item.create","pad":"' + "x" * 4000 + '"}'
        queued: list[int] = []
        for i in range(60):  # 240 KB sent back to back: without backpressure all of it queues at once
            await transport.send_text(message.replace("create", f"create{i:02d}"))
            queued.append(transport._channel.bufferedAmount)
        got = [await asyncio.wait_for(peer.messages.get(), 5) for _ in range(60)]
    finally:
        await transport.close()
    assert max(queued) <= 16_000 + len(message)
    assert [json.loads(m)["type"] for m in got] == [f"conversation.item.create{i:02d}" for i in range(60)]


async def test_send_audio_reaches_peer_as_timed_48k_frames(peer):
    speech = load_hello()
    speech_seconds = len(speech) / 2 / 24000
    transport = await open_pair(peer)
    try:
        peer.wanted_samples48 = int((speech_seconds + 0.1) * 48000)
        # uneven chunk sizes, as deltas arrive from a model
        for i in range(0, len(speech), 4097):
            await transport.send_audio(speech[i : i + 4097])
        await asyncio.wait_for(peer.got_audio_done.wait(), speech_seconds + 3)
    finally:
        await transport.close()

    assert {(rate, n) for rate, n, _, _ in peer.frames} == {(48000, 960)}
    pts = [p for *_, p in peer.frames]
    assert (np.diff(pts) > 0).all()
    received = np.concatenate(peer.samples48)
    sent_active = active_seconds(np.frombuffer(speech, dtype=np.int16), 24000)
    got_active = active_seconds(received, 48000)
    assert sent_active > 0.5
    assert abs(got_active - sent_active) <= 0.2, (got_active, sent_active)


async def test_peer_audio_arrives_at_audio_receiver_as_24k_pcm16(peer):
    speech = load_hello()
    speech_seconds = len(speech) / 2 / 24000
    chunks: list[bytes] = []
    since_push = 0  # bytes received after the push (before it: the track's silence)
    enough = asyncio.Event()
    heard = 0
    started: float | None = None

    async def receiver(pcm: bytes) -> None:  # an async receiver; the sync kind is covered below
        nonlocal heard, since_push
        chunks.append(pcm)
        if started is not None:
            since_push += len(pcm)
        if heard or np.abs(np.frombuffer(pcm, dtype=np.int16)).max() > 1000:
            heard += len(pcm) // 2
        if heard >= (speech_seconds + 0.1) * 24000:
            enough.set()

    transport = await open_pair(peer, audio_receiver=receiver)
    try:
        started = time.monotonic()
        peer.track.push(speech)
        await asyncio.wait_for(enough.wait(), speech_seconds + 3)
        elapsed = time.monotonic() - started
    finally:
        await transport.close()

    assert all(len(c) % 2 == 0 for c in chunks)
    # steady state: one 20 ms chunk per Opus frame, i.e. 480 samples at 24 kHz
    assert sorted(len(c) for c in chunks)[len(chunks) // 2] == 960
    audio = np.frombuffer(b"".join(chunks), dtype=np.int16)
    # real time: what arrived after the push covers about as much time as it took; a busy machine delays
    # delivery (bounded by the wait above), but audio never arrives faster than it plays (measured 20-70 ms
    # behind, under load too; a burst of the 1.5 s would be over a second ahead)
    assert -0.1 < elapsed - since_push / 48000 < 2.0, (since_push / 48000, elapsed)
    sent_active = active_seconds(np.frombuffer(speech, dtype=np.int16), 24000)
    got_active = active_seconds(audio, 24000)
    assert abs(got_active - sent_active) <= 0.2, (got_active, sent_active)


async def test_sync_audio_receiver_and_clear_audio(peer):
    chunks: list[bytes] = []
    arrived = asyncio.Event()

    def receiver(pcm: bytes) -> None:
        chunks.append(pcm)
        arrived.set()

    transport = await open_pair(peer, audio_receiver=receiver)
    try:
        tone = (np.sin(np.arange(24000 * 5) * 2 * np.pi * 440 / 24000) * 8000).astype(np.int16).tobytes()
        await transport.send_audio(tone)
        assert transport.audio_track.buffered_seconds > 4.5
        await transport.clear_audio()
        assert transport.audio_track.buffered_seconds == 0
        peer.track.push(tone[: 24000 * 2 // 5])  # 200 ms
        await asyncio.wait_for(arrived.wait(), 2)
        assert isinstance(chunks[0], bytes)
    finally:
        await transport.close()


async def test_local_close_ends_listen_and_leaves_no_task(peer):
    before = live_tasks()
    transport = await open_pair(peer, audio_receiver=lambda pcm: None)
    pending = asyncio.ensure_future(transport.listen(lambda message: None))
    await asyncio.sleep(0.1)  # let audio flow so the reader task is running
    assert not pending.done()

    started = time.monotonic()
    await transport.close()
    with pytest.raises(ConnectionClosedError) as info:
        await asyncio.wait_for(pending, 2)
    assert time.monotonic() - started < 2
    assert info.value.clean is True
    with pytest.raises(ConnectionClosedError):  # and every later call
        await transport.listen(lambda message: None)
    with pytest.raises(ConnectionClosedError):
        await transport.send_text("{}")
    with pytest.raises(ConnectionClosedError):
        await transport.send_audio(b"\x00\x00")
    await transport.close()  # idempotent
    assert transport.audio_track.readyState == "ended"

    await peer.close()
    assert live_tasks() == before


async def test_peer_close_ends_listen_within_2s_and_leaves_no_task(peer):
    before = live_tasks()
    transport = await open_pair(peer, audio_receiver=lambda pcm: None)
    pending = asyncio.ensure_future(transport.listen(lambda message: None))
    await asyncio.sleep(0.1)

    started = time.monotonic()
    await peer.close()
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(pending, 2)
    assert time.monotonic() - started < 2

    await transport.close()
    assert transport.peer_connection.connectionState == "closed"
    assert live_tasks() == before


async def test_messages_received_before_close_are_still_delivered(peer):
    transport = await open_pair(peer)
    peer.channel.send("first")  # may arrive before listen(): kept and delivered first
    peer.channel.send("second")
    listener = Listener(transport)
    got = [await listener.next()]
    peer.channel.send("third")
    got.append(await listener.next())
    await peer.close()
    got.append(await listener.next())
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(listener.task, 2)
    await transport.close()
    assert got == ["first", "second", "third"]


async def test_a_raising_sink_ends_listen_with_its_error(peer):
    transport = await open_pair(peer)

    def sink(message: str | bytes) -> None:
        raise ValueError(f"cannot handle {message!r}")

    listening = asyncio.ensure_future(transport.listen(sink))
    peer.channel.send("boom")
    with pytest.raises(ValueError, match="boom"):
        await asyncio.wait_for(listening, 2)
    with pytest.raises(ConnectionClosedError):
        await transport.send_text("{}")
    await transport.close()


async def test_user_supplied_track_is_sent_and_send_audio_refused(peer):
    mic = PcmAudioTrack()  # stands in for a microphone: any MediaStreamTrack of kind "audio"
    mic.push((np.sin(np.arange(4800) * 0.2) * 8000).astype(np.int16).tobytes())
    peer.wanted_samples48 = 4800
    offers: list[str] = []

    async def answer(offer_sdp: str) -> str:
        offers.append(offer_sdp)
        return await peer.answer(offer_sdp)

    transport = WebRTCTransport(CallableSignalling(answer), audio_track=mic)
    await transport.open()
    await asyncio.wait_for(peer.channel_ready.wait(), 5)
    try:
        assert transport.audio_track is mic
        codecs = [line.split()[1] for line in offers[0].splitlines() if line.startswith("a=rtpmap:")]
        assert "opus/48000/2" in codecs and len(codecs) > 1  # frames: aiortc encodes whatever is negotiated
        with pytest.raises(TransportError):
            await transport.send_audio(b"\x00\x00")
        await asyncio.wait_for(peer.got_audio_done.wait(), 3)
    finally:
        await transport.close()
    assert mic.readyState == "ended"


async def test_signalling_failure_propagates_and_cleans_up():
    before = live_tasks()

    def refuse(offer_sdp: str) -> str:
        raise AuthenticationError("refused", status=401)

    transport = WebRTCTransport(CallableSignalling(refuse))
    with pytest.raises(AuthenticationError):
        await transport.open()
    assert transport.peer_connection.connectionState == "closed"
    with pytest.raises(ConnectionClosedError):
        await transport.listen(lambda message: None)
    assert live_tasks() == before


async def test_garbage_answer_is_a_connection_failure():
    transport = WebRTCTransport(CallableSignalling(lambda offer: "v=0\r\nnot sdp\r\n"))
    with pytest.raises(ConnectionFailedError):
        await transport.open()


# -- over HTTP signalling, against an aiohttp server answering with aiortc ----------------------------


@pytest.fixture
async def sdp_server():
    peers: list[AnsweringPeer] = []

    async def calls(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {SECRET}":
            return web.json_response(
                {"error": {"code": "invalid_api_key", "message": f"Incorrect API key provided: {SECRET}"}},
                status=401,
            )
        assert request.content_type == "application/sdp"
        peer = AnsweringPeer()
        peers.append(peer)
        answer = await peer.answer(await request.text())
        return web.Response(
            status=201, text=answer, content_type="application/sdp", headers={"Location": "/v1/realtime/calls/rtc_42"}
        )

    app = web.Application()
    app.router.add_post("/v1/realtime/calls", calls)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1/realtime/calls", peers
    for peer in peers:
        await peer.close()
    await runner.cleanup()


async def test_http_signalling_opens_a_session(sdp_server):
    url, peers = sdp_server
    signalling = HttpSdpSignalling(url, {"Authorization": f"Bearer {SECRET}"})
    transport = WebRTCTransport(signalling)
    await transport.open()
    try:
        assert signalling.call_id == "rtc_42"
        await transport.send_text('{"type":"ping"}')
        await asyncio.wait_for(peers[0].channel_ready.wait(), 2)
        assert await asyncio.wait_for(peers[0].messages.get(), 2) == '{"type":"ping"}'
    finally:
        await transport.close()


async def test_http_signalling_401_is_an_authentication_error_without_the_secret(sdp_server):
    url, _ = sdp_server
    before = live_tasks()
    wrong = SECRET[:-3] + "xyz"
    transport = WebRTCTransport(HttpSdpSignalling(url, {"Authorization": f"Bearer {wrong}"}))
    with pytest.raises(AuthenticationError) as info:
        await transport.open()
    err = info.value
    assert err.status == 401 and err.retryable is False
    assert "401" in str(err) and "invalid_api_key" in str(err)
    assert wrong not in str(err) and SECRET not in str(err) and "very-secret" not in str(err)
    assert live_tasks() == before
