"""The default conversation of a session: ordered GA item dicts plus the raw audio behind them.

Rules:
- Items are GA dicts (``id``, ``object: realtime.item``, ``type``, ``status`` ...); ids are unique.
- ``insert`` places an item after ``previous_item_id`` (``"root"`` = at the start, None = at the end)
  and returns the id of the item before it (None at the start), as ``conversation.item.added`` reports.
- Audio is kept as PCM16 24 kHz per item id (content index 0), never inside the item dict: events
  carry transcripts, only ``conversation.item.retrieve`` returns the audio.
"""

from __future__ import annotations

from typing import Any

from semantic_kernel_realtime.server.errors import ApiError


class ConversationError(ApiError, LookupError):
    """An item operation names an item that is not there (or one that already is)."""


class Conversation:
    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._audio: dict[str, bytes] = {}

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self._items)

    @property
    def last_id(self) -> str | None:
        return self._items[-1]["id"] if self._items else None

    def get(self, item_id: str) -> dict[str, Any]:
        return self._items[self._index(item_id)]

    def _index(self, item_id: str) -> int:
        for index, item in enumerate(self._items):
            if item["id"] == item_id:
                return index
        raise ConversationError(
            "item_not_found", f"Item with item_id '{item_id}' not found in the conversation.", "item_id"
        )

    def __contains__(self, item_id: str) -> bool:
        return any(item["id"] == item_id for item in self._items)

    def insert(self, item: dict[str, Any], previous_item_id: str | None = None) -> str | None:
        if item["id"] in self:
            raise ConversationError(
                "item_already_exists", f"An item with id '{item['id']}' already exists in the conversation.",
                "item.id",
            )
        if previous_item_id is None:
            index = len(self._items)
        elif previous_item_id == "root":
            index = 0
        else:
            index = next((i + 1 for i, it in enumerate(self._items) if it["id"] == previous_item_id), None)
            if index is None:
                raise ConversationError(
                    "previous_item_not_found",
                    f"Previous item with id '{previous_item_id}' not found in the conversation.",
                    "previous_item_id",
                )
        self._items.insert(index, item)
        return self._items[index - 1]["id"] if index > 0 else None

    def previous_id(self, item_id: str) -> str | None:
        """The id of the item before ``item_id`` (None when it is the first)."""
        index = self._index(item_id)
        return self._items[index - 1]["id"] if index > 0 else None

    def delete(self, item_id: str) -> None:
        self._items.remove(self.get(item_id))
        self._audio.pop(item_id, None)

    def set_audio(self, item_id: str, pcm16: bytes) -> None:
        self._audio[item_id] = pcm16

    def audio(self, item_id: str) -> bytes | None:
        return self._audio.get(item_id)
