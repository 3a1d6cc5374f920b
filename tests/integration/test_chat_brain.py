"""The chat-completion brain end to end: the embedded server answering with a Semantic Kernel chat service.

Our client (kernel, auto function calling) talks to a server whose responder is ``ChatCompletionResponder``
over (1) a scripted chat service that declares OpenAI chat-completions tools, and (2) the project's own
realtime client, pointed at a second embedded server: its tools must be the flat realtime shape, prepared by
its own function-choice callback.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.function_calling_utils import update_settings_from_function_call_configuration
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.contents import AuthorRole, FunctionCallContent, StreamingChatMessageContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.server.sk_responder import ChatCompletionResponder
from tests.integration.plugins import WeatherPlugin


class ScriptedChat(ChatCompletionClientBase):
    """A chat service that asks for the weather once, then answers with the tool's result."""

    SUPPORTS_FUNCTION_CALLING: ClassVar[bool] = True
    seen: list[Any] = []

    def get_prompt_execution_settings_class(self):
        return OpenAIChatPromptExecutionSettings

    def _update_function_choice_settings_callback(self):
        return update_settings_from_function_call_configuration

    async def _inner_get_streaming_chat_message_contents(self, chat_history, settings, function_invoke_attempt=0):
        self.seen.append(settings)
        results = [i for m in chat_history.messages for i in m.items if type(i).__name__ == "FunctionResultContent"]
        if not results:
            call = FunctionCallContent(id="call_1", index=0, name="weather-get_weather",
                                       arguments='{"location": "Paris"}')
            yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, choice_index=0, items=[call])]
            return
        yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, choice_index=0,
                                           content=f"It is {results[-1].result}.")]


async def _ask(base_url: str, question: str, kernel: Kernel, *, responses: int) -> list:
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=base_url)
    settings = RealtimeExecutionSettings(output_modalities=["text"], turn_detection=None,
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    events: list = []
    async with client(settings=settings, kernel=kernel):
        await client.send(RealtimeTextEvent(text=TextContent(text=question)))
        await client.send(RealtimeEvent(service_type="response.create"))

        async def until_answered():
            done = 0
            async for event in client.receive():
                events.append(event)
                if event.service_type == "response.done":
                    done += 1
                    if done == responses:
                        return

        await asyncio.wait_for(until_answered(), 30)
    return events


def _kernel() -> tuple[Kernel, WeatherPlugin]:
    kernel, weather = Kernel(), WeatherPlugin()
    kernel.add_plugin(weather, "weather")
    return kernel, weather


async def test_a_scripted_chat_service_as_the_brain_runs_the_tool_loop():
    chat = ScriptedChat(ai_model_id="scripted", seen=[])
    kernel, weather = _kernel()
    async with LocalRealtimeServer(speech=False, responder=ChatCompletionResponder(chat)) as server:
        events = await _ask(server.base_url, "What is the weather in Paris?", kernel, responses=2)
    tools = chat.seen[0].tools
    assert tools and all(t["type"] == "function" and "function" in t for t in tools)  # chat-completions shape
    assert {t["function"]["name"] for t in tools} >= {"weather-get_weather"}
    assert chat.seen[0].tool_choice == "auto"
    answer = "".join(e.text.text for e in events if isinstance(e, RealtimeTextEvent))
    assert weather.calls and "Paris" in str(weather.calls[0])
    assert answer.startswith("It is ")


async def test_our_own_realtime_client_as_the_brain():
    kernel, weather = _kernel()
    async with LocalRealtimeServer(speech=False) as inner:
        brain = OpenAIRealtimeWebsocket(api_key="x", base_url=inner.base_url)
        async with LocalRealtimeServer(speech=False, responder=ChatCompletionResponder(brain)) as outer:
            events = await _ask(outer.base_url, "Hello there", kernel, responses=1)
    errors = [e for e in events if e.service_type == "error"]
    assert not errors, errors
    done = next(e for e in events if e.service_type == "response.done").service_event["response"]
    assert done["status"] == "completed", done
    answer = "".join(e.text.text for e in events if isinstance(e, RealtimeTextEvent))
    assert "Hello there" in answer  # the inner server's rule responder echoes the user
