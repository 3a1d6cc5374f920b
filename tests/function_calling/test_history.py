"""LiveChatHistory fed from a recorded session (../shared), through the real OpenAI codec's signals."""

from __future__ import annotations

import pytest

from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol.base import CallCompleted, ItemAdded, ItemRemoved, ItemText, ItemTruncated
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
    from semantic_kernel_realtime.function_calling.history import _HANDLERS

    assert set(_HANDLERS) == LiveChatHistory.SIGNALS == {
        ItemAdded, ItemRemoved, ItemText, ItemTruncated, CallCompleted}


def test_shown_only_the_codecs_signal_types_the_mirror_is_the_same():
    everything = _replay(only_signal_types=False).chat_history
    filtered = _replay(only_signal_types=True).chat_history
    assert len(everything.messages) >= 2
    assert {m.role.value for m in everything.messages} >= {"assistant"}
    assert [(m.role, str(m), m.metadata["item_id"]) for m in filtered.messages] == \
        [(m.role, str(m), m.metadata["item_id"]) for m in everything.messages]


# -- the mirror's bookkeeping against a plain model --------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from semantic_kernel_realtime.protocol.base import Item  # noqa: E402

IDS = [f"i{n}" for n in range(8)]


def _reference(operations) -> list[tuple[str, str]]:
    """The mirror's rules on a plain list: (item_id, words) of the items with words, in order."""
    order: list[str] = []
    words: dict[str, str] = {}
    for kind, item_id, previous, text, update_only in operations:
        if kind == "add":
            if item_id not in order:
                if update_only:
                    continue
                order.insert(order.index(previous) + 1 if previous in order else len(order), item_id)
            if text or item_id not in words:
                words[item_id] = text
        elif kind == "text" and item_id in order:
            words[item_id] = text
        elif kind == "remove" and item_id in order:
            order.remove(item_id)
            words.pop(item_id, None)
    return [(i, words[i]) for i in order if words.get(i)]


OPERATIONS = st.lists(st.tuples(st.sampled_from(["add", "add", "text", "remove"]), st.sampled_from(IDS),
                                st.sampled_from([None, *IDS]), st.sampled_from(["", "hi", "there"]), st.booleans()),
                      max_size=30)


@settings(max_examples=300, deadline=None)
@given(OPERATIONS)
def test_the_mirror_equals_a_plain_list_model_of_the_conversation(operations):
    history = LiveChatHistory()
    for step, (kind, item_id, previous, text, update_only) in enumerate(operations, 1):
        if kind == "add":
            history.observe(ItemAdded(Item(item_id, "message", "user", text), previous, update_only))
        elif kind == "text":
            history.observe(ItemText(item_id, "user", text))
        else:
            history.observe(ItemRemoved(item_id))
        got = [(m.metadata["item_id"], str(m)) for m in history.chat_history.messages]
        assert got == _reference(operations[:step])


def test_a_truncated_item_keeps_the_words_heard_and_says_so():
    history = LiveChatHistory(heard_text=lambda item_id, ms: "I can tell" if ms == 600 else None)
    history.observe(ItemAdded(Item("a1", "message", "assistant", ""), None))
    history.observe(ItemText("a1", "assistant", "I can tell you all about the weather in Paris."))
    history.observe(ItemTruncated("a1", 0, 600))
    history.observe(ItemText("a1", "assistant", "I can tell you all about the weather in Paris."))  # late
    history.observe(ItemAdded(Item("a1", "message", "assistant", "I can tell you all about it."), None))
    [message] = history.chat_history.messages
    assert str(message) == "I can tell"
    assert message.metadata == {"item_id": "a1", "truncated": True, "audio_end_ms": 600}


def test_out_of_band_output_never_enters_the_mirror():
    history = LiveChatHistory()
    history.observe(ItemAdded(Item("oob", "message", "assistant", "Summary."), None, update_only=True))
    history.observe(ItemText("oob", "assistant", "Summary."))
    assert history.chat_history.messages == [] and history.item_count == 0


def test_each_read_is_a_new_history_over_the_same_messages():
    history = LiveChatHistory()
    history.observe(ItemAdded(Item("u1", "message", "user", "hi"), None))
    first = history.chat_history
    first.add_user_message("mine")
    second = history.chat_history
    assert len(second.messages) == 1 and second.messages[0] is first.messages[0]
