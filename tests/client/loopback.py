"""A scripted WebSocket peer on 127.0.0.1 for client tests: records what it receives, sends what it's told.

Real sockets, real ``websockets`` server; the test drives it (send events, close cleanly, or drop the
TCP connection without a close frame to simulate a network failure).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection, serve


class LoopbackServer:
    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.headers: dict[str, str] = {}
        self.path: str = ""
        self.connected = asyncio.Event()
        self.connection: ServerConnection | None = None
        self._server = None

    async def __aenter__(self) -> LoopbackServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def _handle(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.headers = dict(connection.request.headers)
        self.path = connection.request.path
        self.connected.set()
        await connection.send(json.dumps({"type": "session.created", "event_id": "event_0",
                                          "session": {"type": "realtime", "id": "sess_1"}}))
        async for message in connection:
            await self.received.put(json.loads(message))

    async def send(self, event: dict[str, Any]) -> None:
        await self.connected.wait()
        await self.connection.send(json.dumps(event))

    async def next_received(self, timeout: float = 2.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.received.get(), timeout)

    async def close(self, code: int = 1000) -> None:
        await self.connection.close(code)

    def drop(self) -> None:
        """Kill the TCP connection without a close frame (a network failure as the client sees it)."""
        self.connection.transport.abort()
