from semantic_kernel_realtime.protocol import ConversationState


def test_items_keep_conversation_order_with_previous_item_id():
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


def test_audio_is_counted_in_bytes_and_milliseconds():
    state = ConversationState()
    state.add_audio("item", 960)  # 20 ms of PCM16 at 24 kHz
    state.add_audio("item", 960)
    assert state.audio_bytes["item"] == 1920
    assert state.audio_ms("item") == 40
    assert state.audio_ms("other") == 0
