from semantic_kernel_realtime.protocol.base import OutputAudio


def test_segments_place_each_items_audio_in_the_stream():
    clock = iter([1.0, 2.0, 3.0])
    audio = OutputAudio(clock=lambda: next(clock))
    audio.add("a", 100)
    audio.add("a", 100)
    audio.add("b", 50, content_index=1)
    audio.add("a", 10)  # an item may come back
    assert audio.received == 260
    assert (audio.item_bytes("a"), audio.item_bytes("b"), audio.item_bytes("c")) == (210, 50, 0)
    assert [(s.item_id, off) for s, off in audio.segments_after(0)] == [("a", 0), ("b", 0), ("a", 200)]
    assert [(s.item_id, off) for s, off in audio.segments_after(150)] == [("a", 150), ("b", 0), ("a", 200)]
    assert [(s.item_id, s.content_index, off) for s, off in audio.segments_after(220)] == [("b", 1, 20), ("a", 0, 200)]
    assert audio.segments_after(260) == []
    assert [s.started_at for s, _ in audio.segments_after(0)] == [1.0, 2.0, 3.0]


def test_only_recent_segments_are_kept():
    audio = OutputAudio()
    for n in range(500):
        audio.add(f"i{n}", 10)
    assert len(audio.segments_after(0)) == OutputAudio.MAX_SEGMENTS
    assert audio.item_bytes("i0") == 10 and audio.received == 5000
    audio.forget("i0")
    assert audio.item_bytes("i0") == 0
