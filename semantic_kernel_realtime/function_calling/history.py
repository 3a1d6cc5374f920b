"""A ``ChatHistory`` mirror of the live conversation, built from protocol-neutral signals.

Rules: one message per conversation item, in the conversation's order (each :class:`ItemAdded` goes after
its ``previous_item_id`` when that is known, else at the end; an item already placed keeps its place).
Message items become user / assistant / system messages with their words; ``function_call`` items
assistant messages with a ``FunctionCallContent``; ``function_call_output`` items tool messages with a
``FunctionResultContent``. :class:`ItemText` (a user transcript, the assistant's final text or audio
transcript) sets an item's words. Every message carries ``item_id`` in its metadata. Items with no words
yet (audio not transcribed) are left out until their words arrive; :class:`ItemRemoved` items disappear.
The mirror reads no wire shape: any codec's signals feed it.
"""

from __future__ import annotations

from collections.abc import Callable

from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole

from semantic_kernel_realtime.protocol.base import Item, ItemAdded, ItemRemoved, ItemText, Signal, split_function_name

_ROLES = {"user": AuthorRole.USER, "assistant": AuthorRole.ASSISTANT, "system": AuthorRole.SYSTEM}


class LiveChatHistory:
    """Observer of signals that keeps the conversation as SK messages; read it through :attr:`chat_history`."""

    #: The signal types :meth:`observe` acts on (the connection shows it no others).
    SIGNALS = frozenset({ItemAdded, ItemRemoved, ItemText})

    def __init__(self) -> None:
        self._order: list[str] = []
        self._messages: dict[str, ChatMessageContent] = {}
        self._call_names: dict[str, str] = {}
        self._handlers: dict[type, Callable[[Signal], None]] = {
            ItemAdded: self._added,  # type: ignore[dict-item]
            ItemRemoved: self._removed,  # type: ignore[dict-item]
            ItemText: self._text,  # type: ignore[dict-item]
        }

    def observe(self, signal: Signal) -> None:
        handler = self._handlers.get(type(signal))
        if handler is not None:
            handler(signal)

    @property
    def chat_history(self) -> ChatHistory:
        placed = set(self._order)
        known = [item_id for item_id in self._order if item_id in self._messages]
        known += [item_id for item_id in self._messages if item_id not in placed]
        return ChatHistory(messages=[self._messages[i] for i in known if _has_words(self._messages[i])])

    # -- handlers ------------------------------------------------------------------------------------

    def _added(self, signal: ItemAdded) -> None:
        item = signal.item
        self._place(item.id, signal.previous_item_id)
        message = self._message(item)
        if message is not None:
            self._messages[item.id] = message

    def _removed(self, signal: ItemRemoved) -> None:
        self._messages.pop(signal.item_id, None)
        if signal.item_id in self._order:
            self._order.remove(signal.item_id)

    def _text(self, signal: ItemText) -> None:
        message = self._messages.get(signal.item_id)
        if message is None:
            role = _ROLES.get(signal.role, AuthorRole.USER)
            self._messages[signal.item_id] = ChatMessageContent(role=role, content=signal.text,
                                                                metadata={"item_id": signal.item_id})
        else:
            message.items = [TextContent(text=signal.text)]

    # -- internals -----------------------------------------------------------------------------------

    def _place(self, item_id: str, previous_item_id: str | None) -> None:
        if item_id in self._order:
            return
        if previous_item_id is not None and previous_item_id in self._order:
            self._order.insert(self._order.index(previous_item_id) + 1, item_id)
        else:
            self._order.append(item_id)

    def _message(self, item: Item) -> ChatMessageContent | None:
        metadata = {"item_id": item.id}
        if item.kind == "message":
            role = _ROLES.get(item.role or "")
            if role is None:
                return None
            if not item.text and item.id in self._messages:
                return None  # an echo without words must not erase a transcript we already have
            return ChatMessageContent(role=role, content=item.text, metadata=metadata)
        if item.kind == "function_call":
            name = item.name or ""
            if item.call_id:
                self._call_names[item.call_id] = name
            plugin, function = split_function_name(name)
            call = FunctionCallContent(id=item.id, call_id=item.call_id, name=item.name, plugin_name=plugin,
                                       function_name=function, arguments=item.arguments or "{}")
            return ChatMessageContent(role=AuthorRole.ASSISTANT, items=[call], metadata=metadata)
        if item.kind == "function_call_output":
            plugin, function = split_function_name(self._call_names.get(item.call_id or "", ""))
            result = FunctionResultContent(id=item.id, call_id=item.call_id, plugin_name=plugin,
                                           function_name=function, result=item.output or "")
            return ChatMessageContent(role=AuthorRole.TOOL, items=[result], metadata=metadata)
        return None


def _has_words(message: ChatMessageContent) -> bool:
    return any(not isinstance(i, TextContent) or i.text for i in message.items) and bool(message.items)
