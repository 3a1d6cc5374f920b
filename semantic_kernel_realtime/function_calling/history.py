"""A ``ChatHistory`` mirror of the live conversation, built from protocol-neutral signals.

Rules:
- One message per conversation item, in the conversation's order: each :class:`ItemAdded` goes after its
  ``previous_item_id`` when that is known, else at the end; an item already placed keeps its place. An
  ``update_only`` item (a response's output, which out-of-band responses report too) only updates an
  item already there, so out-of-band output never enters the mirror; :class:`ItemRemoved` items leave it.
- Message items become user / assistant / system messages with their words; ``function_call`` items
  assistant messages with a ``FunctionCallContent`` (its ``arguments`` empty until they are complete: the
  item's final form, or the :class:`CallCompleted` that carries them); ``function_call_output`` items tool
  messages with a ``FunctionResultContent``. :class:`ItemText` (a user transcript, the assistant's final text or audio
  transcript) sets the words of an item in the conversation. Every message carries ``item_id`` in its
  metadata. Items with no words yet (audio not transcribed) are left out until their words arrive.
- :class:`ItemTruncated` (barge-in) cuts an item's words to those heard, as the codec places them in its
  audio (``heard_text``); the message's metadata gets ``truncated: True`` and ``audio_end_ms``, and later
  reports of the item's full text no longer change it.
- Every update is O(1) in the conversation's length (a linked order, and the list of shown messages kept
  up to date where it changed, found from its end); :attr:`LiveChatHistory.chat_history` copies that list
  (one C-level copy, no per-message work) into a new ``ChatHistory`` whose messages are the mirror's own.
- The mirror reads no wire shape: any codec's signals feed it.
- It belongs to the session, not to one connection: when the client reconnects, the next connection keeps
  it (:meth:`LiveChatHistory.rebind` gives it that connection's ``heard_text``), replays it to the service,
  and the service's echoes of the replayed items (same ids) update the items already there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole

from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    Item,
    ItemAdded,
    ItemRemoved,
    ItemText,
    ItemTruncated,
    Signal,
    split_function_name,
)

_ROLES = {"user": AuthorRole.USER, "assistant": AuthorRole.ASSISTANT, "system": AuthorRole.SYSTEM}


class _Entry:
    """A conversation item in the mirror: its message (if it has one) and its neighbours."""

    __slots__ = ("message", "prev", "next", "shown", "truncated")

    def __init__(self) -> None:
        self.message: ChatMessageContent | None = None
        self.prev: str | None = None
        self.next: str | None = None
        self.shown = False  # its message is in the shown list
        self.truncated = False


class LiveChatHistory:
    """Observer of signals that keeps the conversation as SK messages; read it through :attr:`chat_history`.

    Args:
        heard_text: ``(item_id, audio_end_ms) -> words`` (the codec's ``heard_text``), for truncation.
    """

    #: The signal types :meth:`observe` acts on (the connection shows it no others).
    SIGNALS = frozenset({ItemAdded, ItemRemoved, ItemText, ItemTruncated, CallCompleted})

    __slots__ = ("_heard_text", "_entries", "_head", "_tail", "_shown", "_call_names")

    def __init__(self, heard_text: Callable[[str, int], str | None] | None = None) -> None:
        self._heard_text = heard_text
        self._entries: dict[str, _Entry] = {}
        self._head: str | None = None
        self._tail: str | None = None
        self._shown: list[ChatMessageContent] = []  # the messages with words, in conversation order
        self._call_names: dict[str, str] = {}

    def observe(self, signal: Signal) -> None:
        handler = _HANDLERS.get(type(signal))
        if handler is not None:
            handler(self, signal)

    @property
    def chat_history(self) -> ChatHistory:
        """The conversation so far: a new ``ChatHistory`` (built without re-validating the messages)."""
        return ChatHistory.model_construct(messages=list(self._shown))

    @property
    def item_count(self) -> int:
        """Items in the conversation, with or without words."""
        return len(self._entries)

    def has_item(self, item_id: str) -> bool:
        """True when ``item_id`` is in the conversation (with or without words)."""
        return item_id in self._entries

    def rebind(self, heard_text: Callable[[str, int], str | None] | None) -> None:
        """Use ``heard_text`` (the next connection's codec) for truncations from now on."""
        self._heard_text = heard_text

    # -- handlers ------------------------------------------------------------------------------------

    def _added(self, signal: ItemAdded) -> None:
        item = signal.item
        entry = self._entries.get(item.id)
        if entry is None:
            if signal.update_only:
                return  # not in the conversation (e.g. out-of-band output)
            entry = self._link(item.id, signal.previous_item_id)
        elif entry.truncated:
            return  # its words are what was heard; the full text no longer applies
        message = self._message(item, entry)
        if message is not None:
            self._set(entry, message)

    def _removed(self, signal: ItemRemoved) -> None:
        entry = self._entries.pop(signal.item_id, None)
        if entry is None:
            return
        if entry.shown:
            del self._shown[self._index(entry.message)]
        self._unlink(entry)

    def _text(self, signal: ItemText) -> None:
        entry = self._entries.get(signal.item_id)
        if entry is None or entry.truncated:
            return  # not in the conversation (out-of-band), or already cut to what was heard
        if entry.message is None:
            role = _ROLES.get(signal.role, AuthorRole.USER)
            self._set(entry, ChatMessageContent(role=role, content=signal.text, metadata={"item_id": signal.item_id}))
        else:
            entry.message.items = [TextContent(text=signal.text)]
            self._show(entry)

    def _call_completed(self, signal: CallCompleted) -> None:
        """A call's arguments are complete: fill them in if the item's final form has not come yet."""
        call = signal.call
        entry = self._entries.get(call.id or "")
        if entry is None or entry.message is None:
            return
        current = entry.message.items[0] if entry.message.items else None
        if isinstance(current, FunctionCallContent) and not current.arguments and call.arguments:
            current.arguments = call.arguments

    def _truncated(self, signal: ItemTruncated) -> None:
        entry = self._entries.get(signal.item_id)
        if entry is None or entry.message is None:
            return
        heard = self._heard_text(signal.item_id, signal.audio_end_ms) if self._heard_text is not None else None
        message = entry.message
        if heard is not None:
            message.items = [TextContent(text=heard)]
        message.metadata = {**message.metadata, "truncated": True, "audio_end_ms": signal.audio_end_ms}
        entry.truncated = True
        self._show(entry)

    # -- internals -----------------------------------------------------------------------------------

    def _message(self, item: Item, entry: _Entry) -> ChatMessageContent | None:
        metadata = {"item_id": item.id}
        if item.kind == "message":
            role = _ROLES.get(item.role or "")
            if role is None:
                return None
            if not item.text and entry.message is not None:
                return None  # an echo without words must not erase a transcript we already have
            return ChatMessageContent(role=role, content=item.text, metadata=metadata)
        if item.kind == "function_call":
            name = item.name or ""
            if item.call_id:
                self._call_names[item.call_id] = name
            plugin, function = split_function_name(name)
            call = FunctionCallContent(id=item.id, call_id=item.call_id, name=item.name, plugin_name=plugin,
                                       function_name=function, arguments=item.arguments or "")
            return ChatMessageContent(role=AuthorRole.ASSISTANT, items=[call], metadata=metadata)
        if item.kind == "function_call_output":
            plugin, function = split_function_name(self._call_names.get(item.call_id or "", ""))
            result = FunctionResultContent(id=item.id, call_id=item.call_id, plugin_name=plugin,
                                           function_name=function, result=item.output or "")
            return ChatMessageContent(role=AuthorRole.TOOL, items=[result], metadata=metadata)
        return None

    def _set(self, entry: _Entry, message: ChatMessageContent) -> None:
        """Give ``entry`` a new message, in the shown list where the old one was (or where it belongs)."""
        if entry.shown:
            index = self._index(entry.message)
            if _has_words(message):
                self._shown[index] = message
            else:
                del self._shown[index]
                entry.shown = False
            entry.message = message
            return
        entry.message = message
        self._show(entry)

    def _show(self, entry: _Entry) -> None:
        """Put ``entry``'s message in the shown list, or take it out, as its words say."""
        words = entry.message is not None and _has_words(entry.message)
        if words == entry.shown:
            return
        if not words:
            del self._shown[self._index(entry.message)]
            entry.shown = False
            return
        before = self._shown_before(entry)
        index = 0 if before is None else (
            len(self._shown) if self._shown and self._shown[-1] is before.message else self._index(before.message) + 1)
        self._shown.insert(index, entry.message)  # type: ignore[arg-type]
        entry.shown = True

    def _shown_before(self, entry: _Entry) -> _Entry | None:
        """The nearest entry before ``entry`` whose message is shown (usually the one just before)."""
        entries = self._entries
        previous = entry.prev
        while previous is not None:
            candidate = entries[previous]
            if candidate.shown:
                return candidate
            previous = candidate.prev
        return None

    def _index(self, message: ChatMessageContent | None) -> int:
        """The index of ``message`` in the shown list, searched from the end (where changes happen)."""
        shown = self._shown
        for index in range(len(shown) - 1, -1, -1):
            if shown[index] is message:
                return index
        raise LookupError("message not shown")  # pragma: no cover - the mirror's invariant

    def _link(self, item_id: str, previous_item_id: str | None) -> _Entry:
        entry = _Entry()
        entries = self._entries
        after = previous_item_id if previous_item_id in entries else self._tail
        before = entries[after].next if after is not None else self._head
        entry.prev, entry.next = after, before
        if after is None:
            self._head = item_id
        else:
            entries[after].next = item_id
        if before is None:
            self._tail = item_id
        else:
            entries[before].prev = item_id
        entries[item_id] = entry
        return entry

    def _unlink(self, entry: _Entry) -> None:
        entries = self._entries
        if entry.prev is None:
            self._head = entry.next
        else:
            entries[entry.prev].next = entry.next
        if entry.next is None:
            self._tail = entry.prev
        else:
            entries[entry.next].prev = entry.prev


_HANDLERS: dict[type, Callable[[LiveChatHistory, Any], None]] = {
    ItemAdded: LiveChatHistory._added, ItemRemoved: LiveChatHistory._removed, ItemText: LiveChatHistory._text,
    ItemTruncated: LiveChatHistory._truncated, CallCompleted: LiveChatHistory._call_completed,
}


def _has_words(message: ChatMessageContent) -> bool:
    return bool(message.items) and any(not isinstance(i, TextContent) or i.text for i in message.items)
