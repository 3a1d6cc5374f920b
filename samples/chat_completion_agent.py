"""The realtime client as the chat-completion service of a Semantic Kernel ``ChatCompletionAgent``.

Each ``get_response`` opens a short realtime session, sends the conversation, runs the tools the model
calls and returns the answer: an agent written for chat completion works on a realtime model unchanged.
Runs against the embedded offline server; for OpenAI use ``OpenAIRealtimeWebsocket()``.

    .venv/bin/python samples/chat_completion_agent.py
"""

import asyncio
from datetime import datetime, timezone
from typing import Annotated

from semantic_kernel.agents import ChatCompletionAgent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import LocalRealtimeServer, OpenAIRealtimeWebsocket


class TravelPlugin:
    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "The city"]) -> str:
        return f"It is 24 degrees and sunny in {location} (sample data)."

    @kernel_function(description="Get the current UTC time.")
    def get_utc_time(self) -> str:
        return datetime.now(timezone.utc).strftime("%H:%M UTC")


async def main() -> None:
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="not-needed-offline", base_url=server.base_url)
        agent = ChatCompletionAgent(
            service=client, name="travel", instructions="Answer briefly.", plugins=[TravelPlugin()]
        )
        thread = None
        for question in ["What's the weather in Lisbon?", "Thanks! Anything else?"]:
            print(f"user: {question}")
            response = await agent.get_response(messages=question, thread=thread)
            thread = response.thread
            print(f"{agent.name}: {response.content}")


if __name__ == "__main__":
    asyncio.run(main())
