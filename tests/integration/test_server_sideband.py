"""The server's sideband (``GET /v1/realtime?call_id=``) with independent peers: a plain aiortc peer makes
the WebRTC call (as a browser would) and the official ``openai`` SDK attaches by ``call_id``.

What the live service does is what is checked: both sides see the same events, the sideband's client
events drive the call's session, an unknown or ended id is HTTP 404 ``call_id_not_found`` (never a new
session), only the call's own secret or the server key may attach or hang up, and the call's end closes
the sideband.
"""

from __future__ import annotations

import asyncio
import base64
import os

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import AsyncOpenAI
from websockets.exceptions import ConnectionClosedOK

from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.webrtc import CALLS_KEY
from tests.integration.test_server_webrtc import Peer
from tests.server.test_app import server_tasks, wait_until

KEY = "sk-server-key"


async def mint(server: LocalRealtimeServer, key: str | None = KEY) -> str:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with aiohttp.ClientSession() as http, http.post(
        server.base_url + "/realtime/client_secrets", json={"session": {"type": "realtime",
                                                                        "output_modalities": ["text"]}},
        headers=headers,
    ) as resp:
        assert resp.status == 200
        return (await resp.json())["value"]


async def upgrade(server: LocalRealtimeServer, call_id: str, token: str | None) -> tuple[int, dict]:
    """A WebSocket upgrade request for ``call_id``; the HTTP status and JSON body of a refusal."""
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http, http.get(
        server.base_url + "/realtime", params={"call_id": call_id}, headers=headers
    ) as resp:
        body = await resp.json() if resp.status != 101 else {}
        return resp.status, body


async def hangup(server: LocalRealtimeServer, call_id: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.post(
        f"{server.base_url}/realtime/calls/{call_id}/hangup", headers=headers
    ) as resp:
        return resp.status


async def call(server: LocalRealtimeServer, secret: str) -> tuple[Peer, str]:
    peer = Peer()
    await peer.connect(server, secret)
    (call_id,) = [cid for cid, c in server.app[CALLS_KEY].items() if c.secret == secret]
    return peer, call_id


async def until_type(queue_get, kind: str, timeout: float = 8.0) -> list[dict]:
    events = []
    while True:
        event = await asyncio.wait_for(queue_get(), timeout)
        events.append(event)
        if event["type"] == kind:
            return events


async def test_the_openai_sdk_attached_by_call_id_sees_and_drives_the_call():
    async with LocalRealtimeServer(speech=False, api_key=KEY) as server:
        peer, call_id = await call(server, await mint(server))
        await until_type(peer.events.get, "session.created")
        sdk = AsyncOpenAI(api_key=KEY, base_url=server.base_url)
        async with sdk.realtime.connect(call_id=call_id) as sideband:
            created = await sideband.recv()
            assert created.type == "session.created" and created.session.output_modalities == ["text"]
            await sideband.session.update(session={"type": "realtime", "instructions": "Be brief."})
            updated = (await until_type(peer.events.get, "session.updated"))[-1]
            assert updated["session"]["instructions"] == "Be brief."  # the sideband configured the call
            peer.channel.send('{"type": "conversation.item.create", "item": {"type": "message", "role": "user", '
                              '"content": [{"type": "input_text", "text": "Hello"}]}}')
            peer.channel.send('{"type": "response.create"}')
            heard = await until_type(peer.events.get, "response.done")
            seen = []
            while not seen or seen[-1]["type"] != "response.done":
                seen.append((await asyncio.wait_for(sideband.recv(), 8)).model_dump(exclude_unset=True))
            assert seen[0]["event_id"] == updated["event_id"]
            assert [e["event_id"] for e in seen[1:]] == [e["event_id"] for e in heard]
            assert await hangup(server, call_id, KEY) == 200  # the server key may end any call
            with pytest.raises(ConnectionClosedOK) as closed:  # the sideband is closed when the call ends
                await asyncio.wait_for(sideband.recv(), 5)
            assert closed.value.rcvd.code == 1000 and closed.value.rcvd.reason == "call ended"
        await peer.close()
        await wait_until(lambda: server.session_count == 0 and not server_tasks(), timeout=5)


@pytest.mark.parametrize("api_key", [KEY, None], ids=["keyed server", "open server"])
async def test_unknown_ended_and_foreign_ids_are_404_call_id_not_found_never_a_new_session(api_key):
    async with LocalRealtimeServer(speech=False, api_key=api_key) as server:
        status, body = await upgrade(server, "rtc_unknown", api_key)
        assert status == 404
        assert body["error"]["code"] == "call_id_not_found" and body["error"]["type"] == "invalid_request_error"
        mine, theirs = await mint(server, api_key), await mint(server, api_key)
        peer, call_id = await call(server, mine)
        assert (await upgrade(server, call_id, theirs))[0] == 404  # another client's secret
        assert await hangup(server, call_id, theirs) == 404
        assert not server.app[CALLS_KEY][call_id].ended
        assert (await upgrade(server, call_id, mine))[0] == 101  # the call's own secret may attach
        assert await hangup(server, call_id, mine) == 200  # ... and hang up
        await wait_until(lambda: call_id not in server.app[CALLS_KEY], timeout=5)
        assert (await upgrade(server, call_id, api_key))[0] == 404  # ended
        assert await hangup(server, call_id, api_key) == 404
        await peer.close()
        await wait_until(lambda: server.session_count == 0 and not server_tasks(), timeout=5)


async def test_server_stop_closes_sidebands_and_leaves_no_task():
    server = await LocalRealtimeServer(speech=False).start()
    try:
        peer, call_id = await call(server, await mint(server, None))
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(server.ws_url, params={"call_id": call_id})
            assert (await ws.receive_json(timeout=5))["type"] == "session.created"
            await server.stop()
            message = await ws.receive(timeout=5)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            await ws.close()
        await peer.close()
        assert not server_tasks()
    finally:
        await server.stop()


@given(call_id=st.text(min_size=1, max_size=40))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_id_that_names_no_live_call_is_refused_and_opens_no_session(call_id):
    async def attempt() -> None:
        async with LocalRealtimeServer(speech=False) as server:
            status, body = await upgrade(server, call_id, None)
            assert status == 404 and body["error"]["code"] == "call_id_not_found"
            assert server.session_count == 0

    asyncio.run(attempt())
