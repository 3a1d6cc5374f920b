"""Connector configuration: URLs, credentials per connect, environment variables, secrets kept out of sight."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI
from semantic_kernel.exceptions import ServiceInitializationError

from semantic_kernel_realtime import AzureRealtimeWebsocket, OpenAIRealtimeWebsocket
from tests.client.loopback import LoopbackServer


async def test_openai_uses_an_async_openai_clients_base_url_and_key():
    async with LoopbackServer() as server:
        sdk = AsyncOpenAI(base_url=server.base_url, api_key="sk-from-the-sdk-client")
        client = OpenAIRealtimeWebsocket(client=sdk, ai_model_id="gpt-realtime-mini")
        async with client():
            await server.connected.wait()
        assert server.path == "/v1/realtime?model=gpt-realtime-mini"
        assert server.headers["authorization"] == "Bearer sk-from-the-sdk-client"


def test_openai_reads_semantic_kernels_environment_variables(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    monkeypatch.setenv("OPENAI_REALTIME_MODEL_ID", "gpt-realtime-env")
    client = OpenAIRealtimeWebsocket()
    assert client.ai_model_id == "gpt-realtime-env"
    assert client.api_key.get_secret_value() == "sk-env-key"
    assert "sk-env-key" not in repr(client)


async def test_azure_ga_endpoint_and_an_entra_token_fetched_on_every_connect():
    tokens = iter(["entra-token-1", "entra-token-2"])
    calls = []

    async def token_provider() -> str:
        calls.append(1)
        return next(tokens)

    async with LoopbackServer() as server:
        client = AzureRealtimeWebsocket(endpoint=server.base_url.removesuffix("/v1"), deployment_name="my-rt",
                                        ad_token_provider=token_provider)
        seen = []
        for _ in range(2):
            server.connected.clear()
            async with client():
                await server.connected.wait()
                seen.append(server.headers["authorization"])
        assert server.path == "/openai/v1/realtime?model=my-rt"
    assert seen == ["Bearer entra-token-1", "Bearer entra-token-2"]
    assert len(calls) == 2


async def test_azure_credential_object_and_api_key_header():
    class Credential:
        def __init__(self):
            self.scopes = []

        def get_token(self, scope):
            self.scopes.append(scope)
            return type("AccessToken", (), {"token": "cred-token"})()

    credential = Credential()
    async with LoopbackServer() as server:
        client = AzureRealtimeWebsocket(endpoint=server.base_url.removesuffix("/v1"), deployment_name="d",
                                        credential=credential)
        async with client():
            await server.connected.wait()
        assert server.headers["authorization"] == "Bearer cred-token"
        assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]
        keyed = AzureRealtimeWebsocket(endpoint=server.base_url.removesuffix("/v1"), deployment_name="d",
                                       api_key="azure-secret-key")
        server.connected.clear()
        async with keyed():
            await server.connected.wait()
        assert server.headers["api-key"] == "azure-secret-key"
        assert "azure-secret-key" not in repr(keyed)


def test_azure_without_endpoint_or_credentials_says_what_is_missing(monkeypatch):
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ServiceInitializationError, match="endpoint and a deployment"):
        AzureRealtimeWebsocket()
    with pytest.raises(ServiceInitializationError, match="api_key, an ad_token_provider or a credential"):
        AzureRealtimeWebsocket(endpoint="https://x.openai.azure.com", deployment_name="d")


async def test_azure_against_the_embedded_servers_ga_path_with_key_checks():
    from semantic_kernel.contents.realtime_events import RealtimeEvent

    from semantic_kernel_realtime.server import LocalRealtimeServer
    from semantic_kernel_realtime.transports import AuthenticationError

    async with LocalRealtimeServer(api_key="azure-right-key", speech=False) as server:
        endpoint = server.base_url.removesuffix("/v1")
        client = AzureRealtimeWebsocket(endpoint=endpoint, deployment_name="d", api_key="azure-right-key")
        async with client():
            await client.send(RealtimeEvent(service_type="response.create"))
            async for event in client.receive():
                if event.service_type == "response.done":
                    break
        wrong = AzureRealtimeWebsocket(endpoint=endpoint, deployment_name="d", api_key="azure-wrong-key")
        with pytest.raises(AuthenticationError, match="401"):
            await wrong.create_session()
