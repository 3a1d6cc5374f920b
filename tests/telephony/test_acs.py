"""The ACS bidirectional media-streaming bridge against the embedded server: a simulated ACS peer at 16 kHz."""

from __future__ import annotations

import asyncio

import numpy as np
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import RealtimeExecutionSettings, StopPlaybackEvent
from semantic_kernel_realtime.audio import Resampler
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telephony import AcsMediaStreamingBridge
from tests.server.test_app import wait_until
from tests.telephony.peers import ANSWER_MS, AcsPeer, Answer, Call, Weather, bridge_app, caller_speech_pcm


async def test_a_caller_asks_over_acs_the_kernel_function_runs_and_the_caller_hears_16k_pcm(engines):
    transcriber, synthesizer = engines  # the answer is spoken by eSpeak, the question heard by PocketSphinx
    weather = Weather()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    settings = RealtimeExecutionSettings(
        input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 400},
        function_choice_behavior=FunctionChoiceBehavior.Auto())
    call = Call()
    async with LocalRealtimeServer(transcriber=transcriber, synthesizer=synthesizer) as server, \
            bridge_app(server, call, settings, AcsMediaStreamingBridge, kernel) as app, AcsPeer(app.url) as acs:
        await asyncio.wait_for(call.opened.wait(), 10)
        await acs.speak(caller_speech_pcm(16000))
        await call.until(lambda: len(call.of_type("response.done")) == 2)  # the tool call, then the answer
        spoken = call.of_type("response.output_audio_transcript.done")[-1].service_event["transcript"]
        await wait_until(lambda: abs(len(acs.audio) / 32 - sum(map(len, call.service_audio)) / 48) <= 5)
        assert call.bridge.phone_format == ("pcm16", 16000) and call.bridge.passthrough == (False, False)
        await acs.hang_up()
        await asyncio.wait_for(app.done.wait(), 10)
        assert call.bridge.ended_by == "caller" and not call.client.is_open  # the hang-up ended the session
    assert len(weather.asked) == 1
    assert "sunny and eighteen degrees" in spoken
    service_pcm = b"".join(call.service_audio)  # 24 kHz, as the service sent it
    assert abs(len(acs.audio) / 32 - len(service_pcm) / 48) <= 5  # all of it reached the caller, at 16 kHz
    pcm = np.frombuffer(bytes(acs.audio), dtype="<i2")
    assert np.abs(pcm).max() > 1000, "the caller heard silence"
    resampler = Resampler(24000, 16000)
    expected = np.frombuffer(resampler.convert(service_pcm) + resampler.flush(), dtype="<i2")
    length = min(len(expected), len(pcm))
    assert length > 16000  # over a second of the answer
    # the caller heard the service's answer itself: the same signal, at the stream's rate
    assert np.corrcoef(expected[:length].astype(float), pcm[:length].astype(float))[0, 1] > 0.99


async def test_a_caller_interrupting_over_acs_gets_stop_audio_and_the_item_is_truncated_at_what_played():
    settings = RealtimeExecutionSettings(turn_detection={"type": "server_vad", "silence_duration_ms": 200})
    call = Call()
    async with LocalRealtimeServer(speech=False, responder=Answer()) as server, \
            bridge_app(server, call, settings, AcsMediaStreamingBridge) as app, AcsPeer(app.url) as acs:
        await asyncio.wait_for(call.opened.wait(), 10)
        await call.client.send(RealtimeTextEvent(text=TextContent(text="Tell me about the weather")))
        await call.client.send(RealtimeEvent(service_type="response.create"))
        await call.until(lambda: call.of_type("response.done"))
        item_id = call.of_type("response.output_audio_transcript.done")[0].service_event["item_id"]
        await wait_until(lambda: abs(len(acs.audio) / 32 - ANSWER_MS) <= 20)
        assert abs(len(acs.audio) / 32 - ANSWER_MS) <= 20  # the whole answer is at ACS, playing in real time
        loop = asyncio.get_running_loop()
        start = call.first_audio_at  # where the client's estimate of ACS's playback starts
        await asyncio.sleep(max(0.0, start + 0.6 - loop.time()))  # ACS has played about 600 ms
        speaking_from = (loop.time() - start) * 1000
        await acs.speak(caller_speech_pcm(16000), silence_ms=600)
        truncated = await call.until(lambda: call.of_type("conversation.item.truncated"))
        await asyncio.wait_for(acs.stopped.wait(), 5)
        stopped_by = (loop.time() - call.first_part_at) * 1000
        await call.until(lambda: len(call.of_type("response.done")) == 2)  # the answer to the interruption
    end_ms = truncated[0].service_event["audio_end_ms"]
    assert truncated[0].service_event["item_id"] == item_id
    # ACS reports no position: the client's real-time estimate from the answer's first audio, between the
    # caller starting to speak and the StopAudio reaching ACS. The client stamps that first audio as it decodes
    # it, after the app saw the content part that comes before it and before the app's own observer sees the
    # audio (``start``): measured from those two, the bounds hold however late any task wakes
    assert speaking_from <= end_ms <= stopped_by, (speaking_from, end_ms, stopped_by)
    stop = next(e for e in call.events if isinstance(e, StopPlaybackEvent))
    assert stop.item_id == item_id and stop.audio_end_ms == end_ms
    kinds = [m["Kind"] for m in acs.received]
    assert kinds.count("StopAudio") == 1
    after = bytes(acs.audio[acs.stopped_at:])  # after StopAudio: only the next answer
    assert abs(len(after) / 32 - 4 * 65) <= 20, len(after) / 32  # "Yes?" in the stand-in voice
