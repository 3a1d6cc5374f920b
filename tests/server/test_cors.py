"""CORS on the embedded server: browser preflights without credentials, headers on every answer (refusals
included), configurable origins. (The real browser exercising it: tests/integration/test_browser.py.)"""

from __future__ import annotations

import aiohttp
import pytest

from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.cors import CorsPolicy

KEY = "sk-cors-key"
PAGE = "http://localhost:8080"
PATHS = ["/v1/realtime/calls", "/v1/realtime/client_secrets", "/openai/v1/realtime/calls",
         "/v1/realtime/calls/rtc_x/hangup"]


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"}


@pytest.mark.parametrize("path", PATHS)
async def test_preflights_are_allowed_without_credentials_even_with_a_key(path):
    async with LocalRealtimeServer(speech=False, api_key=KEY) as server, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{server.port}{path}"
        async with http.options(url, headers=preflight(PAGE)) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert "POST" in resp.headers["Access-Control-Allow-Methods"]
            assert resp.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
            assert "Access-Control-Allow-Credentials" not in resp.headers


async def test_refusals_and_answers_carry_the_headers_and_expose_location():
    async with LocalRealtimeServer(speech=False, api_key=KEY) as server, aiohttp.ClientSession() as http:
        async with http.post(server.base_url + "/realtime/client_secrets", headers={"Origin": PAGE}) as resp:
            assert resp.status == 401  # the page can read why
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
        async with http.post(server.base_url + "/realtime/client_secrets", json={},
                             headers={"Origin": PAGE, "Authorization": f"Bearer {KEY}"}) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Expose-Headers"] == "Location"
        async with http.get(f"http://127.0.0.1:{server.port}/nowhere", headers={"Origin": PAGE}) as resp:
            assert resp.status == 404 and resp.headers["Access-Control-Allow-Origin"] == "*"
        async with http.post(server.base_url + "/realtime/calls") as resp:  # no Origin: no CORS headers
            assert "Access-Control-Allow-Origin" not in resp.headers


async def test_only_the_configured_origins_are_allowed():
    async with LocalRealtimeServer(speech=False, cors_origins=[PAGE + "/"]) as server, \
            aiohttp.ClientSession() as http:
        url = server.base_url + "/realtime/calls"
        async with http.options(url, headers=preflight(PAGE)) as resp:
            assert resp.status == 204 and resp.headers["Access-Control-Allow-Origin"] == PAGE
            assert resp.headers["Vary"] == "Origin"
        async with http.options(url, headers=preflight("http://evil.example")) as resp:
            assert resp.status == 403 and "Access-Control-Allow-Origin" not in resp.headers
        async with http.post(server.base_url + "/realtime/client_secrets", json={},
                             headers={"Origin": "http://evil.example"}) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers


async def test_no_origins_turns_cors_off():
    async with LocalRealtimeServer(speech=False, cors_origins=[]) as server, aiohttp.ClientSession() as http:
        async with http.options(server.base_url + "/realtime/calls", headers=preflight(PAGE)) as resp:
            assert resp.status == 405 and "Access-Control-Allow-Origin" not in resp.headers
    assert not CorsPolicy(None).enabled and CorsPolicy("*").allows("http://any")


async def test_the_console_page_and_its_secret():
    async with LocalRealtimeServer(speech=False) as server, aiohttp.ClientSession() as http:
        async with http.get(server.console_url) as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            assert "oai-events" in await resp.text()
        async with http.post(server.console_url + "/session") as resp:
            minted = await resp.json()
        assert minted["value"].startswith("ek_") and minted["calls_url"] == server.base_url + "/realtime/calls"
        async with http.post(server.base_url + "/realtime/client_secrets", json={}) as resp:
            assert resp.status == 200
    async with LocalRealtimeServer(speech=False, api_key=KEY) as server, aiohttp.ClientSession() as http:
        async with http.post(server.console_url + "/session") as resp:
            assert resp.status == 401  # a keyed server's console needs a backend that holds the key
