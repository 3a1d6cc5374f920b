"""Our WebRTC connectors against the embedded server over real loopback WebRTC (aiortc on both sides).

Every session mints a client secret (``POST /v1/realtime/client_secrets``) and sends its SDP offer to
``POST /v1/realtime/calls``; events travel on the ``oai-events`` data channel, audio as Opus tracks.
Every server event the client receives is checked with the server's strict GA judge.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import AzureRealtimeWebRTC, OpenAIRealtimeWebRTC, RealtimeExecutionSettings
from semantic_kernel_realtime.client.events import SessionEndedEvent
from semantic_kernel_realtime.connectors.webrtc import OUTPUT_AUDIO_TRACK
from semantic_kernel_realtime.server import LocalRealtimeServer, validate_server_event
from semantic_kernel_realtime.server.webrtc import CALLS_KEY
from semantic_kernel_realtime.transports import AuthenticationError
from semantic_kernel_realtime.transports.webrtc import WebRTCTransport
from tests.audio import read_wav, speech_bounds_ms
from tests.integration.plugins import WeatherPlugin
from tests.tasks import live_tasks

REPO_ROOT = Path(__file__).resolve().parents[2]
PARIS = REPO_ROOT.parent / "shared" / "fixtures" / "audio" / "weather-in-paris.pcm16-24k.wav"
CHUNK = 960  # 20 ms of PCM16 at 24 kHz
TEXT = RealtimeExecutionSettings(output_modalities=["text"])


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False) as srv:
        yield srv


def webrtc_client(server: LocalRealtimeServer, **kwargs) -> OpenAIRealtimeWebRTC:
    client = OpenAIRealtimeWebRTC(api_key=kwargs.pop("api_key", "x"), base_url=server.base_url, **kwargs)
    client.add_observer(judge)
    return client


def judge(event) -> None:
    """Every wire event the client decodes must be a valid GA server event."""
    wire = event.service_event
    if isinstance(wire, dict) and wire.get("type") == event.service_type:
        validate_server_event(wire)


async def collect(client, until, timeout: float = 8.0) -> list:
    """Receive events (track audio included) until ``until(event)`` is true."""
    events: list = []

    async def run() -> None:
        async for event in client.receive():
            events.append(event)
            if until(event):
                return

    await asyncio.wait_for(run(), timeout)
    return events


def of_type(events: list, kind: str) -> list:
    return [e for e in events if e.service_type == kind]


async def calls_ended(server: LocalRealtimeServer, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while server.app[CALLS_KEY] or server.session_count:
        assert time.monotonic() < deadline, "the server call did not end"
        await asyncio.sleep(0.02)


async def test_text_turn_and_the_full_session_in_the_secret(server):
    settings = RealtimeExecutionSettings(
        output_modalities=["text"], instructions="Be brief.", voice="cedar",
        turn_detection={"type": "server_vad", "silence_duration_ms": 350, "prefix_padding_ms": 200},
        input_audio_transcription={"model": "whisper-1"},
    )
    client = webrtc_client(server)
    async with client(settings=settings):
        assert isinstance(client.transport, WebRTCTransport)
        await client.send(RealtimeTextEvent(text=TextContent(text="Hello there")))
        await client.send(RealtimeEvent(service_type="response.create"))
        events = await collect(client, lambda e: e.service_type == "response.done")
    # session.created is the call's initial session: the one the secret was minted with, nothing stripped
    created = of_type(events, "session.created")[0].service_event["session"]
    assert created["instructions"] == "Be brief."
    assert created["output_modalities"] == ["text"]
    assert created["audio"]["output"]["voice"] == "cedar"
    detection = created["audio"]["input"]["turn_detection"]
    assert detection["silence_duration_ms"] == 350 and detection["prefix_padding_ms"] == 200
    assert created["audio"]["input"]["transcription"] == {"model": "whisper-1"}
    # ... and the same full session.update also went over the data channel
    updated = of_type(events, "session.updated")[0].service_event["session"]
    assert updated["audio"]["output"]["voice"] == "cedar"
    assert updated["audio"]["input"]["transcription"] == {"model": "whisper-1"}
    deltas = "".join(e.text.text for e in events if isinstance(e, RealtimeTextEvent))
    assert deltas == of_type(events, "response.output_text.done")[0].service_event["text"]
    assert "Hello there" in deltas


async def test_voice_turn_through_the_send_queue_detected_by_vad_and_answered_with_audio(server):
    pcm = read_wav(PARIS)
    start_ms, end_ms = speech_bounds_ms(pcm)
    heard: list[np.ndarray] = []
    client = webrtc_client(server, audio_output_callback=heard.append)
    async with client(settings=RealtimeExecutionSettings(
        turn_detection={"type": "server_vad", "silence_duration_ms": 500}
    )):
        await collect(client, lambda e: e.service_type == "session.updated")
        track = client.transport.audio_track
        anchor_ms = track.frames_sent * 20  # the file's first sample goes out in the next frame or so
        for offset in range(0, len(pcm), CHUNK):
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[offset : offset + CHUNK],
                                                                    mime_type="audio/pcm")))
        for _ in range(40):  # then 0.8 s of silence
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=bytes(CHUNK), mime_type="audio/pcm")))

        loud = 0

        def enough_answer(event) -> bool:
            nonlocal loud
            if isinstance(event, RealtimeAudioEvent) and event.service_type == OUTPUT_AUDIO_TRACK:
                if np.abs(np.frombuffer(event.audio.data, dtype=np.int16)).max() > 1000:
                    loud += 1
            return loud >= 25  # 0.5 s of answer audio

        events = await collect(client, enough_answer, timeout=12)

    started = of_type(events, "input_audio_buffer.speech_started")
    stopped = of_type(events, "input_audio_buffer.speech_stopped")
    assert len(started) == len(stopped) == 1
    assert abs(started[0].service_event["audio_start_ms"] - anchor_ms - start_ms) <= 300, (anchor_ms, start_ms)
    assert abs(stopped[0].service_event["audio_end_ms"] - anchor_ms - end_ms) <= 300, (anchor_ms, end_ms)
    kinds = [e.service_type for e in events]
    assert kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
    assert "output_audio_buffer.started" in kinds
    assert not of_type(events, "response.output_audio.delta")  # audio came on the track, not as JSON
    audio = [e for e in events if isinstance(e, RealtimeAudioEvent)]
    assert audio and all(e.service_type == OUTPUT_AUDIO_TRACK for e in audio)
    assert all(e.audio.mime_type == "audio/pcm" and len(e.audio.data) % 2 == 0 for e in audio)
    assert sorted(len(e.audio.data) for e in audio)[len(audio) // 2] == CHUNK  # 20 ms at 24 kHz
    # the callback saw the same audio as numpy int16, before each event was queued
    assert len(heard) >= len(audio) and heard[0].dtype == np.int16


async def test_tool_round_trip(server):
    weather = WeatherPlugin()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    settings = RealtimeExecutionSettings(
        output_modalities=["text"], function_choice_behavior=FunctionChoiceBehavior.Auto()
    )
    client = webrtc_client(server)
    async with client(settings=settings, kernel=kernel):
        await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather like in Paris?")))
        await client.send(RealtimeEvent(service_type="response.create"))
        done = 0

        def second_response(event) -> bool:
            nonlocal done
            done += event.service_type == "response.done"
            return done == 2

        events = await collect(client, second_response)
    created = of_type(events, "session.created")[0].service_event["session"]
    assert [t["name"] for t in created["tools"]] == ["weather-get_weather"]  # tools were in the secret
    assert weather.calls == ["Paris"]
    assert any(isinstance(e, RealtimeFunctionCallEvent) for e in events)
    assert any(isinstance(e, RealtimeFunctionResultEvent) for e in events)
    answer = of_type(events, "response.output_text.done")[-1].service_event["text"]
    assert "21 degrees and sunny in Paris" in answer


async def test_session_update_changes_voice_and_turn_detection(server):
    client = webrtc_client(server)
    async with client(settings=RealtimeExecutionSettings(voice="marin")):
        await collect(client, lambda e: e.service_type == "session.updated")
        await client.update_session(settings=RealtimeExecutionSettings(
            voice="ash", turn_detection={"type": "semantic_vad", "eagerness": "high"},
        ))
        events = await collect(client, lambda e: e.service_type == "session.updated")
    session = events[-1].service_event["session"]
    assert session["audio"]["output"]["voice"] == "ash"
    assert session["audio"]["input"]["turn_detection"]["type"] == "semantic_vad"
    assert session["audio"]["input"]["turn_detection"]["eagerness"] == "high"


@pytest.mark.parametrize("cut", ["output_audio_buffer.clear", "response.cancel"])
async def test_cutting_the_answer_off_clears_the_output_buffer(server, cut):
    client = webrtc_client(server)
    async with client():
        # about 9 s of answer audio: more than the 5 s the server queues on the track, so the response is
        # still active (waiting for room) when it is cut off
        story = "Tell me a story about a lighthouse keeper who finds a message in a bottle and sails to a far island."
        await client.send(RealtimeTextEvent(text=TextContent(text=story)))
        await client.send(RealtimeEvent(service_type="response.create"))
        started = await collect(client, lambda e: e.service_type == "output_audio_buffer.started")
        await client.send(RealtimeEvent(service_type=cut))
        events = await collect(client, lambda e: e.service_type == "output_audio_buffer.cleared")
    response_id = started[-1].service_event["response_id"]
    assert events[-1].service_event["response_id"] == response_id
    assert not of_type(events, "output_audio_buffer.stopped")


async def test_close_session_ends_receive_within_2s_and_leaves_no_task(server):
    before = live_tasks()
    client = webrtc_client(server)
    await client.create_session(settings=TEXT)
    await collect(client, lambda e: e.service_type == "session.updated")
    consumer = asyncio.ensure_future(collect(client, lambda e: False, timeout=10))
    await asyncio.sleep(0.3)  # audio is flowing both ways
    started = time.monotonic()
    await client.close_session()
    await asyncio.wait_for(consumer, 2)
    assert time.monotonic() - started < 2
    await calls_ended(server)
    assert live_tasks() == before


@pytest.mark.parametrize("how", ["hangup", "server stop"])
async def test_server_ending_the_call_ends_receive_within_2s_and_leaves_no_task(how):
    server = await LocalRealtimeServer(speech=False).start()
    try:
        before = live_tasks()
        client = webrtc_client(server)
        await client.create_session(settings=TEXT)
        await collect(client, lambda e: e.service_type == "session.updated")
        consumer = asyncio.ensure_future(collect(client, lambda e: False, timeout=10))
        await asyncio.sleep(0.2)
        (call,) = server.app[CALLS_KEY].values()
        started = time.monotonic()
        if how == "hangup":
            import aiohttp

            async with aiohttp.ClientSession() as http, http.post(
                f"{server.base_url}/realtime/calls/{call.id}/hangup"
            ) as resp:
                assert resp.status == 200
        else:
            await server.stop()
        await asyncio.wait_for(consumer, 2)  # collect never stops by itself: receive() must end
        assert time.monotonic() - started < 2
        ended = [e for e in consumer.result() if isinstance(e, SessionEndedEvent)]
        assert len(ended) == 1
        assert not client.is_open
        await client.close_session()
        await calls_ended(server)
        assert live_tasks() == before
    finally:
        await server.stop()


async def test_wrong_and_expired_client_secrets_are_refused_with_401_naming_the_cause(server):
    before = live_tasks()
    wrong = "ek_thisIsNotAValidSecret1234567890"
    with pytest.raises(AuthenticationError) as info:
        await OpenAIRealtimeWebRTC(client_secret=wrong, base_url=server.base_url).create_session()
    assert info.value.status == 401 and info.value.retryable is False
    assert "invalid_client_secret" in str(info.value) and "not valid" in str(info.value)
    assert wrong not in str(info.value) and "NotAValidSecret" not in str(info.value)

    expired = server.client_secrets.mint({"type": "realtime"}, expires_at=time.time() - 1).value
    with pytest.raises(AuthenticationError) as info:
        await OpenAIRealtimeWebRTC(client_secret=expired, base_url=server.base_url).create_session()
    assert info.value.status == 401
    assert "client_secret_expired" in str(info.value) and "expired" in str(info.value)
    assert expired not in str(info.value) and expired[3:] not in str(info.value)
    assert live_tasks() == before


async def test_wrong_api_key_is_refused_when_minting():
    key, wrong = "sk-the-right-key-123456", "sk-a-wrong-key-987654"
    async with LocalRealtimeServer(speech=False, api_key=key) as server:
        with pytest.raises(AuthenticationError) as info:
            await OpenAIRealtimeWebRTC(api_key=wrong, base_url=server.base_url).create_session()
        assert info.value.status == 401
        assert "client secret" in str(info.value) and "invalid_api_key" in str(info.value)
        assert wrong not in str(info.value) and "987654" not in str(info.value)
        # the right key works, and the call itself uses only the minted secret
        client = OpenAIRealtimeWebRTC(api_key=key, base_url=server.base_url)
        async with client(settings=TEXT):
            await collect(client, lambda e: e.service_type == "session.updated")


async def test_azure_webrtc_uses_the_openai_v1_paths_and_the_api_key_header():
    seen: list[tuple[str, str | None]] = []

    @web.middleware
    async def record(request, handler):
        seen.append((request.path, request.headers.get("api-key")))
        return await handler(request)

    server = LocalRealtimeServer(speech=False)
    server.app.middlewares.append(record)  # the server serves Azure's GA paths itself; this only watches
    async with server:
        client = AzureRealtimeWebRTC(endpoint=f"http://127.0.0.1:{server.port}", deployment_name="gpt-realtime",
                                     api_key="azure-key")
        client.add_observer(judge)
        async with client(settings=TEXT):
            await client.send(RealtimeTextEvent(text=TextContent(text="Hi")))
            await client.send(RealtimeEvent(service_type="response.create"))
            events = await collect(client, lambda e: e.service_type == "response.done")
    assert seen[0] == ("/openai/v1/realtime/client_secrets", "azure-key")
    assert seen[1] == ("/openai/v1/realtime/calls", None)  # the call carries only the ephemeral secret
    assert "You said: Hi" in of_type(events, "response.output_text.done")[0].service_event["text"]
