"""app.py / auth.py / websocket.py: addresses, the API-key gate, and a clean stop."""

import asyncio
import json

import aiohttp
import pytest
from openai import AsyncOpenAI
from websockets.exceptions import ConnectionClosed

from semantic_kernel_realtime.server import LocalRealtimeServer


def server_tasks():
    """Tasks still running code from the server package."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if task is not asyncio.current_task() and code and "semantic_kernel_realtime/server" in code.co_filename:
            found.append(task)
    return found


async def wait_until(condition, timeout=5.0):
    """Poll ``condition`` until it holds (fails after ``timeout`` seconds)."""
    async def holds():
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(holds(), timeout)


async def test_addresses_and_restartable_lifecycle():
    server = LocalRealtimeServer(speech=False)
    with pytest.raises(RuntimeError):
        _ = server.base_url
    await server.start()
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    assert server.ws_url == f"ws://127.0.0.1:{server.port}/v1/realtime"
    await server.stop()
    await server.stop()  # idempotent


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"api-key": "wrong"}])
async def test_wrong_or_missing_key_is_401_before_upgrade(headers):
    async with LocalRealtimeServer(speech=False, api_key="sk-test-key") as server:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(server.ws_url + "?model=m", headers=headers)
            assert info.value.status == 401
            async with http.get(server.ws_url, headers=headers) as response:
                assert response.status == 401
                body = await response.json()
                assert body["error"]["code"] == "invalid_api_key" and "sk-test-key" not in json.dumps(body)


@pytest.mark.parametrize("how", ["bearer", "api-key", "subprotocol", "client-secret"])
async def test_accepted_credentials(how):
    async with LocalRealtimeServer(speech=False, api_key="sk-test-key") as server:
        server.credentials.add_client_secret("ek_test", expires_at=4e9)
        headers, protocols = {}, ()
        if how == "bearer":
            headers = {"Authorization": "Bearer sk-test-key"}
        elif how == "api-key":
            headers = {"api-key": "sk-test-key"}
        elif how == "subprotocol":
            protocols = ("realtime", "openai-insecure-api-key.sk-test-key")
        else:
            headers = {"Authorization": "Bearer ek_test"}
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(server.ws_url, headers=headers, protocols=protocols) as ws:
                assert json.loads((await ws.receive()).data)["type"] == "session.created"


async def test_expired_client_secret_is_refused():
    async with LocalRealtimeServer(speech=False, api_key="sk-test-key") as server:
        server.credentials.add_client_secret("ek_old", expires_at=1.0)
        async with aiohttp.ClientSession() as http:
            async with http.get(server.ws_url, headers={"Authorization": "Bearer ek_old"}) as response:
                assert response.status == 401


async def test_plain_http_get_is_refused_and_binary_frames_get_an_error():
    async with LocalRealtimeServer(speech=False) as server:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.ws_url) as response:
                assert response.status == 400
            async with http.ws_connect(server.ws_url) as ws:
                await ws.receive()
                await ws.send_bytes(b"\x00\x01")
                error = json.loads((await ws.receive()).data)
                assert error["type"] == "error" and error["error"]["code"] == "invalid_json"


async def test_stop_closes_live_sessions_and_leaves_no_task():
    server = await LocalRealtimeServer(speech=False, output_audio_pace=1.0).start()
    client = AsyncOpenAI(base_url=server.base_url, api_key="x")
    async with client.realtime.connect(model="gpt-realtime") as connection:
        await connection.recv()  # session.created
        await connection.response.create()  # a paced audio response is now streaming
        while (await connection.recv()).type != "response.output_audio.delta":
            pass
        assert server.session_count == 1
        await asyncio.wait_for(server.stop(), 5)
        assert server.session_count == 0
        assert server_tasks() == []
        with pytest.raises(ConnectionClosed):  # the SDK sees the server close the connection
            for _ in range(10_000):
                await asyncio.wait_for(connection.recv(), 5)


async def test_client_disconnect_ends_the_session():
    async with LocalRealtimeServer(speech=False, output_audio_pace=1.0) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
        async with client.realtime.connect(model="gpt-realtime") as connection:
            await connection.recv()
            await connection.response.create()
            while (await connection.recv()).type != "response.output_audio.delta":
                pass
        await wait_until(lambda: not server.session_count and not server_tasks())
