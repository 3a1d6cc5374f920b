"""A ``ChatHistory`` mirror of the live conversation, built from server events.

Rules: one message per conversation item, in the conversation's item order (the decoder's state).
User text items and user audio transcripts (when the session transcribes input) are user messages;
assistant text and audio transcripts assistant messages; ``function_call`` items assistant messages with
a ``FunctionCallContent``; ``function_call_output`` items tool messages with a ``FunctionResultContent``;
system items system messages. Every message carries ``item_id`` in its metadata. Items with no words
yet (audio not transcribed) are left out until their words arrive; deleted items disappear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvents
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole

from semantic_kernel_realtime.protocol import canonical_type, split_function_name

_ROLES = {"user": AuthorRole.USER, "assistant": AuthorRole.ASSISTANT, "system": AuthorRole.SYSTEM}
_TEXT_PARTS = ("input_text", "output_text", "text")
_AUDIO_PARTS = ("input_audio", "output_audio", "audio")


class LiveChatHistory:
    """Observer that keeps the conversation as SK messages; read it through :attr:`chat_history`."""

    #: The GA event types :meth:`observe` acts on (the client shows it no others).
    EVENT_TYPES = frozenset({
        "conversation.item.added", "conversation.item.done", "conversation.item.retrieved",
        "response.output_item.done", "conversation.item.input_audio_transcription.completed",
        "response.output_audio_transcript.done", "response.output_text.done", "conversation.item.deleted",
    })

    def __init__(self, item_order: Callable[[], list[str]]) -> None:
        self._order = item_order
        self._messages: dict[str, ChatMessageContent] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "conversation.item.added": self._item,
            "conversation.item.done": self._item,
            "conversation.item.retrieved": self._item,
            "response.output_item.done": self._item,
            "conversation.item.input_audio_transcription.completed": self._user_transcript,
            "response.output_audio_transcript.done": self._assistant_text("transcript"),
            "response.output_text.done": self._assistant_text("text"),
            "conversation.item.deleted": self._deleted,
        }

    def observe(self, event: RealtimeEvents) -> None:
        handler = self._handlers.get(canonical_type(event.service_type or ""))
        if handler is not None and isinstance(event.service_event, dict):
            try:
                handler(event.service_event)
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # the decoder already reported malformed events; the mirror just skips them

    @property
    def chat_history(self) -> ChatHistory:
        order = self._order()
        known = [item_id for item_id in order if item_id in self._messages]
        known += [item_id for item_id in self._messages if item_id not in set(order)]
        return ChatHistory(messages=[self._messages[i] for i in known if _has_words(self._messages[i])])

    # -- handlers ------------------------------------------------------------------------------------

    def _item(self, event: dict[str, Any]) -> None:
        item = event["item"]
        item_id = item["id"]
        kind = item.get("type")
        metadata = {"item_id": item_id}
        if kind == "message":
            role = _ROLES.get(item.get("role", ""))
            if role is None:
                return
            text = _words(item.get("content") or [])
            previous = self._messages.get(item_id)
            if not text and previous is not None:
                return  # an echo without words must not erase a transcript we already have
            self._messages[item_id] = ChatMessageContent(role=role, content=text or "", metadata=metadata)
        elif kind == "function_call":
            plugin, function = split_function_name(item.get("name") or "")
            call = FunctionCallContent(id=item_id, call_id=item.get("call_id"), name=item.get("name"),
                                       plugin_name=plugin, function_name=function,
                                       arguments=item.get("arguments") or "{}")
            self._messages[item_id] = ChatMessageContent(role=AuthorRole.ASSISTANT, items=[call], metadata=metadata)
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            name = self._function_name(call_id)
            plugin, function = split_function_name(name)
            result = FunctionResultContent(id=item_id, call_id=call_id, plugin_name=plugin, function_name=function,
                                           result=item.get("output", ""))
            self._messages[item_id] = ChatMessageContent(role=AuthorRole.TOOL, items=[result], metadata=metadata)

    def _user_transcript(self, event: dict[str, Any]) -> None:
        self._set_text(event["item_id"], AuthorRole.USER, event.get("transcript") or "")

    def _assistant_text(self, field: str) -> Callable[[dict[str, Any]], None]:
        def handle(event: dict[str, Any]) -> None:
            self._set_text(event["item_id"], AuthorRole.ASSISTANT, event.get(field) or "")

        return handle

    def _deleted(self, event: dict[str, Any]) -> None:
        self._messages.pop(event["item_id"], None)

    def _set_text(self, item_id: str, role: AuthorRole, text: str) -> None:
        if not text:
            return
        message = self._messages.get(item_id)
        if message is None:
            self._messages[item_id] = ChatMessageContent(role=role, content=text, metadata={"item_id": item_id})
        else:
            message.items = [TextContent(text=text)]

    def _function_name(self, call_id: str | None) -> str:
        for message in self._messages.values():
            for content in message.items:
                if isinstance(content, FunctionCallContent) and content.call_id == call_id:
                    return content.name or ""
        return ""


def _words(content: list[Any]) -> str:
    parts = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") in _TEXT_PARTS and part.get("text"):
            parts.append(part["text"])
        elif part.get("type") in _AUDIO_PARTS and part.get("transcript"):
            parts.append(part["transcript"])
    return " ".join(parts)


def _has_words(message: ChatMessageContent) -> bool:
    return any(not isinstance(i, TextContent) or i.text for i in message.items) and bool(message.items)
