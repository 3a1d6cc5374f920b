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
