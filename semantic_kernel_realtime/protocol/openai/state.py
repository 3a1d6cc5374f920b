"""Conversation state that decoding needs across events.

Rules: the state is updated only by the decoder, from server events, in arrival order; it never does
I/O. It remembers what a single event does not carry: the function name behind a ``call_id`` (argument
deltas carry only the id), the order of items in the conversation, the active response, and how much
output audio each item has delivered (what a client needs to truncate an item on barge-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Bytes per millisecond of the default output format (PCM16 mono 24 kHz).
PCM16_24K_BYTES_PER_MS = 48


@dataclass
class ConversationState:
    """What the decoder remembers about one realtime session."""

    call_names: dict[str, str] = field(default_factory=dict)
    """call_id -> wire function name (``plugin-function``)."""
    item_order: list[str] = field(default_factory=list)
    """Conversation item ids in conversation order."""
    item_roles: dict[str, str] = field(default_factory=dict)
    """item_id -> role (``user``/``assistant``/``system``) or item type for non-message items."""
    active_response_id: str | None = None
    audio_bytes: dict[str, int] = field(default_factory=dict)
    """item_id -> bytes of output audio received (decoded size)."""
    session: dict | None = None
    """The last session object the server reported (session.created/updated)."""

    def add_item(self, item: dict, previous_item_id: str | None) -> None:
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return
        role = item.get("role") or item.get("type")
        if isinstance(role, str):
            self.item_roles[item_id] = role
        if item.get("type") == "function_call":
            call_id, name = item.get("call_id"), item.get("name")
            if isinstance(call_id, str) and isinstance(name, str):
                self.call_names[call_id] = name
        if item_id in self.item_roles and item_id in self.item_order:
            return
        if previous_item_id and previous_item_id in self.item_order:
            self.item_order.insert(self.item_order.index(previous_item_id) + 1, item_id)
        else:
            self.item_order.append(item_id)

    def remove_item(self, item_id: str) -> None:
        if item_id in self.item_order:
            self.item_order.remove(item_id)
        self.item_roles.pop(item_id, None)
        self.audio_bytes.pop(item_id, None)

    def add_audio(self, item_id: str, nbytes: int) -> None:
        """Count ``nbytes`` more bytes of output audio for ``item_id``."""
        self.audio_bytes[item_id] = self.audio_bytes.get(item_id, 0) + nbytes

    def audio_ms(self, item_id: str, bytes_per_ms: int = PCM16_24K_BYTES_PER_MS) -> int:
        """Milliseconds of output audio received for ``item_id``."""
        return self.audio_bytes.get(item_id, 0) // bytes_per_ms
