"""The Twilio Media Streams bridge against the embedded server: a simulated Twilio peer calls the app."""

from __future__ import annotations

import asyncio
import base64

import numpy as np
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import RealtimeExecutionSettings, StopPlaybackEvent, g711
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telephony import TwilioMediaStreamBridge
from tests.server.test_app import wait_until
from tests.telephony.peers import ANSWER_MS, Answer, Call, TwilioPeer, Weather, bridge_app, caller_speech_mulaw

PCMU = {"type": "audio/pcmu"}


async def test_a_caller_asks_over_twilio_the_kernel_function_runs_and_the_caller_hears_mulaw_audio(engines):
    transcriber, synthesizer = engines
    weather = Weather()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    settings = RealtimeExecutionSettings(
        input_audio_format=PCMU, output_audio_format=PCMU, input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 400},
        function_choice_behavior=FunctionChoiceBehavior.Auto())
    call = Call()
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server, \
            bridge_app(server, call, settings, TwilioMediaStreamBridge, kernel) as app, TwilioPeer(app.url) as twilio:
        await asyncio.wait_for(call.opened.wait(), 10)
        assert call.bridge is not None and call.bridge.passthrough == (True, True)  # mu-law both ways, untouched
        await twilio.speak(caller_speech_mulaw())
        await call.until(lambda: len(call.of_type("response.done")) == 2)  # the tool call, then the answer
        spoken = call.of_type("response.output_audio_transcript.done")[-1].service_event["transcript"]
        await twilio.hang_up()
        await asyncio.wait_for(app.done.wait(), 10)
        assert call.bridge.ended_by == "caller" and not call.client.is_open  # the hang-up ended the session
    assert len(weather.asked) == 1
    assert "sunny and eighteen degrees" in spoken
    pcm = g711.mulaw_decode(bytes(twilio.audio))
    seconds = len(pcm) / 8000
    assert np.abs(pcm).max() > 1000, "the caller heard silence"
    assert 0.15 < seconds / len(spoken.split()) < 0.8, f"{seconds:.1f} s of audio for {spoken!r}"
    assert len(twilio.echoed) == len(twilio.of_kind("media")) == len(twilio.of_kind("mark"))  # one mark per frame
    assert bytes(twilio.audio) == b"".join(call.service_audio)  # passthrough: the service's bytes, untouched


async def test_a_caller_interrupting_gets_a_clear_and_the_item_is_truncated_at_the_marked_position():
    settings = RealtimeExecutionSettings(turn_detection={"type": "server_vad", "silence_duration_ms": 200})
    call = Call()
    async with LocalRealtimeServer(speech=False, responder=Answer()) as server, \
            bridge_app(server, call, settings, TwilioMediaStreamBridge) as app, \
            TwilioPeer(app.url, play_all=False) as twilio:
        await asyncio.wait_for(call.opened.wait(), 10)
        assert call.bridge is not None and call.bridge.passthrough == (False, False)  # PCM 24 kHz: converted
        await call.client.send(RealtimeTextEvent(text=TextContent(text="Tell me about the weather")))
        await call.client.send(RealtimeEvent(service_type="response.create"))
        await call.until(lambda: call.of_type("response.done"))
        item_id = call.of_type("response.output_audio_transcript.done")[0].service_event["item_id"]
        await wait_until(lambda: abs(len(twilio.audio) / 8 - ANSWER_MS) <= 20)  # the last frames reach the caller
        assert abs(len(twilio.audio) / 8 - ANSWER_MS) <= 20  # the whole answer is at Twilio, none played yet
        await twilio.play(600)
        marked_ms = _marked_ms(twilio)
        assert 560 <= marked_ms <= 600
        await twilio.speak(caller_speech_mulaw(), silence_ms=600)
        truncated = await call.until(lambda: call.of_type("conversation.item.truncated"))
        await asyncio.wait_for(twilio.cleared.wait(), 5)
        await call.until(lambda: len(call.of_type("response.done")) == 2)  # the answer to the interruption
        await twilio.hang_up()
        await asyncio.wait_for(app.done.wait(), 10)
    assert truncated[0].service_event["item_id"] == item_id
    assert abs(truncated[0].service_event["audio_end_ms"] - marked_ms) <= 5  # where Twilio's last mark said
    stop = next(e for e in call.events if isinstance(e, StopPlaybackEvent))
    assert stop.item_id == item_id and abs(stop.audio_end_ms - marked_ms) <= 5
    kinds = [m["event"] for m in twilio.received]
    clear = kinds.index("clear")
    assert twilio.cleared_at is not None
    after = bytes(twilio.audio[twilio.cleared_at[1]:])  # what came after the clear: only the next answer
    assert abs(len(after) / 8 - 4 * 65) <= 20, len(after) / 8  # "Yes?" in the stand-in voice
    assert "media" in kinds[clear:]


def _marked_ms(twilio: TwilioPeer) -> float:
    """The audio before the last mark echoed, in ms (what Twilio reported played)."""
    names = [m["mark"]["name"] for m in twilio.of_kind("mark")]
    last = names.index(twilio.echoed[-1])
    media = twilio.of_kind("media")[: last + 1]
    return sum(len(base64.b64decode(m["media"]["payload"])) for m in media) / 8


async def test_when_the_session_ends_the_caller_hears_the_goodbye_and_the_stream_is_hung_up():
    goodbye = (np.sin(np.arange(24000 * 0.5) * 2 * np.pi * 440 / 24000) * 8000).astype("<i2").tobytes()  # 500 ms
    settings = RealtimeExecutionSettings(turn_detection={"type": "server_vad"})
    call = Call()
    async with LocalRealtimeServer(speech=False) as server, \
            bridge_app(server, call, settings, TwilioMediaStreamBridge, goodbye=goodbye) as app, \
            TwilioPeer(app.url) as twilio:
        await asyncio.wait_for(call.opened.wait(), 10)
        await call.client.close_session()  # the app (or the service) ends the session
        await asyncio.wait_for(app.done.wait(), 10)
        await asyncio.wait_for(twilio.closed.wait(), 5)  # the app closed the media stream: Twilio hangs up
    assert call.bridge.ended_by == "session"
    assert abs(len(twilio.audio) / 8 - 500) <= 5  # the goodbye, in mu-law 8 kHz
    assert np.abs(g711.mulaw_decode(bytes(twilio.audio))).max() > 4000
    assert twilio.echoed == [twilio.of_kind("mark")[-1]["mark"]["name"]]  # the bridge waited for it to play
