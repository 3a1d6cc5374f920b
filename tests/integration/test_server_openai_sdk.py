"""The embedded server driven by the official ``openai`` SDK over real loopback WebSockets.

Every server event received here is checked with the server's strict GA judge
(``validate_server_event``) and parsed by the SDK itself.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI

from semantic_kernel_realtime.server import LocalRealtimeServer, validate_server_event
from tests.audio import read_wav, speech_bounds_ms

AUDIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "audio"
PARIS = AUDIO / "weather-in-paris.pcm16-24k.wav"
HELLO = AUDIO / "hello-world.pcm16-24k.wav"
CHUNK = 960  # 20 ms of PCM16 24 kHz

WEATHER_TOOL = {
    "type": "function",
    "name": "weather-get_weather",
    "description": "Get the current weather for a location",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "The city and state"}},
        "required": ["location"],
    },
}


class Peer:
    """An SDK connection that validates and records every server event."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []

    async def recv(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv_bytes(), 10)
        event = json.loads(raw)
        validate_server_event(event)
        assert self.connection.parse_event(raw).type == event["type"]
        self.events.append(event)
        return event

    async def until(self, kind: str) -> list[dict[str, Any]]:
        """Events up to and including the first of type ``kind``."""
        seen = []
        while True:
            event = await self.recv()
            seen.append(event)
            if event["type"] == kind:
                return seen

    async def send_audio(self, pcm: bytes) -> None:
        for offset in range(0, len(pcm), CHUNK):
            await self.connection.input_audio_buffer.append(
                audio=base64.b64encode(pcm[offset : offset + CHUNK]).decode()
            )


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


@pytest.fixture
async def server():
    async with LocalRealtimeServer(speech=False) as srv:
        yield srv


@pytest.fixture
async def paced_server():
    async with LocalRealtimeServer(speech=False, output_audio_pace=1.0) as srv:
        yield srv


def connect(server: LocalRealtimeServer, **kwargs: Any) -> Any:
    return AsyncOpenAI(base_url=server.base_url, api_key="anything", **kwargs).realtime.connect(model="gpt-realtime")


async def open_peer(connection: Any) -> Peer:
    peer = Peer(connection)
    created = await peer.recv()
    assert created["type"] == "session.created"
    assert created["session"]["id"].startswith("sess_")
    return peer


async def user_text(peer: Peer, text: str) -> None:
    await peer.connection.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


async def test_session_update_round_trip(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await connection.session.update(session={
            "type": "realtime",
            "instructions": "Be brief.",
            "tools": [WEATHER_TOOL],
            "audio": {
                "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 300},
                          "transcription": {"model": "whisper-1", "language": "en"}},
                "output": {"voice": "cedar", "format": {"type": "audio/pcmu"}},
            },
        })
        updated = (await peer.until("session.updated"))[-1]["session"]
        assert updated["instructions"] == "Be brief."
        assert updated["tools"] == [WEATHER_TOOL]
        assert updated["audio"]["output"] == {"format": {"type": "audio/pcmu"}, "voice": "cedar", "speed": 1.0}
        detection = updated["audio"]["input"]["turn_detection"]
        assert detection["silence_duration_ms"] == 300 and detection["prefix_padding_ms"] == 300
        assert updated["audio"]["input"]["transcription"] == {"model": "whisper-1", "language": "en"}
        assert updated["output_modalities"] == ["audio"]  # untouched fields keep their value

        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"],
                                                 "audio": {"input": {"turn_detection": None}}})
        second = (await peer.until("session.updated"))[-1]["session"]
        assert second["output_modalities"] == ["text"]
        assert second["audio"]["input"]["turn_detection"] is None
        assert second["instructions"] == "Be brief." and second["audio"]["output"]["voice"] == "cedar"


