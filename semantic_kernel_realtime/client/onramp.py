"""The chat-completion onramp: a text turn on a realtime session, for SK's ``ChatCompletionClientBase`` API.

Rules: each request opens a short-lived text-only session on a sibling client (same connector settings,
its own queues, no kernel: Semantic Kernel's own auto-invocation loop runs the tools), seeds the chat
history, asks for one response and turns it into SK content: assistant text deltas -> text, completed
calls -> ``FunctionCallContent``. It reads the codec's signals, not wire shapes, so it works for every
codec. A service error or a session that ends early raises ``ServiceResponseException``. A live voice
session on the same client is not touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.streaming_chat_message_content import StreamingChatMessageContent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole
from semantic_kernel.exceptions import ServiceResponseException

from semantic_kernel_realtime.events import SessionEndedEvent
from semantic_kernel_realtime.protocol.base import CallCompleted, ResponseEnded, ServiceError

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase


def sibling(client: RealtimeClientBase) -> RealtimeClientBase:
    """A client with the same configuration and fresh queues and state (no kernel)."""
    fields = {name: getattr(client, name) for name in type(client).model_fields
              if name not in ("send_buffer", "receive_buffer", "audio_output_callback")}
    return type(client).model_construct(**fields, send_buffer=asyncio.Queue(), receive_buffer=asyncio.Queue())


async def stream_turn(
    client: RealtimeClientBase, chat_history: ChatHistory, settings: PromptExecutionSettings | None
) -> AsyncGenerator[RealtimeEvent, None]:
    """Run one text turn; yield assistant text deltas and completed calls until the response ends."""
    session = sibling(client)
    codec = session._codec_class()
    async with session(chat_history=chat_history, settings=codec.text_only(settings)):
        await session.request_response()
        async for event in session.receive():
            if isinstance(event, RealtimeTextEvent) and event.text.metadata.get("role") == "assistant":
                yield event
                continue
            if isinstance(event, SessionEndedEvent):
                raise ServiceResponseException(f"the realtime session ended before the answer: {event.cause}")
            for signal in codec.signals(event):
                if isinstance(signal, CallCompleted):
                    yield event
                elif isinstance(signal, ServiceError):
                    raise ServiceResponseException(f"the realtime service refused the turn: {signal.message}")
                elif isinstance(signal, ResponseEnded):
                    return
    raise ServiceResponseException("the realtime session ended before the answer")


async def chat_message(
    client: RealtimeClientBase, chat_history: ChatHistory, settings: PromptExecutionSettings | None
) -> ChatMessageContent:
    text: list[str] = []
    calls: list[FunctionCallContent] = []
    async for event in stream_turn(client, chat_history, settings):
        if isinstance(event, RealtimeTextEvent):
            text.append(event.text.text)
        else:
            calls.append(event.function_call)  # type: ignore[attr-defined]
    items: list[Any] = ([TextContent(text="".join(text))] if text else []) + calls
    return ChatMessageContent(role=AuthorRole.ASSISTANT, items=items, ai_model_id=client.ai_model_id)


async def streaming_chat_messages(
    client: RealtimeClientBase, chat_history: ChatHistory, settings: PromptExecutionSettings | None,
    function_invoke_attempt: int = 0,
) -> AsyncGenerator[list[StreamingChatMessageContent], None]:
    async for event in stream_turn(client, chat_history, settings):
        if isinstance(event, RealtimeTextEvent):
            yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, content=event.text.text, choice_index=0,
                                               ai_model_id=client.ai_model_id,
                                               function_invoke_attempt=function_invoke_attempt)]
        else:
            yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, items=[event.function_call],  # type: ignore[attr-defined]
                                               choice_index=0, ai_model_id=client.ai_model_id,
                                               function_invoke_attempt=function_invoke_attempt)]
