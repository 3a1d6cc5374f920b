"""The default conversation of a session: ordered GA item dicts plus the raw audio behind them.

Rules:
- Items are GA dicts (``id``, ``object: realtime.item``, ``type``, ``status`` ...); ids are unique.
- ``insert`` places an item after ``previous_item_id`` (``"root"`` = at the start, None = at the end)
  and returns the id of the item before it (None at the start), as ``conversation.item.added`` reports.
- Audio is kept as PCM16 24 kHz per item id (content index 0), never inside the item dict: events
  carry transcripts, only ``conversation.item.retrieve`` returns the audio.
- Bounded: beyond ``max_items`` the oldest items are dropped (the service's ``truncation: auto`` drops
  old items silently too); beyond ``max_audio_bytes`` of stored audio the oldest items lose their audio
  (they stay, with their transcripts). The item or audio just added is never the one dropped. Each
  dropped item id is passed to ``on_drop``.
- ``audio_base64`` answers a retrieve from what is stored: an item's audio is encoded for a format once,
  and the encoding is reused (the same ``str``) until the audio changes; at most ``ENCODED_CACHE_SIZE``
  encodings are kept, least recently used first out.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from semantic_kernel_realtime.server import audio_formats
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.limits import ServerLimits

ENCODED_CACHE_SIZE = 4
_DEFAULTS = ServerLimits()


class ConversationError(ApiError, LookupError):
    """An item operation names an item that is not there (or one that already is)."""


class Conversation:
    def __init__(
        self,
        *,
        max_items: int = _DEFAULTS.max_conversation_items,
        max_audio_bytes: int = _DEFAULTS.max_stored_audio_bytes,
        on_drop: Callable[[str], None] | None = None,
    ) -> None:
        self._items: list[dict[str, Any]] = []
        self._audio: dict[str, bytes] = {}
        self._audio_bytes = 0
        self._encoded: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._max_items = max_items
        self._max_audio_bytes = max_audio_bytes
        self._on_drop = on_drop

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self._items)

    @property
    def last_id(self) -> str | None:
        return self._items[-1]["id"] if self._items else None

    @property
    def audio_bytes(self) -> int:
        """Bytes of PCM stored for the items."""
        return self._audio_bytes

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
        previous = self._items[index - 1]["id"] if index > 0 else None
        while len(self._items) > self._max_items:
            oldest = next(it["id"] for it in self._items if it["id"] != item["id"])
            self._remove(oldest)
            if self._on_drop is not None:
                self._on_drop(oldest)
        return previous

    def previous_id(self, item_id: str) -> str | None:
        """The id of the item before ``item_id`` (None when it is the first)."""
        index = self._index(item_id)
        return self._items[index - 1]["id"] if index > 0 else None

    def delete(self, item_id: str) -> None:
        self._index(item_id)
        self._remove(item_id)

    def _remove(self, item_id: str) -> None:
        self._items.pop(self._index(item_id))
        self._forget_audio(item_id)

    def clear(self) -> None:
        """Forget every item and all audio (the session is over)."""
        self._items.clear()
        self._audio.clear()
        self._encoded.clear()
        self._audio_bytes = 0

    def set_audio(self, item_id: str, pcm16: bytes) -> None:
        self._forget_audio(item_id)
        self._audio[item_id] = pcm16
        self._audio_bytes += len(pcm16)
        for item in list(self._items):
            if self._audio_bytes <= self._max_audio_bytes:
                break
            if item["id"] != item_id:
                self._forget_audio(item["id"])

    def _forget_audio(self, item_id: str) -> None:
        self._audio_bytes -= len(self._audio.pop(item_id, b""))
        for key in [key for key in self._encoded if key[0] == item_id]:
            del self._encoded[key]

    def audio(self, item_id: str) -> bytes | None:
        return self._audio.get(item_id)

    def audio_base64(self, item_id: str, fmt: dict[str, Any] | None) -> str | None:
        """The item's audio in ``fmt``, base64 (None without audio); encoded once, then reused."""
        pcm = self._audio.get(item_id)
        if pcm is None:
            return None
        key = (item_id, audio_formats.format_type(fmt))
        encoded = self._encoded.get(key)
        if encoded is None:
            encoded = base64.b64encode(audio_formats.encode(pcm, fmt)).decode("ascii")
            self._encoded[key] = encoded
            while len(self._encoded) > ENCODED_CACHE_SIZE:
                self._encoded.popitem(last=False)
        self._encoded.move_to_end(key)
        return encoded
