"""Connector configuration: URLs, credentials per connect, environment variables, secrets kept out of sight."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI
from semantic_kernel.exceptions import ServiceInitializationError

from semantic_kernel_realtime import (
    AzureRealtimeWebRTC,
    AzureRealtimeWebsocket,
    ConfigurationError,
    OpenAIRealtimeWebRTC,
    OpenAIRealtimeWebsocket,
)
from tests.client.loopback import LoopbackServer

OPENAI_VARIABLES = ("OPENAI_API_KEY", "OPENAI_REALTIME_MODEL_ID")
AZURE_VARIABLES = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME", "AZURE_OPENAI_API_KEY",
                   "AZURE_OPENAI_TOKEN_ENDPOINT", "AZURE_OPENAI_BASE_URL")


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No OpenAI/Azure variables, and a working directory without a ``.env`` file."""
    for name in OPENAI_VARIABLES + AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


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


def test_azure_without_endpoint_or_credentials_says_what_is_missing(clean_environment):
    with pytest.raises(ServiceInitializationError, match="endpoint and a deployment") as missing:
        AzureRealtimeWebsocket()
    assert missing.value.environment_variables == ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY .* or credential=") as no_key:
        AzureRealtimeWebsocket(endpoint="https://x.openai.azure.com", deployment_name="d")
    assert no_key.value.environment_variables == ("AZURE_OPENAI_API_KEY",)
    with pytest.raises(ConfigurationError, match="or client_secret="):
        AzureRealtimeWebRTC(endpoint="https://x.openai.azure.com", deployment_name="d")


@pytest.mark.parametrize("cls", [OpenAIRealtimeWebsocket, OpenAIRealtimeWebRTC])
def test_openai_without_a_key_fails_at_construction_naming_the_variable(clean_environment, cls):
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as error:
        cls(base_url="http://127.0.0.1:9/v1")
    assert isinstance(error.value, ServiceInitializationError)  # Semantic Kernel's handlers catch it too
    assert isinstance(error.value, ValueError)
    assert error.value.environment_variables == ("OPENAI_API_KEY",)


def test_a_webrtc_client_secret_stands_in_for_the_key(clean_environment):
    client = OpenAIRealtimeWebRTC(client_secret="ek_minted_by_a_backend")
    assert client.api_key is None and client.client_secret.get_secret_value() == "ek_minted_by_a_backend"


def test_openai_reads_semantic_kernels_env_file(clean_environment):
    env_file = clean_environment / "realtime.env"
    env_file.write_text("OPENAI_API_KEY=sk-from-file\nOPENAI_REALTIME_MODEL_ID=gpt-realtime-file\n")
    client = OpenAIRealtimeWebsocket(env_file_path=str(env_file))
    assert (client.api_key.get_secret_value(), client.ai_model_id) == ("sk-from-file", "gpt-realtime-file")


def test_azure_reads_semantic_kernels_azure_settings_from_an_env_file(clean_environment):
    env_file = clean_environment / "azure.env"
    env_file.write_text("AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com/\n"
                        "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME=my-realtime\n"
                        "AZURE_OPENAI_API_KEY=azure-key-from-file\n"
                        "AZURE_OPENAI_TOKEN_ENDPOINT=https://example.invalid/.default\n")
    client = AzureRealtimeWebsocket(env_file_path=str(env_file))
    assert (client.endpoint, client.deployment_name) == ("https://my-resource.openai.azure.com", "my-realtime")
    assert client.api_key.get_secret_value() == "azure-key-from-file"
    assert client.token_scope == "https://example.invalid/.default"
    assert client.realtime_endpoint.websocket_url("my-realtime") == (
        "wss://my-resource.openai.azure.com/openai/v1/realtime?model=my-realtime")
    with_token = AzureRealtimeWebsocket(env_file_path=str(env_file), ad_token_provider=lambda: "t")
    assert with_token.api_key is None  # an Entra credential given: the file's key is not used


def test_a_bad_setting_is_a_configuration_error_naming_the_variable(clean_environment, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://not-https.example")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT.*https") as error:
        AzureRealtimeWebsocket(deployment_name="d", api_key="k")
    assert error.value.environment_variables == ("AZURE_OPENAI_ENDPOINT",)


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
