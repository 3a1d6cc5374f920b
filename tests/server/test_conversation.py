"""conversation.py: item order, previous ids and errors."""

import pytest

from semantic_kernel_realtime.server.conversation import Conversation, ConversationError


def item(item_id):
    return {"id": item_id, "type": "message", "role": "user", "content": []}


def test_insert_positions_and_previous_ids():
    conversation = Conversation()
    assert conversation.insert(item("a")) is None
    assert conversation.insert(item("b")) == "a"
    assert conversation.insert(item("c"), "root") is None
    assert conversation.insert(item("d"), "c") == "c"
    assert [i["id"] for i in conversation.items] == ["c", "d", "a", "b"]


def test_errors_and_audio():
    conversation = Conversation()
    conversation.insert(item("a"))
    conversation.set_audio("a", b"xx")
    with pytest.raises(ConversationError) as info:
        conversation.insert(item("a"))
    assert info.value.code == "item_already_exists"
    with pytest.raises(ConversationError) as info:
        conversation.insert(item("b"), "zz")
    assert info.value.code == "previous_item_not_found"
    conversation.delete("a")
    assert conversation.audio("a") is None and len(conversation) == 0
    with pytest.raises(ConversationError):
        conversation.delete("a")


def test_the_oldest_items_go_beyond_the_bound_never_the_new_one():
    dropped = []
    conversation = Conversation(max_items=2, on_drop=dropped.append)
    for name in "abc":
        conversation.insert(item(name))
    assert [i["id"] for i in conversation.items] == ["b", "c"] and dropped == ["a"]
    conversation.insert(item("d"), "root")  # the new item is first: the oldest *other* item goes
    assert [i["id"] for i in conversation.items] == ["d", "c"] and dropped == ["a", "b"]


def test_stored_audio_is_bounded_by_dropping_the_oldest_audio():
    conversation = Conversation(max_audio_bytes=10)
    for name in "abc":
        conversation.insert(item(name))
        conversation.set_audio(name, b"x" * 4)
    assert conversation.audio("a") is None and conversation.audio("c") == b"xxxx"
    assert conversation.audio_bytes == 8 and len(conversation) == 3  # items stay, with their transcripts


def test_encoded_audio_is_reused_until_the_audio_changes():
    conversation = Conversation()
    conversation.insert(item("a"))
    conversation.set_audio("a", b"\x01\x00" * 100)
    pcm = {"type": "audio/pcm", "rate": 24000}
    first = conversation.audio_base64("a", pcm)
    assert conversation.audio_base64("a", pcm) is first
    conversation.set_audio("a", b"\x02\x00" * 100)
    assert conversation.audio_base64("a", pcm) != first
    assert conversation.audio_base64("missing", pcm) is None


def test_the_encoding_cache_is_bounded():
    from semantic_kernel_realtime.server.conversation import ENCODED_CACHE_SIZE

    conversation = Conversation()
    for index in range(ENCODED_CACHE_SIZE + 3):
        conversation.insert(item(str(index)))
        conversation.set_audio(str(index), b"\x00\x01" * 10)
        conversation.audio_base64(str(index), None)
    assert len(conversation._encoded) == ENCODED_CACHE_SIZE
