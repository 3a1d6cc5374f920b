"""HttpSdpSignalling against a tiny aiohttp server on 127.0.0.1; CallableSignalling."""

from __future__ import annotations

import pytest
from aiohttp import web

from semantic_kernel_realtime.transports import AuthenticationError, ConnectionFailedError
from semantic_kernel_realtime.transports.signalling import CallableSignalling, HttpSdpSignalling, Signalling

TOKEN = "ek_68a1b2c3d4e5f6-please-never-print-me"


@pytest.fixture
async def server():
    seen: list[tuple[str, str, str]] = []

    async def calls(request: web.Request) -> web.Response:
        seen.append((request.content_type, request.headers.get("Authorization", ""), await request.text()))
        mode = request.query.get("mode", "ok")
        if mode == "ok":
            return web.Response(status=201, text="v=0 answer", headers={"Location": "/v1/realtime/calls/rtc_abc123"})
        if mode == "ok200":
            return web.Response(status=200, text="v=0 answer")
        if mode == "expired":
            return web.json_response(
                {"error": {"type": "invalid_request_error", "code": "expired", "message": f"Secret {TOKEN} expired"}},
                status=401,
            )
        if mode == "forbidden":
            return web.Response(status=403, text=f"forbidden for Bearer {TOKEN}")
        return web.Response(status=500, text="boom")

    app = web.Application()
    app.router.add_post("/calls", calls)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/calls", seen
    await runner.cleanup()


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


async def test_posts_application_sdp_and_returns_the_answer_with_call_id(server):
    url, seen = server
    signalling = HttpSdpSignalling(url, auth())
    assert isinstance(signalling, Signalling)
    assert await signalling.exchange("v=0 offer") == "v=0 answer"
    assert seen == [("application/sdp", f"Bearer {TOKEN}", "v=0 offer")]
    assert signalling.location == "/v1/realtime/calls/rtc_abc123"
    assert signalling.call_id == "rtc_abc123"
    assert TOKEN not in repr(signalling)


async def test_200_without_location(server):
    url, _ = server
    signalling = HttpSdpSignalling(url + "?mode=ok200", auth())
    assert await signalling.exchange("v=0 offer") == "v=0 answer"
    assert signalling.call_id is None


@pytest.mark.parametrize("mode,status", [("expired", 401), ("forbidden", 403)])
async def test_refused_credentials_raise_authentication_error_without_the_secret(server, mode, status):
    url, _ = server
    with pytest.raises(AuthenticationError) as info:
        await HttpSdpSignalling(url + f"?mode={mode}", auth()).exchange("v=0 offer")
    message = str(info.value)
    assert info.value.status == status and not info.value.retryable
    assert str(status) in message and "credentials" in message
    assert TOKEN not in message and "please-never-print-me" not in message
    if mode == "expired":
        assert "expired" in message


async def test_other_statuses_and_network_failures_are_connection_failures(server):
    url, _ = server
    with pytest.raises(ConnectionFailedError) as info:
        await HttpSdpSignalling(url + "?mode=error", auth()).exchange("v=0 offer")
    assert info.value.status == 500 and not isinstance(info.value, AuthenticationError)
    assert info.value.retryable

    with pytest.raises(ConnectionFailedError) as info:  # nothing listens on port 9
        await HttpSdpSignalling(f"http://127.0.0.1:9/calls?key={TOKEN}", auth(), timeout=2).exchange("v=0")
    assert TOKEN not in str(info.value)


async def test_callable_signalling_accepts_sync_and_async_functions():
    async def answer(offer: str) -> str:
        return offer.upper()

    assert await CallableSignalling(str.upper).exchange("v=0") == "V=0"
    assert await CallableSignalling(answer).exchange("v=0") == "V=0"
