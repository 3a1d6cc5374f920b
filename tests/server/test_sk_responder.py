"""sk_responder.py: a Semantic Kernel chat service as the brain (a scripted service subclass, no network)."""

import json
from typing import Any, ClassVar

from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.function_calling_utils import update_settings_from_function_call_configuration
from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.contents import AuthorRole, FunctionCallContent, StreamingChatMessageContent

from semantic_kernel_realtime.server.responder import FunctionCall, ResponseRequest, TextDelta
from semantic_kernel_realtime.server.sk_responder import ChatCompletionResponder, to_chat_history

WEATHER = {"type": "function", "name": "weather-get_weather", "description": "Get the weather",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}


class ScriptedChat(ChatCompletionClientBase):
    """A real ChatCompletionClientBase whose 'model' replays a script and records what it was asked."""

    SUPPORTS_FUNCTION_CALLING: ClassVar[bool] = True
    script: list[Any] = []
    seen: list[Any] = []

    def get_prompt_execution_settings_class(self):
        return OpenAIChatPromptExecutionSettings

    def _update_function_choice_settings_callback(self):
        return update_settings_from_function_call_configuration  # what OpenAI's chat connector declares

    async def _inner_get_streaming_chat_message_contents(self, chat_history, settings, function_invoke_attempt=0):
        self.seen.append((chat_history, settings))
        for part in self.script:
            if isinstance(part, str):
                yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, choice_index=0, content=part)]
            else:
                yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, choice_index=0, items=[part])]


async def collect(responder, request):
    return [out async for out in responder.respond(request)]


def user(text):
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def test_streams_text_and_offers_the_tools():
    chat = ScriptedChat(ai_model_id="scripted", script=["Hel", "lo!"], seen=[])
    outputs = await collect(ChatCompletionResponder(chat), ResponseRequest(
        items=[user("hi")], instructions="Be brief.", tools=[WEATHER]))
    assert outputs == [TextDelta("Hel"), TextDelta("lo!")]
    history, settings = chat.seen[0]
    assert [m.role for m in history.messages] == [AuthorRole.SYSTEM, AuthorRole.USER]
    assert settings.tools[0]["function"]["name"] == "weather-get_weather" and settings.tool_choice == "auto"


async def test_function_calls_come_back_as_calls():
    call = FunctionCallContent(id="c1", index=0, name="weather-get_weather", arguments='{"location": "Paris"}')
    chat = ScriptedChat(ai_model_id="scripted", script=[call], seen=[])
    outputs = await collect(ChatCompletionResponder(chat), ResponseRequest(items=[user("weather?")], tools=[WEATHER]))
    assert outputs == [FunctionCall("weather-get_weather", '{"location": "Paris"}')]


def test_items_map_to_a_chat_history():
    history = to_chat_history(ResponseRequest(items=[
        user("weather in Paris?"),
        {"type": "message", "role": "user", "content": [{"type": "input_audio", "transcript": None}]},
        {"type": "function_call", "call_id": "c1", "name": "weather-get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": json.dumps({"sky": "clear"})},
        {"type": "message", "role": "assistant", "content": [{"type": "output_audio", "transcript": "Clear."}]},
    ]))
    roles = [m.role for m in history.messages]
    assert roles == [AuthorRole.USER, AuthorRole.USER, AuthorRole.ASSISTANT, AuthorRole.TOOL, AuthorRole.ASSISTANT]
    assert history.messages[1].content == "[inaudible audio]"
    assert history.messages[3].items[0].result == '{"sky": "clear"}'
    assert history.messages[4].content == "Clear."


async def test_plugged_into_the_server_over_the_sdk():
    from openai import AsyncOpenAI

    from semantic_kernel_realtime.server import LocalRealtimeServer

    chat = ScriptedChat(ai_model_id="scripted", script=["Bonjour", " !"], seen=[])
    async with LocalRealtimeServer(speech=False, responder=ChatCompletionResponder(chat)) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="x")
        async with client.realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await connection.response.create()
            while (event := await connection.recv()).type != "response.done":
                pass
            assert event.response.output[0].content[0].text == "Bonjour !"
