"""The WebRTC calls endpoint against a plain aiortc peer over loopback: calls end when their peer is gone,
and the per-credential and per-server limits answer with HTTP 429."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack

from semantic_kernel_realtime.server import LocalRealtimeServer, validate_server_event
from semantic_kernel_realtime.server.limits import ServerLimits
from semantic_kernel_realtime.server.webrtc import CALLS_KEY
from tests.server.test_app import server_tasks, wait_until

KEY = "sk-test-key"


class Peer:
    """An aiortc peer with the ``oai-events`` channel and a microphone-like track, as a browser would offer."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.channel = self.pc.createDataChannel("oai-events")
        self.pc.addTrack(AudioStreamTrack())
        self.opened = asyncio.Event()
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self.channel.on("open", self.opened.set)
        self.channel.on("message", lambda text: self.events.put_nowait(json.loads(text)))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def call(self, server: LocalRealtimeServer, token: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": "application/sdp"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with aiohttp.ClientSession() as http, http.post(
            server.base_url + "/realtime/calls", data=await self.offer(), headers=headers
        ) as response:
            return response.status, await response.text()

    async def connect(self, server: LocalRealtimeServer, token: str | None = None) -> None:
        status, answer = await self.call(server, token)
        assert status == 201, answer
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait_for(self.opened.wait(), 10)

    async def close(self) -> None:
        await self.pc.close()


def calls(server: LocalRealtimeServer) -> int:
    return len(server.app[CALLS_KEY])


@pytest.mark.parametrize("abandon", ["keeps its peer connection", "closes its peer connection"])
async def test_an_abandoned_offer_is_cleaned_up_after_the_connect_timeout(abandon):
    limits = ServerLimits(call_connect_timeout_s=3.0)  # three offers in a row fit in it on a loaded machine
    async with LocalRealtimeServer(speech=False, limits=limits) as server:
        peers = [Peer() for _ in range(3)]
        for peer in peers:
            status, _ = await peer.call(server)  # the answer is never applied: ICE never starts
            assert status == 201
            if abandon == "closes its peer connection":
                await peer.close()
        assert calls(server) == 3
        await wait_until(lambda: calls(server) == 0 and server.session_count == 0 and not server_tasks(),
                         timeout=limits.call_connect_timeout_s + 4)
        for peer in peers:
            await peer.close()


async def test_a_connected_call_outlives_the_connect_timeout():
    # 2 s leaves ICE, DTLS and SCTP room to connect on a loaded machine; a timer not cancelled once connected
    # still ends the call within the 2.5 s wait
    async with LocalRealtimeServer(speech=False, limits=ServerLimits(call_connect_timeout_s=2.0)) as server:
        peer = Peer()
        await peer.connect(server)
        created = await asyncio.wait_for(peer.events.get(), 5)
        validate_server_event(created)
        assert created["type"] == "session.created"
        await asyncio.sleep(2.5)
        assert calls(server) == 1
        peer.channel.send(json.dumps({"type": "response.create", "response": {"output_modalities": ["text"]}}))
        while (event := await asyncio.wait_for(peer.events.get(), 5))["type"] != "response.done":
            validate_server_event(event)
        await peer.close()
        await wait_until(lambda: calls(server) == 0 and server.session_count == 0)


async def test_calls_beyond_max_calls_per_key_get_429_and_other_keys_still_get_in():
    async with LocalRealtimeServer(speech=False, api_key=KEY, limits=ServerLimits(max_calls_per_key=2)) as server:
        async with aiohttp.ClientSession() as http, http.post(
            server.base_url + "/realtime/client_secrets", json={}, headers={"Authorization": f"Bearer {KEY}"}
        ) as response:
            secret = (await response.json())["value"]
        peers = [Peer() for _ in range(4)]
        assert (await peers[0].call(server, KEY))[0] == 201
        assert (await peers[1].call(server, KEY))[0] == 201
        status, body = await peers[2].call(server, KEY)
        assert status == 429 and json.loads(body)["error"]["code"] == "rate_limit_exceeded"
        assert (await peers[3].call(server, secret))[0] == 201  # the secret is a credential of its own
        assert calls(server) == 3
        for peer in peers:
            await peer.close()


async def test_calls_beyond_max_sessions_get_429():
    async with LocalRealtimeServer(speech=False, limits=ServerLimits(max_sessions=2)) as server, \
            aiohttp.ClientSession() as http, http.ws_connect(server.ws_url) as ws:
        await ws.receive()
        peers = [Peer() for _ in range(2)]
        assert (await peers[0].call(server))[0] == 201
        status, body = await peers[1].call(server)
        assert status == 429 and json.loads(body)["error"]["code"] == "rate_limit_exceeded"
        for peer in peers:
            await peer.close()


async def test_a_data_channel_message_over_the_limit_gets_an_error_and_the_call_goes_on():
    async with LocalRealtimeServer(speech=False, limits=ServerLimits(max_message_bytes=2048)) as server:
        peer = Peer()
        await peer.connect(server)
        assert (await asyncio.wait_for(peer.events.get(), 5))["type"] == "session.created"
        peer.channel.send(json.dumps({"type": "input_audio_buffer.append", "event_id": "big", "audio": "A" * 4096}))
        error = await asyncio.wait_for(peer.events.get(), 5)
        validate_server_event(error)
        assert error["type"] == "error" and error["error"]["code"] == "message_too_large"
        peer.channel.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert (await asyncio.wait_for(peer.events.get(), 5))["type"] == "input_audio_buffer.cleared"
        await peer.close()
