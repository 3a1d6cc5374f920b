"""The bridges' shared parts without sockets: audio conversion, and malformed provider messages."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic_kernel_realtime import ConfigurationError, OpenAIRealtimeWebsocket, g711
from semantic_kernel_realtime.telephony import AcsMediaStreamingBridge, TwilioMediaStreamBridge, converter


def test_the_same_format_passes_through_and_g711_to_pcm_converts_rate_and_encoding():
    assert converter(("pcmu", 8000), ("pcmu", 8000)) is None
    to_pcm = converter(("pcmu", 8000), ("pcm16", 24000))
    tone = (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 10000).astype(np.int16)
    pcm = to_pcm(g711.mulaw_encode(tone)) + to_pcm.flush()
    assert abs(len(pcm) // 2 - 24000) <= 1  # one second, at 24 kHz
    back = converter(("pcm16", 24000), ("pcmu", 8000))
    mulaw = back(pcm)
    assert abs(len(mulaw) - 8000) <= 64
    assert np.corrcoef(g711.mulaw_decode(mulaw)[100:7900], tone[100:7900])[0, 1] > 0.95  # the same tone


def test_a_g711_session_with_a_resampling_client_is_refused():
    client = OpenAIRealtimeWebsocket(api_key="x", base_url="http://127.0.0.1:1/v1", input_audio_sample_rate=8000)
    client._opening_session = {"audio": {"input": {"format": {"type": "audio/pcmu"}}}}
    with pytest.raises(ConfigurationError, match="input_audio_sample_rate"):
        TwilioMediaStreamBridge(client)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=8)
kinds = st.sampled_from(["connected", "start", "media", "mark", "dtmf", "stop", "AudioMetadata", "AudioData",
                         "DtmfData", "other"])
fields = st.sampled_from(["start", "media", "mark", "dtmf", "streamSid", "audioMetadata", "audioData", "dtmfData"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=20),
    st.builds(lambda kind, body: json.dumps({"event": kind, "kind": kind, **body}), kinds,
              st.dictionaries(fields, json_values, max_size=3)),
    json_values.map(json.dumps)), max_size=8))
async def test_malformed_provider_messages_are_skipped_and_the_call_goes_on(messages):
    for bridge_class in (TwilioMediaStreamBridge, AcsMediaStreamingBridge):
        bridge = bridge_class(OpenAIRealtimeWebsocket(api_key="x", base_url="http://127.0.0.1:1/v1"))

        async def feed():
            for message in messages:
                yield message

        await bridge._read(feed())  # never raises: a bad message is logged and skipped
