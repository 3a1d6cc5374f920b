"""client_secrets.py (and the credential check of webrtc.py's calls endpoint): minting, validation, refusal."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from openai.types.realtime.client_secret_create_response import ClientSecretCreateResponse

from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.auth import ClientSecretStore, Credentials, SecretRefused
from semantic_kernel_realtime.server.webrtc import CALLS_KEY
from tests.server.fixtures import FIXTURES

KEY = "sk-test-key-0123456789"
RECORDED = FIXTURES / "openai" / "live-ga-client-secret-responses.openai-dotnet.jsonl"


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False, api_key=KEY) as srv:
        yield srv


async def post(server, path: str, body, token: str | None = KEY, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    async with aiohttp.ClientSession() as http, http.post(
        f"{server.base_url}{path}", data=data, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
    ) as resp:
        text = await resp.text()
        return resp.status, (json.loads(text) if resp.content_type == "application/json" else text)


def recorded_realtime() -> dict:
    for line in RECORDED.read_text().splitlines():
        record = json.loads(line)
        if record["session"]["type"] == "realtime":
            return record
    raise AssertionError("no realtime record")


def shape(value):
    """Keys of nested objects (the structure, not the values)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__ if value is not None else None


async def test_mint_returns_the_recorded_shape_with_the_merged_session(server):
    session = {
        "type": "realtime", "model": "gpt-realtime", "instructions": "You are a friendly assistant.",
        "audio": {"output": {"voice": "alloy"},
                  "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 200}}},
    }
    before = time.time()
    status, body = await post(server, "/realtime/client_secrets", {"session": session})
    assert status == 200
    ClientSecretCreateResponse.model_validate(body, strict=True)
    assert body["value"].startswith("ek_") and len(body["value"]) > 20
    assert before + 600 - 2 <= body["expires_at"] <= time.time() + 600 + 1
    got = body["session"]
    assert got["id"].startswith("sess_") and got["object"] == "realtime.session" and got["expires_at"] == 0
    assert got["instructions"] == "You are a friendly assistant."
    assert got["audio"]["output"]["voice"] == "alloy"
    assert got["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 200
    assert got["audio"]["input"]["turn_detection"]["create_response"] is True  # defaults filled in
    # the same structure as a response recorded from the live service
    recorded = recorded_realtime()
    assert set(body) == {k for k in recorded if not k.startswith("_")}
    assert shape(got) == shape(recorded["session"])
    # the secret is registered: a call with it starts with this session
    stored = server.client_secrets.check(body["value"])
    assert stored.session["instructions"] == "You are a friendly assistant."


async def test_expires_after_and_empty_body(server):
    status, body = await post(server, "/realtime/client_secrets", {"expires_after": {"anchor": "created_at",
                                                                                     "seconds": 10}})
    assert status == 200 and body["expires_at"] <= time.time() + 10 + 1
    status, body = await post(server, "/realtime/client_secrets", "")
    assert status == 200 and body["session"]["model"] == "gpt-realtime"


@pytest.mark.parametrize(
    "body, code, param",
    [
        ("{not json", "invalid_json", None),
        ([], "invalid_type", None),
        ({"session": {"type": "realtime"}, "extra": 1}, "unknown_parameter", "extra"),
        ({"session": {"type": "realtime", "voice": "alloy"}}, "unknown_parameter", "session.voice"),
        ({"session": {"type": "realtime", "output_modalities": ["smell"]}}, "invalid_value",
         "session.output_modalities[0]"),
        ({"session": {"type": "transcription", "instructions": "x"}}, "unknown_parameter", "session.instructions"),
        ({"session": "realtime"}, "invalid_type", "session"),
        ({"expires_after": {"seconds": 5}}, "invalid_value", "expires_after.seconds"),
        ({"expires_after": {"seconds": 7201}}, "invalid_value", "expires_after.seconds"),
        ({"expires_after": {"seconds": "60"}}, "invalid_type", "expires_after.seconds"),
        ({"expires_after": {"anchor": "now", "seconds": 60}}, "invalid_value", "expires_after.anchor"),
        ({"expires_after": {"seconds": 60, "when": 1}}, "unknown_parameter", "expires_after.when"),
    ],
)
async def test_invalid_bodies_are_400_with_the_service_error_shape(server, body, code, param):
    status, answer = await post(server, "/realtime/client_secrets", body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"
    assert answer["error"]["code"] == code
    assert answer["error"]["param"] == param


@pytest.mark.parametrize("token", [None, "sk-wrong"])
async def test_minting_needs_the_api_key(server, token):
    status, body = await post(server, "/realtime/client_secrets", {})
    assert status == 200
    status, body = await post(server, "/realtime/client_secrets", {}, token=token)
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    assert KEY not in json.dumps(body)


async def test_an_ephemeral_secret_cannot_mint_another(server):
    _, minted = await post(server, "/realtime/client_secrets", {})
    status, body = await post(server, "/realtime/client_secrets", {}, token=minted["value"])
    assert status == 401
    assert server.credentials.accepts(minted["value"])  # but it is a credential for /v1/ (e.g. WebSocket)


async def test_without_an_api_key_anyone_may_mint():
    async with LocalRealtimeServer(speech=False) as server:
        status, body = await post(server, "/realtime/client_secrets", {}, token=None)
        assert status == 200 and body["value"].startswith("ek_")


def test_store_says_why_a_secret_is_refused():
    now = [1000.0]
    store = ClientSecretStore(Credentials(KEY), clock=lambda: now[0])
    secret = store.mint({"type": "realtime"}, expires_at=1060)
    assert store.check(secret.value) is secret
    with pytest.raises(SecretRefused) as info:
        store.check("ek_unknown")
    assert info.value.code == "invalid_client_secret"
    now[0] = 1061
    with pytest.raises(SecretRefused) as info:
        store.check(secret.value)
    assert info.value.code == "client_secret_expired" and "expired" in info.value.message
    now[0] = 1060 + 3601  # forgotten an hour after expiry, once another secret is minted
    store.mint({"type": "realtime"}, expires_at=now[0] + 60)
    with pytest.raises(SecretRefused) as info:
        store.check(secret.value)
    assert info.value.code == "invalid_client_secret"


# --- the calls endpoint's credential check (before any SDP is looked at) -------------------------------


@pytest.mark.parametrize(
    "token, code",
    [
        ("ek_not-a-minted-secret-000", "invalid_client_secret"),
        ("expired", "client_secret_expired"),
        ("sk-wrong", "invalid_api_key"),
        (None, "invalid_api_key"),
    ],
)
async def test_calls_refuse_bad_credentials_with_401_and_the_cause(server, token, code):
    if token == "expired":
        token = server.client_secrets.mint({"type": "realtime"}, expires_at=time.time() - 1).value
    status, body = await post(server, "/realtime/calls", "v=0\r\n", token=token,
                              headers={"Content-Type": "application/sdp"})
    assert status == 401
    assert body["error"]["code"] == code
    assert (token or "") not in body["error"]["message"] or not token


@pytest.mark.parametrize(
    "data, content_type, code",
    [("v=0\r\n", "application/sdp", "invalid_value"), ("{}", "application/json", "invalid_content_type"),
     (b"v=0\r\nm=audio \xff\xfe\xc3\x28\r\n", "application/sdp", "invalid_value"),  # not UTF-8
     ("v=0\r\nm=garbage\r\n", "application/sdp", "invalid_value"),  # UTF-8, not an offer aiortc can answer
     (bytes(range(256)), "application/sdp", "invalid_value")],
)
async def test_calls_need_an_sdp_offer(server, data, content_type, code):
    _, minted = await post(server, "/realtime/client_secrets", {})
    status, body = await post(server, "/realtime/calls", data, token=minted["value"],
                              headers={"Content-Type": content_type})
    assert status == 400 and body["error"]["code"] == code
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert not server.session_count and not server.app[CALLS_KEY]
