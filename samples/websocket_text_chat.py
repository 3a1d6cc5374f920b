"""Text chat with a realtime model over WebSocket.

Runs against the embedded offline server (no key needed). For OpenAI, replace the server block with
``client = OpenAIRealtimeWebsocket()``, which reads OPENAI_API_KEY and OPENAI_REALTIME_MODEL_ID.

    .venv/bin/python samples/websocket_text_chat.py
"""

import asyncio

from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import LocalRealtimeServer, OpenAIRealtimeWebsocket, RealtimeExecutionSettings


async def chat(client: OpenAIRealtimeWebsocket, questions: list[str]) -> None:
    settings = RealtimeExecutionSettings(output_modalities=["text"], instructions="Be brief.")
    async with client(settings=settings):
        for question in questions:
            print(f"user: {question}")
            await client.send(RealtimeTextEvent(text=TextContent(text=question)))
            await client.send(RealtimeEvent(service_type="response.create"))
            print("assistant: ", end="", flush=True)
            async for event in client.receive():
                if event.service_type == "response.output_text.delta":
                    print(event.text.text, end="", flush=True)
                elif event.service_type == "response.done":
                    print()
                    break


async def main() -> None:
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="not-needed-offline", base_url=server.base_url)
        await chat(client, ["Hello there!", "Tell me something about realtime APIs."])


if __name__ == "__main__":
    asyncio.run(main())
