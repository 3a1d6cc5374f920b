"""WebSocketTransport against a real ``websockets`` server on 127.0.0.1: push delivery, framing, close codes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

from semantic_kernel_realtime.transports import ConnectionClosedError, Transport
from semantic_kernel_realtime.transports.websocket import WebSocketTransport
from tests.client.loopback import LoopbackServer


class Peer(LoopbackServer):
    """The client tests' loopback server, sending a chosen greeting and keeping what it receives raw."""

    def __init__(self, greeting: list[Any] | None = None) -> None:
        super().__init__()
        self.greeting = greeting or []
        self.raw: asyncio.Queue[str | bytes] = asyncio.Queue()

    @property
    def url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/realtime"

    async def _handle(self, connection: ServerConnection) -> None:
        self.connection = connection
        for message in self.greeting:  # sent before the client can possibly be listening
            await connection.send(message)
        self.connected.set()
        async for message in connection:
            await self.raw.put(message)


class Listening:
    """``transport.listen()`` on a task, collecting what it delivers."""

    def __init__(self, transport: WebSocketTransport) -> None:
        self.messages: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.task = asyncio.ensure_future(transport.listen(self.messages.put_nowait))

    async def next(self) -> str | bytes:
        return await asyncio.wait_for(self.messages.get(), 2)

    async def ended(self) -> ConnectionClosedError:
        with pytest.raises(ConnectionClosedError) as info:
            await asyncio.wait_for(self.task, 1)
        return info.value


async def open_transport(peer: Peer) -> WebSocketTransport:
    transport = WebSocketTransport(peer.url, {"Authorization": "Bearer sk-test"})
    assert isinstance(transport, Transport)
    await transport.open()
    await asyncio.wait_for(peer.connected.wait(), 2)
    return transport


async def test_messages_are_pushed_in_order_including_those_that_came_before_listen():
    async with Peer(greeting=['{"n":0}', '{"n":1}']) as peer:
        transport = await open_transport(peer)
        await asyncio.sleep(0.05)  # the greeting is in before listen() starts
        listening = Listening(transport)
        await peer.connection.send('{"n":2}')
        got = [await listening.next() for _ in range(3)]
        assert got == [b'{"n":0}', b'{"n":1}', b'{"n":2}']  # the frames' UTF-8 bytes, as read
        await transport.send_text('{"type":"response.create"}')
        assert await asyncio.wait_for(peer.raw.get(), 2) == '{"type":"response.create"}'
        await transport.close()
        closed = await listening.ended()
    assert closed.clean and closed.code == 1000 and "by this client" in str(closed)


async def test_fragmented_and_binary_messages_arrive_whole():
    async with Peer() as peer:
        transport = await open_transport(peer)
        listening = Listening(transport)
        await peer.connection.send(['{"type":"response.', 'output_text.delta",', '"delta":"h\u00e9"}'])
        await peer.connection.send(b'{"type":"binary"}')
        await peer.connection.send('{"after":true}')
        assert await listening.next() == '{"type":"response.output_text.delta","delta":"h\u00e9"}'.encode()
        assert await listening.next() == b'{"type":"binary"}'
        assert await listening.next() == b'{"after":true}'
        await transport.close()
        await listening.ended()


async def test_keepalive_pings_still_get_their_pongs():
    async with Peer() as peer:
        transport = await open_transport(peer)
        listening = Listening(transport)
        latency = await asyncio.wait_for(await transport.connection.ping(), 2)
        assert latency >= 0
        await transport.close()
        await listening.ended()


@pytest.mark.parametrize(("code", "clean"), [(1000, True), (1001, True), (4000, False), (1011, False)])
async def test_a_server_close_ends_listen_with_its_code(code, clean):
    async with Peer() as peer:
        transport = await open_transport(peer)
        listening = Listening(transport)
        await peer.connection.send('{"last":true}')
        await peer.connection.close(code, "bye")
        assert await listening.next() == b'{"last":true}'  # what came before the close is delivered
        closed = await listening.ended()
        assert (closed.code, closed.clean, closed.reason) == (code, clean, "bye")
        assert "by this client" not in str(closed)
        await transport.close()


async def test_a_dropped_connection_ends_listen_as_abnormal():
    async with Peer() as peer:
        transport = await open_transport(peer)
        listening = Listening(transport)
        peer.connection.transport.abort()  # no close frame: a network failure as the client sees it
        closed = await listening.ended()
        assert (closed.code, closed.clean, closed.retryable) == (1006, False, True)
        await transport.close()


async def test_a_raising_sink_closes_the_connection_and_listen_raises_its_error():
    async with Peer() as peer:
        transport = await open_transport(peer)
        seen: list[str | bytes] = []

        def sink(message: str | bytes) -> None:
            seen.append(message)
            raise ValueError("cannot handle it")

        listening = asyncio.ensure_future(transport.listen(sink))
        await peer.connection.send('{"n":1}')
        await peer.connection.send('{"n":2}')
        with pytest.raises(ValueError, match="cannot handle it"):
            await asyncio.wait_for(listening, 2)
        assert seen == [b'{"n":1}']  # nothing more is handed to a failed sink
        with pytest.raises(ConnectionClosedError):
            await transport.send_text("{}")
        await transport.close()
