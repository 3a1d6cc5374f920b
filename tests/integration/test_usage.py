"""Typed usage after every response, on the WebSocket and the WebRTC connectors (the embedded server).

Each ``response.done`` is followed by a :class:`UsageEvent` whose :class:`Usage` has the totals and the
text/audio/cached split, then a :class:`ResponseDoneEvent` carrying the same record: what an application's
receive loop reads without touching the wire dict.
"""

from __future__ import annotations

import asyncio

import pytest
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.events import ResponseDoneEvent, Usage, UsageEvent
from semantic_kernel_realtime.server import LocalRealtimeServer


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False) as srv:
        yield srv


@pytest.mark.parametrize("connector", [OpenAIRealtimeWebsocket, OpenAIRealtimeWebRTC])
@pytest.mark.parametrize("modality", ["text", "audio"])
async def test_typed_usage_after_every_response(server, connector, modality):
    client = connector(api_key="x", base_url=server.base_url)
    turns = 2
    events: list = []
    async with client(settings=RealtimeExecutionSettings(output_modalities=[modality], turn_detection=None)):
        for turn in range(turns):
            await client.send(RealtimeTextEvent(text=TextContent(text=f"Question {turn}")))
            await client.send(RealtimeEvent(service_type="response.create"))

            async def until_done():
                async for event in client.receive():
                    events.append(event)
                    if isinstance(event, ResponseDoneEvent):
                        return

            await asyncio.wait_for(until_done(), 15)
    usages = [e for e in events if isinstance(e, UsageEvent)]
    dones = [e for e in events if isinstance(e, ResponseDoneEvent)]
    assert len(usages) == len(dones) == turns
    for usage_event, done in zip(usages, dones, strict=True):
        usage = usage_event.usage
        assert isinstance(usage, Usage) and usage == done.usage
        assert usage_event.response_id == done.response_id is not None
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens > 0
        assert usage.input_text_tokens is not None and usage.input_cached_tokens is not None
        assert usage.output_text_tokens is not None and usage.output_audio_tokens is not None
        assert (usage.output_audio_tokens > 0) == (modality == "audio")
        wire = usage_event.service_event
        assert usage.output_tokens == wire["output_tokens"] and usage.input_tokens == wire["input_tokens"]
