"""A scripted Gemini Live peer on 127.0.0.1: answers ``setup`` with ``setupComplete``, records, sends what it's told.

Real sockets and a real ``websockets`` server; messages go out in binary frames, as the live service sends
them. An ``api_key`` makes the handshake refuse other keys with HTTP 401; with ``refuse_after_setup`` (a close
code and reason) the peer does what the live service does instead: it accepts the WebSocket whatever the key,
and answers the ``setup`` of a wrong one by closing with that code and reason.
"""


from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

#: How the live service closes a session opened with a bad key.
BAD_KEY_CLOSE = (1007, "API key not valid. Please pass a valid API key.")


class GeminiPeer:
    def __init__(self, api_key: str | None = None, refuse_after_setup: tuple[int, str] | None = None) -> None:
        self.api_key = api_key
        self.refuse_after_setup = refuse_after_setup
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.headers: dict[str, str] = {}
        self.path = ""
        self.connected = asyncio.Event()
        self.connection: ServerConnection | None = None
        self._server = None

    async def __aenter__(self) -> GeminiPeer:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None, process_request=self._check)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def _key_ok(self, headers: Any) -> bool:
        return self.api_key is None or headers.get("x-goog-api-key") == self.api_key

    def _check(self, connection: ServerConnection, request: Any) -> Any:
        if self.refuse_after_setup is None and not self._key_ok(request.headers):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "API key not valid.\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.headers = dict(connection.request.headers)
        self.path = connection.request.path
        async for message in connection:
            data = json.loads(message)
            if "setup" in data and not self._key_ok(connection.request.headers):
                await self.received.put(data)
                await connection.close(*self.refuse_after_setup)
                return
            if "setup" in data:
                await connection.send(json.dumps({"setupComplete": {}}).encode())
                self.connected.set()
            await self.received.put(data)

    async def send(self, message: dict[str, Any]) -> None:
        await self.connected.wait()
        await self.connection.send(json.dumps(message).encode())

    async def next_received(self, timeout: float = 3.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.received.get(), timeout)
