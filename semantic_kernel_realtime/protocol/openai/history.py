"""Seeding a session from a ``ChatHistory``: SK messages -> GA conversation items, roles kept.

Rules: system -> ``system`` message (``input_text``); user -> ``user`` message (``input_text``);
assistant text -> ``assistant`` message (``output_text``); ``FunctionCallContent`` -> ``function_call``
item; ``FunctionResultContent`` -> ``function_call_output`` item. Tool-role messages carry results.
Content we cannot seed (images in assistant turns, audio) is skipped. With ``keep_ids`` (a replay of the
client's own mirror on a new connection) each item keeps the id the conversation gave it (a message's
``item_id`` metadata, a call's or a result's ``id``), so the service's echoes name the items the mirror has.
"""

from __future__ import annotations

from typing import Any

from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime.protocol.openai.encode import function_call_item, function_output_item, message_item

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


def history_items(chat_history: ChatHistory | None, settings: Any = None, *, keep_ids: bool = False
                  ) -> list[dict[str, Any]]:
    """GA items for every message of ``chat_history``, in order (with their ids: ``keep_ids``)."""
    if not chat_history:
        return []
    items: list[dict[str, Any]] = []
    for message in chat_history.messages:
        role = _ROLES.get(str(getattr(message.role, "value", message.role)))
        first = len(items)
        for content in message.items:
            if isinstance(content, FunctionCallContent):
                call_id = content.call_id or content.id or ""
                items.append(function_call_item(call_id, content.name or _qualified(content), content.arguments))
            elif isinstance(content, FunctionResultContent):
                items.append(function_output_item(content.call_id or content.id or "", content.result))
            elif isinstance(content, TextContent) and role is not None and content.text:
                items.append(message_item(role, content.text))
        if keep_ids and len(items) == first + 1:  # one item per message: the mirror's shape
            item_id = (message.metadata or {}).get("item_id")
            if isinstance(item_id, str) and item_id:
                items[first]["id"] = item_id
    return items


def _qualified(content: FunctionCallContent) -> str:
    return f"{content.plugin_name}-{content.function_name}" if content.plugin_name else content.function_name
