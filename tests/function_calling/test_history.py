"""LiveChatHistory fed from a recorded session (../shared), through the real OpenAI codec's signals."""

from __future__ import annotations

import pytest

from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol.base import ItemAdded, ItemRemoved, ItemText
from semantic_kernel_realtime.protocol.openai import OpenAICodec
from tests.openai_schema import FIXTURES

RECORDING = FIXTURES / "openai" / "live-beta-voice-session.sk-adr-0065.jsonl"


def _replay(only_signal_types: bool) -> LiveChatHistory:
    if not RECORDING.exists():
        pytest.skip(f"fixture missing: {RECORDING}")
    codec = OpenAICodec()
    history = LiveChatHistory()
    for line in RECORDING.read_bytes().splitlines():
        for event in codec.decode(line):
            if only_signal_types and event.service_type not in OpenAICodec.signal_types:
                continue
            for signal in OpenAICodec.signals(event):
                history.observe(signal)
    return history


def test_signals_name_exactly_what_observe_handles():
    assert set(LiveChatHistory()._handlers) == LiveChatHistory.SIGNALS == {ItemAdded, ItemRemoved, ItemText}


def test_shown_only_the_codecs_signal_types_the_mirror_is_the_same():
    everything = _replay(only_signal_types=False).chat_history
    filtered = _replay(only_signal_types=True).chat_history
    assert len(everything.messages) >= 2
    assert {m.role.value for m in everything.messages} >= {"assistant"}
    assert [(m.role, str(m), m.metadata["item_id"]) for m in filtered.messages] == \
        [(m.role, str(m), m.metadata["item_id"]) for m in everything.messages]