async def test_text_turn_deltas_concatenate_to_done_text(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await user_text(peer, "Tell me something nice")
        await connection.response.create()
        events = await peer.until("response.done")
        kinds = [e["type"] for e in events]
        order = ["response.created", "response.output_item.added", "response.content_part.added",
                 "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                 "response.output_item.done", "response.done"]
        assert [k for k in kinds if k in order and k != "response.output_text.delta"] == [
            k for k in order if k != "response.output_text.delta"]
        assert "rate_limits.updated" in kinds
        deltas = "".join(e["delta"] for e in of_type(events, "response.output_text.delta"))
        done = of_type(events, "response.output_text.done")[0]["text"]
        assert deltas == done == "You said: Tell me something nice"
        response = events[-1]["response"]
        assert response["id"].startswith("resp_") and response["status"] == "completed"
        assert response["output"][0]["content"] == [{"type": "output_text", "text": done}]
        assert response["usage"]["total_tokens"] > 0


async def test_audio_output_transcript_and_chunks(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await user_text(peer, "Hello there")
        await connection.response.create()
        events = await peer.until("response.done")
        transcript = "".join(e["delta"] for e in of_type(events, "response.output_audio_transcript.delta"))
        assert transcript == of_type(events, "response.output_audio_transcript.done")[0]["transcript"]
        chunks = [base64.b64decode(e["delta"]) for e in of_type(events, "response.output_audio.delta")]
        assert chunks and all(len(c) <= CHUNK for c in chunks) and len(chunks[0]) == CHUNK
        audio = np.frombuffer(b"".join(chunks), dtype="<i2")
        assert np.abs(audio).max() > 1000  # not silence
        assert len(audio) / 24000 == pytest.approx(0.065 * len(transcript), rel=0.05)


async def test_audio_turn_with_server_vad(server):
    pcm = read_wav(PARIS)
    start_ms, end_ms = speech_bounds_ms(pcm)
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await peer.send_audio(pcm + bytes(CHUNK * 50))  # the file, then 1 s of silence
        events = await peer.until("response.done")
        started = of_type(events, "input_audio_buffer.speech_started")
        stopped = of_type(events, "input_audio_buffer.speech_stopped")
        assert len(started) == len(stopped) == 1
        assert abs(started[0]["audio_start_ms"] - start_ms) <= 200
        assert abs(stopped[0]["audio_end_ms"] - end_ms) <= 200
        committed = of_type(events, "input_audio_buffer.committed")[0]
        assert committed["item_id"] == started[0]["item_id"] == stopped[0]["item_id"]
        kinds = [e["type"] for e in events]
        assert kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
        assert events[-1]["response"]["status"] == "completed"
        assert of_type(events, "response.output_audio.delta")


async def test_tool_round_trip(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await connection.session.update(session={"type": "realtime", "tools": [WEATHER_TOOL]})
        await peer.until("session.updated")
        await user_text(peer, "What's the weather like in San Francisco, California?")
        await connection.response.create()
        events = await peer.until("response.done")
        call = of_type(events, "response.function_call_arguments.done")[0]
        assert call["name"] == "weather-get_weather" and call["call_id"].startswith("call_")
        assert json.loads(call["arguments"]) == {"location": "San Francisco, California"}
        assert events[-1]["response"]["output"][0]["type"] == "function_call"

        await connection.conversation.item.create(
            item={"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny and 18 degrees"}
        )
        await connection.response.create()
        answer = await peer.until("response.done")
        transcript = of_type(answer, "response.output_audio_transcript.done")[0]["transcript"]
        assert "Sunny and 18 degrees" in transcript
        assert of_type(answer, "response.output_audio.delta")


async def test_response_cancel_mid_response(paced_server):
    async with connect(paced_server) as connection:
        peer = await open_peer(connection)
        await user_text(peer, "Please talk for a while about anything at all")
        await connection.response.create()
        await peer.until("response.output_audio.delta")
        await connection.response.cancel()
        events = await peer.until("response.done")
        response = events[-1]["response"]
        assert response["status"] == "cancelled"
        assert response["status_details"]["reason"] == "client_cancelled"
        assert response["output"][0]["status"] == "incomplete"
        # the session goes on: a new response can start
        await connection.response.create(response={"output_modalities": ["text"]})
        assert (await peer.until("response.done"))[-1]["response"]["status"] == "completed"


async def test_barge_in_cancels_with_turn_detected(paced_server):
    async with connect(paced_server) as connection:
        peer = await open_peer(connection)
        await peer.send_audio(read_wav(HELLO) + bytes(CHUNK * 40))
        await peer.until("response.output_audio.delta")  # the automatic answer is playing
        await peer.send_audio(read_wav(PARIS) + bytes(CHUNK * 40))
        events = await peer.until("response.done")
        assert of_type(events, "input_audio_buffer.speech_started")
        response = events[-1]["response"]
        assert response["status"] == "cancelled" and response["status_details"]["reason"] == "turn_detected"
        follow_up = await peer.until("response.created")  # the new turn is answered
        assert of_type(events + follow_up, "input_audio_buffer.committed")  # (it may precede the cancellation)
        # stop the (real-time paced) follow-up answer and read to its end, so closing is not held up by
        # unread events in the SDK's receive queue
        await connection.response.cancel()
        assert (await peer.until("response.done"))[-1]["response"]["status"] == "cancelled"


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        ("{not json", "invalid_json", None),
        (json.dumps({"type": "no.such.event", "event_id": "evt_1"}), "invalid_value", "type"),
        (json.dumps({"event_id": "evt_1"}), "invalid_event", "type"),
        (json.dumps({"type": "conversation.item.truncate", "event_id": "evt_1", "item_id": "x",
                     "content_index": "0", "audio_end_ms": 1}), "invalid_type", "content_index"),
        (json.dumps({"type": "session.update", "event_id": "evt_1",
                     "session": {"type": "realtime", "modalities": ["text"]}}), "unknown_parameter",
         "session.modalities"),
        (json.dumps({"type": "conversation.item.create", "event_id": "evt_1",
                     "item": {"type": "function_call_output", "output": "x"}}), "missing_required_parameter",
         "item.call_id"),
        (json.dumps({"type": "session.update", "event_id": "evt_1", "session": {
            "type": "realtime", "audio": {"input": {"turn_detection": {"type": "loud_vad"}}}}}),
         "invalid_value", "session.audio.input.turn_detection.type"),
        (json.dumps({"type": "response.cancel", "event_id": "evt_1"}), "response_cancel_not_active", None),
        (json.dumps({"type": "input_audio_buffer.commit", "event_id": "evt_1"}), "input_audio_buffer_commit_empty",
         None),
        (json.dumps({"type": "conversation.item.delete", "event_id": "evt_1", "item_id": "item_nope"}),
         "item_not_found", "item_id"),
        (json.dumps({"type": "input_audio_buffer.append", "event_id": "evt_1", "audio": "***"}), "invalid_value",
         "audio"),
    ],
)
async def test_invalid_input_gets_error_and_session_goes_on(server, raw, code, param):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await connection.send_raw(raw)
        error = await peer.recv()
        assert error["type"] == "error"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["error"]["code"] == code
        assert error["error"]["param"] == param
        assert error["error"]["message"]
        if "evt_1" in raw:
            assert error["error"]["event_id"] == "evt_1"
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await user_text(peer, "still there?")
        await connection.response.create()
        assert (await peer.until("response.done"))[-1]["response"]["status"] == "completed"


async def test_second_response_create_while_active(paced_server):
    async with connect(paced_server) as connection:
        peer = await open_peer(connection)
        await user_text(peer, "Hello there")
        await connection.response.create()
        await peer.until("response.created")
        await connection.response.create(event_id="evt_2")
        events = await peer.until("error")
        error = events[-1]["error"]
        assert error["code"] == "conversation_already_has_active_response" and error["event_id"] == "evt_2"
        await connection.response.cancel()
        assert (await peer.until("response.done"))[-1]["response"]["status"] == "cancelled"


async def test_conversation_item_operations(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await user_text(peer, "first")
        first = (await peer.until("conversation.item.done"))[-1]["item"]
        await connection.conversation.item.create(
            previous_item_id="root",
            item={"id": "item_custom", "type": "message", "role": "system",
                  "content": [{"type": "input_text", "text": "be kind"}]},
        )
        added = (await peer.until("conversation.item.added"))[-1]
        assert added["previous_item_id"] is None and added["item"]["id"] == "item_custom"
        await connection.conversation.item.retrieve(item_id=first["id"])
        retrieved = (await peer.until("conversation.item.retrieved"))[-1]
        assert retrieved["item"]["content"] == [{"type": "input_text", "text": "first"}]

        await connection.response.create()
        done = (await peer.until("response.done"))[-1]
        assistant = done["response"]["output"][0]
        await connection.conversation.item.truncate(item_id=assistant["id"], content_index=0, audio_end_ms=100)
        truncated = (await peer.until("conversation.item.truncated"))[-1]
        assert truncated["audio_end_ms"] == 100
        await connection.conversation.item.retrieve(item_id=assistant["id"])
        audio = (await peer.until("conversation.item.retrieved"))[-1]["item"]["content"][0]["audio"]
        assert len(base64.b64decode(audio)) == 100 * 48

        await connection.conversation.item.delete(item_id="item_custom")
        assert (await peer.until("conversation.item.deleted"))[-1]["item_id"] == "item_custom"


async def test_g711_output_format(server):
    async with connect(server) as connection:
        peer = await open_peer(connection)
        await connection.session.update(session={"type": "realtime",
                                                 "audio": {"output": {"format": {"type": "audio/pcma"}}}})
        await user_text(peer, "Hi")
        await connection.response.create()
        events = await peer.until("response.done")
        audio = b"".join(base64.b64decode(e["delta"]) for e in of_type(events, "response.output_audio.delta"))
        transcript = of_type(events, "response.output_audio_transcript.done")[0]["transcript"]
        assert len(audio) / 8000 == pytest.approx(0.065 * len(transcript), rel=0.05)  # 1 byte per 8 kHz sample
        assert events[-1]["response"]["audio"]["output"]["format"] == {"type": "audio/pcma"}


async def test_fifty_concurrent_sessions(server):
    async def one(index: int) -> str:
        async with connect(server) as connection:
            peer = await open_peer(connection)
            await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await user_text(peer, f"session {index}")
            await connection.response.create()
            events = await peer.until("response.done")
            assert not of_type(events, "error")
            return of_type(events, "response.output_text.done")[0]["text"]

    texts = await asyncio.gather(*(one(i) for i in range(50)))
    assert texts == [f"You said: session {i}" for i in range(50)]


async def test_api_key_is_required_when_configured():
    async with LocalRealtimeServer(speech=False, api_key="sk-local-secret") as srv:
        with pytest.raises(Exception, match="401"):
            async with AsyncOpenAI(base_url=srv.base_url, api_key="wrong").realtime.connect(model="gpt-realtime"):
                pass
        async with AsyncOpenAI(base_url=srv.base_url, api_key="sk-local-secret").realtime.connect(
            model="gpt-realtime"
        ) as connection:
            assert (await Peer(connection).recv())["type"] == "session.created"
