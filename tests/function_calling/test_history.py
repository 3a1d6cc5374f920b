"""LiveChatHistory fed from a recorded session (../shared), through the real Decoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol import Decoder, canonical_type

RECORDING = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "openai" / \
    "live-beta-voice-session.sk-adr-0065.jsonl"


def _replay(only_wanted: bool) -> LiveChatHistory:
    if not RECORDING.exists():
        pytest.skip(f"fixture missing: {RECORDING}")
    decoder = Decoder()
    history = LiveChatHistory(lambda: decoder.state.item_order)
    for line in RECORDING.read_bytes().splitlines():
        for event in decoder.decode_message(line):
            if not only_wanted or canonical_type(event.service_type or "") in LiveChatHistory.EVENT_TYPES:
                history.observe(event)
    return history


def test_event_types_name_exactly_what_observe_handles():
    assert set(LiveChatHistory(list)._handlers) == LiveChatHistory.EVENT_TYPES


def test_shown_only_its_event_types_the_mirror_is_the_same():
    everything = _replay(only_wanted=False).chat_history
    filtered = _replay(only_wanted=True).chat_history
    assert len(everything.messages) >= 2
    assert {m.role.value for m in everything.messages} >= {"assistant"}
    assert [(m.role, str(m), m.metadata["item_id"]) for m in filtered.messages] == \
        [(m.role, str(m), m.metadata["item_id"]) for m in everything.messages]
