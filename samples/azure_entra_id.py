"""Azure OpenAI realtime with Microsoft Entra ID (no API key): a token is fetched on every connect.

With AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME set, it signs in with
``DefaultAzureCredential`` (az login, managed identity, environment...) and talks to your deployment
(``pip install 'semantic-kernel-realtime[azure]'`` for ``azure-identity``).
Otherwise it says so and runs against the embedded offline server, with a token provider whose token
the server requires.

    .venv/bin/python samples/azure_entra_id.py
"""

import asyncio
import os

from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import AzureRealtimeExecutionSettings, AzureRealtimeWebsocket, LocalRealtimeServer

OFFLINE_TOKEN = "offline-entra-token"


async def ask(client: AzureRealtimeWebsocket, question: str) -> None:
    async with client(settings=AzureRealtimeExecutionSettings(output_modalities=["text"])):
        print(f"user: {question}")
        await client.send(RealtimeTextEvent(text=TextContent(text=question)))
        await client.send(RealtimeEvent(service_type="response.create"))
        async for event in client.receive():
            if event.service_type == "response.output_text.done":
                print(f"assistant: {event.service_event['text']}")
            elif event.service_type == "response.done":
                break


async def with_azure() -> None:
    from azure.identity.aio import DefaultAzureCredential

    async with DefaultAzureCredential() as credential:
        # endpoint and deployment come from AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME
        await ask(AzureRealtimeWebsocket(credential=credential), "Hello from Entra ID!")


async def offline() -> None:
    async def token_provider() -> str:  # stands in for azure.identity's get_bearer_token_provider
        print("(token provider called: fetching a fresh Entra token)")
        return OFFLINE_TOKEN

    async with embedded_azure_server() as server:
        endpoint = server.base_url.removesuffix("/v1")  # http://127.0.0.1:PORT, like https://<resource>...
        client = AzureRealtimeWebsocket(endpoint=endpoint, deployment_name="gpt-realtime",
                                        ad_token_provider=token_provider)
        await ask(client, "Hello from Entra ID!")


def embedded_azure_server() -> LocalRealtimeServer:
    """The embedded server requiring the offline token; it serves Azure's GA paths (/openai/v1/...) too."""
    return LocalRealtimeServer(api_key=OFFLINE_TOKEN, speech=False)


if __name__ == "__main__":
    if os.environ.get("AZURE_OPENAI_ENDPOINT") and os.environ.get("AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME"):
        asyncio.run(with_azure())
    else:
        print("AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME not set: "
              "running against the embedded offline server with a token provider.")
        asyncio.run(offline())
