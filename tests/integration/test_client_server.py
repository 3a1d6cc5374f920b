"""Our client against the embedded server over real sockets: text turn, tool turn, history, onramp."""

from __future__ import annotations

import asyncio

import pytest
from semantic_kernel import Kernel
from semantic_kernel.agents import ChatCompletionAgent
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import (
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from tests.integration.plugins import WeatherPlugin


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False) as server:
        yield server


async def _until_done(client, n_responses: int = 1, timeout: float = 5.0) -> list:
    events, done = [], 0

    async def run():
        nonlocal done
        async for event in client.receive():
            events.append(event)
            if event.service_type == "response.done":
                done += 1
                if done == n_responses:
                    return

    await asyncio.wait_for(run(), timeout)
    return events


async def test_text_turn_round_trip(server):
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    async with client(settings=RealtimeExecutionSettings(output_modalities=["text"])):
        await client.send(RealtimeTextEvent(text=TextContent(text="Hello there")))
        await client.send(RealtimeEvent(service_type="response.create"))
        events = await _until_done(client)
    deltas = [e.text.text for e in events if isinstance(e, RealtimeTextEvent)]
    done = next(e for e in events if e.service_type == "response.output_text.done")
    assert "".join(deltas) == done.service_event["text"]
    assert "Hello there" in "".join(deltas)


async def test_tool_turn_with_auto_invocation_and_the_live_history(server):
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    seed = ChatHistory(system_message="You answer weather questions.")
    seed.add_user_message("Hi")
    seed.add_assistant_message("Hello! Ask me about the weather.")
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    settings = RealtimeExecutionSettings(output_modalities=["text"],
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with client(settings=settings, chat_history=seed, kernel=kernel):
        await client.send(RealtimeTextEvent(text=TextContent(text="Say something nice")))
        await client.send(RealtimeEvent(service_type="response.create"))
        await _until_done(client)
        await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")))
        await client.send(RealtimeEvent(service_type="response.create"))
        events = await _until_done(client, n_responses=2)
        history = client.chat_history
    assert weather.calls == ["Paris"]
    call = next(e for e in events if isinstance(e, RealtimeFunctionCallEvent)
                and e.service_type == "response.function_call_arguments.done")
    assert (call.function_call.plugin_name, call.function_call.function_name) == ("weather", "get_weather")
    assert any(isinstance(e, RealtimeFunctionResultEvent) for e in events)
    assert not [e for e in events if e.service_type == "error"]
    answer = [e.service_event["text"] for e in events if e.service_type == "response.output_text.done"][-1]
    assert "21 degrees and sunny in Paris" in answer

    roles = [(m.role, type(m.items[0]).__name__) for m in history.messages]
    assert roles == [
        (AuthorRole.SYSTEM, "TextContent"), (AuthorRole.USER, "TextContent"), (AuthorRole.ASSISTANT, "TextContent"),
        (AuthorRole.USER, "TextContent"), (AuthorRole.ASSISTANT, "TextContent"),
        (AuthorRole.USER, "TextContent"), (AuthorRole.ASSISTANT, "FunctionCallContent"),
        (AuthorRole.TOOL, "FunctionResultContent"), (AuthorRole.ASSISTANT, "TextContent"),
    ]
    assert history.messages[0].content == "You answer weather questions."
    assert history.messages[5].content == "What's the weather in Paris?"
    assert isinstance(history.messages[6].items[0], FunctionCallContent)
    assert isinstance(history.messages[7].items[0], FunctionResultContent)
    assert all(m.metadata.get("item_id") for m in history.messages)


async def test_update_session_changes_the_tools(server):
    kernel = Kernel()
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    settings = RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with client(settings=settings, kernel=kernel):
        assert client.session_settings.tools is None or client.session_settings.tools == []
        await client.update_session(plugins=[WeatherPlugin()])
        async for event in client.receive():
            if event.service_type == "session.updated" and event.service_event["session"].get("tools"):
                break
    assert [t["name"] for t in event.service_event["session"]["tools"]] == ["WeatherPlugin-get_weather"]


async def test_chat_completion_agent_answers_through_the_onramp(server):
    weather = WeatherPlugin()
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    agent = ChatCompletionAgent(service=client, name="weather", instructions="Answer briefly.", plugins=[weather])
    response = await asyncio.wait_for(agent.get_response(messages="What's the weather in Lisbon?"), 10)
    assert weather.calls == ["Lisbon"]
    assert "sunny in Lisbon" in str(response.content)


async def test_streaming_onramp_yields_text(server):
    client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
    history = ChatHistory()
    history.add_user_message("Hello")
    chunks = [c async for batch in client.get_streaming_chat_message_contents(history, RealtimeExecutionSettings())
              for c in batch]
    assert "Hello" in "".join(str(c) for c in chunks)


class TwoCallsResponder:
    """A model that calls two tools in one response, then answers with both results."""

    name = "two-calls"

    def __init__(self) -> None:
        self.requests = 0

    async def respond(self, request):
        from semantic_kernel_realtime.server import FunctionCall, TextDelta

        self.requests += 1
        outputs = [i["output"] for i in request.items if i.get("type") == "function_call_output"]
        if outputs:
            yield TextDelta(" and ".join(outputs))
        else:
            yield FunctionCall(name="weather-get_weather", arguments='{"location": "Paris"}')
            yield FunctionCall(name="weather-get_weather", arguments='{"location": "Rome"}')


async def test_two_calls_in_one_response_then_one_answer_and_no_active_response_error():
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    responder = TwoCallsResponder()
    async with LocalRealtimeServer(speech=False, responder=responder) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        settings = RealtimeExecutionSettings(output_modalities=["text"],
                                             function_choice_behavior=FunctionChoiceBehavior.Auto())
        async with client(settings=settings, kernel=kernel):
            await client.send(RealtimeTextEvent(text=TextContent(text="Weather in Paris and Rome?")))
            await client.send(RealtimeEvent(service_type="response.create"))
            events = await _until_done(client, n_responses=2)
            await asyncio.sleep(0.2)  # anything the server would still say about a second response.create
            late = []
            while not client.receive_buffer.empty():
                late.append(client.receive_buffer.get_nowait())
    assert sorted(weather.calls) == ["Paris", "Rome"]
    assert responder.requests == 2  # exactly one response.create after the two outputs
    assert [e for e in events + late if e.service_type == "error"] == []
    answer = [e.service_event["text"] for e in events if e.service_type == "response.output_text.done"][-1]
    assert "Paris" in answer and "Rome" in answer
