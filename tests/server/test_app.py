"""app.py / auth.py / websocket.py: addresses, the API-key gate, and a clean stop."""

import asyncio
import base64
import gc
import json
import os
import socket
import struct

import aiohttp
import numpy as np
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


# --- hardening (issue 17) ----------------------------------------------------------------------------------


def masked_text_frame(text: str) -> bytes:
    """One client-to-server WebSocket text frame (RFC 6455: clients mask their frames)."""
    data, mask = text.encode(), os.urandom(4)
    size = len(data)
    if size < 126:
        head = bytes([0x81, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", size)
    else:
        head = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", size)
    masked = np.frombuffer(data, np.uint8) ^ np.resize(np.frombuffer(mask, np.uint8), size)
    return head + mask + masked.tobytes()


def raw_websocket(port: int) -> socket.socket:
    """A WebSocket client that reads nothing after the upgrade (tiny receive buffer): the server's writes
    back up until it waits for the socket to drain."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashed client or a dropped network does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


THIRTY_SECONDS = bytes(48 * 30_000)


async def test_a_reset_while_the_server_waits_to_write_leaves_no_registered_session():
    async with LocalRealtimeServer(speech=False) as server:
        clients = []
        for _ in range(3):
            sock = await asyncio.to_thread(raw_websocket, server.port)
            audio = base64.b64encode(THIRTY_SECONDS).decode()
            events = [{"type": "conversation.item.create", "item": {"id": "item_big", "type": "message", "role": "user",
                                                                    "content": [{"type": "input_audio",
                                                                                 "audio": audio}]}}]
            events += [{"type": "conversation.item.retrieve", "item_id": "item_big"}] * 10  # ~20 MB of answers
            await asyncio.to_thread(sock.sendall, b"".join(masked_text_frame(json.dumps(e)) for e in events))
            clients.append(sock)
        await wait_until(lambda: server.session_count == 3)
        await asyncio.sleep(1.0)  # the answers fill the socket buffers: the writers now wait for a drain
        for sock in clients:
            reset(sock)
        await wait_until(lambda: server.session_count == 0 and not server_tasks())


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


async def test_two_hundred_retrieves_of_a_30_s_item_do_not_grow_memory():
    """Measured while all 200 answers are queued (the client reads none until then) and while reading."""
    async with LocalRealtimeServer(speech=False) as server, aiohttp.ClientSession() as http, \
            http.ws_connect(server.ws_url, max_msg_size=0) as ws:

        async def next_of(kind):
            while (event := json.loads((await ws.receive()).data))["type"] != kind:
                pass
            return event

        await next_of("session.created")
        await ws.send_str(json.dumps({"type": "conversation.item.create", "item": {
            "id": "item_30s", "type": "message", "role": "user",
            "content": [{"type": "input_audio", "audio": base64.b64encode(THIRTY_SECONDS).decode()}]}}))
        await next_of("conversation.item.done")
        retrieve = json.dumps({"type": "conversation.item.retrieve", "item_id": "item_30s"})
        await ws.send_str(retrieve)
        assert len((await next_of("conversation.item.retrieved"))["item"]["content"][0]["audio"]) == 1_920_000
        gc.collect()
        before = peak = rss_bytes()
        for _ in range(200):
            await ws.send_str(retrieve)
        for _ in range(40):  # the server answers them all into its outbox meanwhile
            await asyncio.sleep(0.05)
            peak = max(peak, rss_bytes())
        for _ in range(200):
            await next_of("conversation.item.retrieved")
            peak = max(peak, rss_bytes())
    assert peak - before < 50 * 1024 * 1024, f"RSS grew by {(peak - before) / 2**20:.0f} MB"


async def test_connections_beyond_max_sessions_get_429_before_the_upgrade():
    from semantic_kernel_realtime.server.limits import ServerLimits

    async with LocalRealtimeServer(speech=False, limits=ServerLimits(max_sessions=2)) as server, \
            aiohttp.ClientSession() as http:
        first, second = [await http.ws_connect(server.ws_url) for _ in range(2)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(server.ws_url)
        assert info.value.status == 429
        async with http.get(server.ws_url, headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                    "Sec-WebSocket-Version": "13",
                                                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as response:
            body = await response.json()
        assert response.status == 429 and body["error"]["code"] == "rate_limit_exceeded"
        await first.close()
        await wait_until(lambda: server.session_count == 1)
        async with http.ws_connect(server.ws_url) as third:  # room again
            assert json.loads((await third.receive()).data)["type"] == "session.created"
        await second.close()


async def test_a_message_over_max_message_bytes_closes_with_1009():
    from semantic_kernel_realtime.server.limits import ServerLimits

    async with LocalRealtimeServer(speech=False, limits=ServerLimits(max_message_bytes=1024)) as server, \
            aiohttp.ClientSession() as http, http.ws_connect(server.ws_url) as ws:
        await ws.receive()
        await ws.send_str(json.dumps({"type": "input_audio_buffer.append", "audio": "AAAA" * 300}))
        while (await ws.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            pass
        assert ws.close_code == 1009
        await wait_until(lambda: server.session_count == 0)
