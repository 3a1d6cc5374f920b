"""The raw-PCM fast path's append message is the same text as encoding the audio event, and a valid client event."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol.openai.codec import OpenAICodec
from semantic_kernel_realtime.protocol.openai.encode import append_message, encode_event
from tests.openai_schema import validate_client_event


@given(st.binary(min_size=1, max_size=4096))
def test_append_message_equals_the_encoded_audio_event(pcm):
    message = append_message(pcm)
    event = RealtimeAudioEvent(audio=AudioContent(data=pcm, mime_type="audio/pcm"))
    assert message == orjson.dumps(encode_event(event))
    assert message.decode() == OpenAICodec().encode(event)
    validate_client_event(orjson.loads(message))


def test_empty_audio_is_an_encode_error():
    with pytest.raises(EncodeError):
        append_message(b"")
    assert OpenAICodec().encode_audio(b"\x00\x01") == append_message(b"\x00\x01")
