"""Recording any client with the public hook, replaying the log, and keeping secrets out of it.

A ``Recorder`` attached to a plain connector (no demo code) against the embedded server: the log replays
to the transcript the live session printed and plots a timeline; the API key (WebSocket) and the
ephemeral ``ek_`` secret (WebRTC) appear nowhere in it; audio can be left out.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent

from semantic_kernel_realtime import OpenAIRealtimeWebRTC, OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.cli import main
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telemetry import Recorder, SessionReplay, TranscriptPrinter, read_log
from semantic_kernel_realtime.telemetry.plot import plot_timeline
from semantic_kernel_realtime.telemetry.recording import REDACTED
from tests.integration.plugins import WeatherPlugin

API_KEY = "sk-proj-test-4f9a1c2b7d3e8f6a5b0c"
LONG_BASE64 = re.compile(rb"[A-Za-z0-9+/]{256,}")


async def _tool_turn(client, modalities: list[str], last: str = "response.done") -> list[str]:
    """A typed weather question answered with the tool; returns the transcript the live session printed.

    The session closes at the second ``last`` event (over WebRTC the answer's audio plays after its response).
    """
    kernel = Kernel()
    kernel.add_plugin(WeatherPlugin(), "weather")
    printer = TranscriptPrinter(out=io.StringIO(), codec=client.codec_class)
    settings = RealtimeExecutionSettings(output_modalities=modalities,
                                         function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with client(settings=settings, kernel=kernel):
        await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")))
        await client.send(RealtimeEvent(service_type="response.create"))
        done = 0

        async def consume() -> None:
            nonlocal done
            async for event in client.receive():
                printer.handle(event)
                done += event.service_type == last
                if done == 2 or (done == 1 and last != "response.done"):
                    return

        await asyncio.wait_for(consume(), 20)
    printer.finish()
    return printer.lines


def _replayed_lines(path: Path) -> list[str]:
    replay = SessionReplay(read_log(path))
    printer = TranscriptPrinter(out=io.StringIO(), codec=replay.codec_class)
    for step in replay.steps():
        if step.direction == "received":
            for event in step.events:
                printer.handle(event)
        elif step.direction == "sent" and "output" in step.note:
            printer.tool_result(step.note["output"])
    printer.finish()
    return printer.lines


async def test_a_recorded_websocket_session_replays_to_the_same_transcript_plots_and_holds_no_key(tmp_path, capsys):
    path = tmp_path / "ws.jsonl"
    async with LocalRealtimeServer(speech=False, api_key=API_KEY) as server:
        client = OpenAIRealtimeWebsocket(api_key=API_KEY, base_url=server.base_url)
        with Recorder(path, meta={"app": "test"}) as recorder:
            client.attach(recorder)
            live = await _tool_turn(client, ["text"])
    assert live[0].startswith("tool call: weather-get_weather(") and live[-1].startswith("assistant: ")
    assert _replayed_lines(path) == live
    replay = SessionReplay(read_log(path))
    assert replay.header["app"] == "test" and replay.connection["protocol"] == "openai-ga"
    [turn] = replay.turns()
    assert [t.name for t in turn.tools] == ["weather-get_weather"] and len(turn.response_ids) == 2
    png = plot_timeline(replay, tmp_path / "timeline.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    capsys.readouterr()
    assert main(["replay", str(path), "--plot", str(tmp_path / "cli.png")]) == 0  # sk-realtime replay, any log
    printed = capsys.readouterr().out
    assert all(line in printed for line in live) and "timing:" in printed and (tmp_path / "cli.png").is_file()
    raw = path.read_bytes()
    assert API_KEY.encode() not in raw and API_KEY[8:].encode() not in raw and b"ek_" not in raw


async def test_a_recorded_webrtc_session_holds_neither_the_key_nor_the_ephemeral_secret(tmp_path):
    path = tmp_path / "rtc.jsonl"
    async with LocalRealtimeServer(speech=False, api_key=API_KEY) as server:
        client = OpenAIRealtimeWebRTC(api_key=API_KEY, base_url=server.base_url)
        with Recorder(path) as recorder:
            client.attach(recorder)
            live = await _tool_turn(client, ["audio"], last="output_audio_buffer.stopped")
            bearer = client.transport._signalling._headers["Authorization"]  # the minted secret, as sent
    secret = bearer.removeprefix("Bearer ")
    assert secret.startswith("ek_") and len(secret) > 10
    raw = path.read_bytes()
    assert API_KEY.encode() not in raw and secret.encode() not in raw and secret[3:].encode() not in raw
    replay = SessionReplay(read_log(path))
    assert replay.connection["transport"] == "webrtc" and replay.connection["media"] is True
    assert b'"client.media_audio"' in raw  # track audio and audio sent as media are recorded
    assert _replayed_lines(path) == live


async def test_audio_can_be_left_out_and_the_replay_still_measures_it(tmp_path):
    full, lean = tmp_path / "full.jsonl", tmp_path / "lean.jsonl"
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        with Recorder(full) as with_audio, Recorder(lean, audio=False) as without_audio:
            client.attach(with_audio)
            client.attach(without_audio)
            live = await _tool_turn(client, ["audio"])
    assert LONG_BASE64.search(full.read_bytes()) and not LONG_BASE64.search(lean.read_bytes())
    assert lean.stat().st_size < full.stat().st_size / 3
    assert _replayed_lines(lean) == _replayed_lines(full) == live
    [kept], [left_out] = SessionReplay(read_log(full)).turns(), SessionReplay(read_log(lean)).turns()
    assert kept.audio_out_ms > 100 and left_out.audio_out_ms == kept.audio_out_ms


def test_secrets_in_messages_are_redacted(tmp_path):
    class Client:  # what the recorder reads of a client: its SecretStr fields
        model_fields = {"api_key": None}

        def __init__(self) -> None:
            from pydantic import SecretStr

            self.api_key = SecretStr(API_KEY)

    recorder = Recorder(tmp_path / "s.jsonl", secrets=["my-backend-token"])
    recorder.started(Client())  # type: ignore[arg-type]
    recorder.message_received(orjson.dumps({
        "type": "session.created", "echo": f"key {API_KEY} and my-backend-token",
        "session": {"client_secret": {"value": "ek_68af2c0b9e7d4", "expires_at": 1}, "api_key": "anything"},
        "note": "a secret ek_0123456789abcdef in text"}))
    recorder.sent(None, '{"type": "x", "headers": {"Authorization": "Bearer abc"}}')
    recorder.close()
    raw = (tmp_path / "s.jsonl").read_bytes()
    for leaked in (API_KEY, "my-backend-token", "ek_68af2c0b9e7d4", "ek_0123456789abcdef", "anything", "Bearer abc"):
        assert leaked.encode() not in raw, leaked
    [_, received, sent] = list(read_log(tmp_path / "s.jsonl"))
    assert received.event["session"]["client_secret"] == REDACTED and received.event["type"] == "session.created"
    assert sent.event["headers"]["Authorization"] == REDACTED


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=80), st.text(max_size=80),
                          st.dictionaries(st.text(max_size=8),
                                          st.one_of(st.integers(-2**63, 2**63 - 1), st.text(max_size=8), st.none()),
                                          max_size=4).map(orjson.dumps)),
                max_size=12))
def test_read_log_skips_what_it_cannot_read_and_never_raises(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("log") / "any.jsonl"
    path.write_bytes(b"\n".join(line.encode() if isinstance(line, str) else line for line in lines))
    for record in read_log(path):
        assert isinstance(record.event, dict) and isinstance(record.note, dict) and isinstance(record.t, float)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), st.text(max_size=300),
                              st.binary(min_size=200, max_size=400).map(lambda b: __import__("base64").b64encode(b)
                                                                       .decode())),
                    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner,
                                                                                         max_size=4)),
                    max_leaves=12))
def test_recording_any_received_message_never_raises(tmp_path_factory, value):
    recorder = Recorder(tmp_path_factory.mktemp("log") / "any.jsonl", audio=False)
    recorder.message_received(orjson.dumps(value))
    recorder.message_received(b"\xff not json")
    recorder.close()
    records = list(read_log(recorder.path))
    assert len(records) == 3 and records[2].type == "client.unparsable"
    raw = recorder.path.read_bytes()
    for blob in _base64_blobs(value):  # audio in any field of any shape is left out
        assert blob.encode() not in raw


def _base64_blobs(value) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) >= 256 and len(value) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/]+=*", value) else []
    if isinstance(value, dict):
        return [b for v in value.values() for b in _base64_blobs(v)]
    if isinstance(value, list):
        return [b for v in value for b in _base64_blobs(v)]
    return []


@pytest.mark.parametrize("audio", [True, False])
def test_the_log_header_and_version(tmp_path, audio):
    with Recorder(tmp_path / "h.jsonl", audio=audio, meta={"service": "local"}) as recorder:
        pass
    [header] = list(read_log(recorder.path))
    assert header.direction == "meta" and header.event == {"type": "client.session_log", "version": 2,
                                                            "service": "local"}
