from hypothesis import given
from hypothesis import strategies as st

from semantic_kernel_realtime.protocol import ConversationState
from semantic_kernel_realtime.protocol.openai.state import ItemOrder


def test_items_keep_conversation_order():
    state = ConversationState()
    state.add_item({"id": "a", "type": "message", "role": "user"}, None)
    state.add_item({"id": "c", "type": "message", "role": "assistant"}, "a")
    state.add_item({"id": "b", "type": "function_call", "call_id": "call_1", "name": "p-f"}, "a")
    assert state.item_order == ["a", "b", "c"]
    assert state.item_roles == {"a": "user", "b": "function_call", "c": "assistant"}
    assert state.call_names == {"call_1": "p-f"}
    state.add_item({"id": "c", "type": "message", "role": "assistant"}, "a")  # .done repeats .added
    assert state.item_order == ["a", "b", "c"]
    state.remove_item("b")
    assert state.item_order == ["a", "c"]


def test_audio_bytes_are_counted_per_item():
    state = ConversationState()
    state.add_audio("item", 960)  # 20 ms of PCM16 at 24 kHz
    state.add_audio("item", 960)
    assert state.audio_bytes["item"] == 1920
    assert state.audio_ms("item") == 40
    assert state.audio_ms("other") == 0
    state.add_audio("next", 480)
    assert state.audio_bytes == {"item": 1920, "next": 480}
    assert state.output_audio.received == 2400


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from([None, *"abcdefghz"]),
                          st.booleans()), max_size=40))
def test_item_order_matches_a_plain_list(operations):
    order, expected = ItemOrder(), []
    for item_id, previous, remove in operations:
        if remove:
            order.remove(item_id)
            if item_id in expected:
                expected.remove(item_id)
        elif item_id not in expected:
            order.place(item_id, previous)
            expected.insert(expected.index(previous) + 1 if previous in expected else len(expected), item_id)
        assert list(order) == expected and len(order) == len(expected)


def _spoken(state: ConversationState, item_id: str, sentences: list[tuple[str, int]]) -> None:
    """The embedded server's order: a sentence's transcript deltas, then its audio (ms)."""
    for sentence, ms in sentences:
        for word in sentence.split(" "):
            state.add_transcript(item_id, " " + word)
        state.add_audio(item_id, ms * 48)


def test_heard_text_spreads_each_run_of_words_over_its_audio():
    state = ConversationState()
    _spoken(state, "a", [("One two three four.", 1000), ("Five six seven eight.", 1000)])
    state.audio_done("a")
    assert state.heard_text("a", 0) == ""
    assert state.heard_text("a", 500) == " One two"
    assert state.heard_text("a", 1000) == " One two three four."
    assert state.heard_text("a", 1500) == " One two three four. Five six"
    assert state.heard_text("a", 5000) == " One two three four. Five six seven eight."
    assert state.heard_text("unknown", 500) is None


def test_heard_text_without_audio_uses_the_nominal_speaking_rate():
    state = ConversationState()  # e.g. WebRTC: the audio came on a track, not as events
    for word in "abc def ghi jkl".split(" "):
        state.add_transcript("a", word + " ")
    assert state.heard_text("a", 65 * 8) == "abc def"  # 65 ms per character


def test_alignment_is_kept_for_recent_items_only():
    state = ConversationState()
    for n in range(40):
        state.add_transcript(f"i{n}", "word")
    assert len(state.transcripts) == 16 and state.heard_text("i39", 10_000) == "word"
    assert state.heard_text("i0", 10_000) is None
