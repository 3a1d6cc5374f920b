"""engine.py driven directly (no sockets): the engine is transport-agnostic, events go to a callback."""

import asyncio
import base64
import json
import time

from semantic_kernel_realtime.server.engine import SessionEngine
from semantic_kernel_realtime.server.validation import validate_server_event
from tests.server.fixtures import read_wav

WEATHER = {"type": "function", "name": "weather-get_weather", "description": "Get the current weather for a location",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}


class Recorder:
    """Collects emitted events (validating each) and lets a test wait for one."""

    def __init__(self):
        self.events = []
        self.times = []  # monotonic time each event was emitted
        self._changed = asyncio.Event()

    def __call__(self, event):
        self.times.append(time.monotonic())
        validate_server_event(json.loads(json.dumps(event)))
        self.events.append(event)
        self._changed.set()

    def of(self, kind):
        return [e for e in self.events if e["type"] == kind]

    def emitted_at(self, kind, count=1):
        """When the ``count``-th event of ``kind`` was emitted (monotonic)."""
        return [t for t, e in zip(self.times, self.events, strict=True) if e["type"] == kind][count - 1]

    async def wait_for(self, kind, count=1, timeout=5):
        async def arrived():
            while len(self.of(kind)) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(arrived(), timeout)  # (asyncio.timeout is 3.11+)
        return self.of(kind)[count - 1]


class FixedTranscriber:
    name = "fixed"

    def __init__(self, text="what is the weather in paris", fail=False):
        self.text, self.fail, self.calls = text, fail, 0

    def transcribe(self, pcm16, *, language=None, prompt=None):
        self.calls += 1
        if self.fail:
            raise RuntimeError("no")
        return self.text


def make(**kwargs):
    recorder = Recorder()
    engine = SessionEngine(recorder, **kwargs)
    engine.start()
    return engine, recorder


def update(engine, **session):
    engine.receive({"type": "session.update", "session": {"type": "realtime", **session}})


async def test_created_first_then_text_response():
    engine, rec = make()
    assert rec.events[0]["type"] == "session.created"
    update(engine, output_modalities=["text"])
    engine.receive({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}})
    engine.receive({"type": "response.create"})
    done = await rec.wait_for("response.done")
    assert done["response"]["output"][0]["content"][0]["text"] == "You said: hi"
    await engine.close()


async def test_manual_commit_with_turn_detection_off():
    engine, rec = make(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
    engine.push_audio(read_wav("weather-in-paris.pcm16-24k.wav") + bytes(48_000))
    assert not rec.of("input_audio_buffer.speech_started")
    engine.receive({"type": "input_audio_buffer.commit"})
    committed = rec.of("input_audio_buffer.committed")[0]
    assert rec.of("conversation.item.added")[-1]["item"]["id"] == committed["item_id"]
    assert not rec.of("response.created")  # manual mode: no automatic response
    engine.receive({"type": "input_audio_buffer.clear"})
    assert rec.of("input_audio_buffer.cleared")
    await engine.close()


async def test_spoken_question_with_transcriber_calls_the_tool():
    transcriber = FixedTranscriber()
    engine, rec = make(transcriber=transcriber)
    update(engine, tools=[WEATHER], audio={"input": {"transcription": {"model": "whisper-1"}}})
    pcm = read_wav("weather-in-paris.pcm16-24k.wav") + bytes(48_000)
    for offset in range(0, len(pcm), 960):
        chunk = base64.b64encode(pcm[offset : offset + 960]).decode()
        engine.receive({"type": "input_audio_buffer.append", "audio": chunk})
    completed = await rec.wait_for("conversation.item.input_audio_transcription.completed")
    assert completed["transcript"] == "what is the weather in paris"
    assert rec.of("conversation.item.input_audio_transcription.delta")[0]["delta"] == completed["transcript"]
    call = await rec.wait_for("response.function_call_arguments.done")
    assert json.loads(call["arguments"]) == {"location": "paris"}
    assert transcriber.calls == 1
    await engine.close()


async def test_transcription_failures():
    engine, rec = make()  # transcription on, no transcriber
    update(engine, output_modalities=["text"], audio={"input": {"transcription": {"model": "whisper-1"},
                                                                "turn_detection": None}})
    engine.push_audio(bytes(48 * 200))
    engine.receive({"type": "input_audio_buffer.commit"})
    assert rec.of("conversation.item.input_audio_transcription.failed")[0]["error"]["code"] == "transcriber_unavailable"
    await engine.close()

    engine, rec = make(transcriber=FixedTranscriber(fail=True))
    update(engine, audio={"input": {"transcription": {"model": "whisper-1"}, "turn_detection": None}})
    engine.push_audio(bytes(48 * 200))
    engine.receive({"type": "input_audio_buffer.commit"})
    failed = await rec.wait_for("conversation.item.input_audio_transcription.failed")
    assert failed["error"]["code"] == "audio_unintelligible"
    await engine.close()


async def test_pcma_input_is_decoded_for_vad():
    import numpy as np

    from semantic_kernel_realtime.server import audio_formats
    from tests.server.fixtures import read_alaw_wav
    from tests.server.test_vad import energy_bounds

    engine, rec = make(session={"type": "realtime", "output_modalities": ["text"],
                                "audio": {"input": {"format": {"type": "audio/pcma"}}}})
    speech = read_alaw_wav("whats-the-weather.g711-alaw-8k.wav")
    start_ms, _ = energy_bounds(audio_formats.decode(speech, {"type": "audio/pcma"}))
    alaw = speech + audio_formats.alaw_encode(np.zeros(8000, dtype=np.int16))
    for offset in range(0, len(alaw), 160):  # 20 ms of 8 kHz A-law
        chunk = base64.b64encode(alaw[offset : offset + 160]).decode()
        engine.receive({"type": "input_audio_buffer.append", "audio": chunk})
    started = rec.of("input_audio_buffer.speech_started")
    assert started and abs(started[0]["audio_start_ms"] - start_ms) <= 200
    await rec.wait_for("response.done")
    await engine.close()


async def test_voice_cannot_change_after_audio_and_output_clear_is_webrtc_only():
    engine, rec = make()
    engine.receive({"type": "response.create"})
    await rec.wait_for("response.done")
    engine.receive({"type": "session.update", "event_id": "e1",
                    "session": {"type": "realtime", "audio": {"output": {"voice": "echo"}}}})
    assert rec.of("error")[-1]["error"]["code"] == "cannot_update_voice"
    engine.receive({"type": "output_audio_buffer.clear"})
    assert rec.of("error")[-1]["error"]["code"] == "unsupported_for_transport"
    await engine.close()


async def test_out_of_band_response_leaves_the_conversation_alone():
    engine, rec = make()
    engine.receive({"type": "response.create", "response": {
        "conversation": "none", "output_modalities": ["text"], "metadata": {"topic": "x"},
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "side"}]}]}})
    done = await rec.wait_for("response.done")
    assert done["response"]["conversation_id"] is None and done["response"]["metadata"] == {"topic": "x"}
    assert done["response"]["output"][0]["content"][0]["text"] == "You said: side"
    assert not rec.of("conversation.item.added") and len(engine.conversation) == 0
    await engine.close()


async def test_max_output_tokens_makes_the_response_incomplete():
    engine, rec = make()
    engine.receive({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "one two three four"}]}})
    engine.receive({"type": "response.create", "response": {"max_output_tokens": 2, "output_modalities": ["text"]}})
    done = await rec.wait_for("response.done")
    assert done["response"]["status"] == "incomplete"
    assert done["response"]["status_details"]["reason"] == "max_output_tokens"
    assert done["response"]["output"][0]["content"][0]["text"] == "You said:"
    await engine.close()


async def test_close_cancels_everything_and_emits_nothing_more():
    class SlowSink:
        def __init__(self):
            self.gate = asyncio.Event()

        async def write(self, part, pcm16):
            await self.gate.wait()  # never opens: the response stays active

        async def end(self, part, *, interrupted):
            pass

        def clear(self):
            return True

    engine, rec = make(sink=SlowSink())
    engine.receive({"type": "response.create"})
    await rec.wait_for("response.content_part.added")
    count = len(rec.events)
    await engine.close()
    assert len(rec.events) == count
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith(("response ", "transcribe "))]


async def test_create_right_after_cancel_waits_for_the_cancelled_response():
    from semantic_kernel_realtime.server.sinks import WebSocketAudioSink

    recorder = Recorder()
    engine = SessionEngine(recorder, sink=WebSocketAudioSink(recorder, pace=1.0))
    engine.start()
    engine.receive({"type": "response.create"})
    await recorder.wait_for("response.output_audio.delta")
    engine.receive({"type": "response.cancel"})
    engine.receive({"type": "response.create"})  # accepted: the active one is already being cancelled
    engine.receive({"type": "response.cancel"})  # cancels the queued one before it starts
    second = await recorder.wait_for("response.done", 2)
    first = recorder.of("response.done")[0]
    assert first["response"]["status"] == second["response"]["status"] == "cancelled"
    created = [e["response"]["id"] for e in recorder.of("response.created")]
    assert created == [first["response"]["id"], second["response"]["id"]]
    assert not recorder.of("error")
    await engine.close()


async def test_a_handler_bug_is_reported_and_the_session_goes_on():
    engine, rec = make()
    engine._buffer = None  # break the input buffer: input_audio_buffer.clear now fails inside the engine
    engine.receive({"type": "input_audio_buffer.clear", "event_id": "e1"})
    error = rec.of("error")[-1]["error"]
    assert error["type"] == "server_error" and error["event_id"] == "e1"
    engine.receive({"type": "response.create", "response": {"output_modalities": ["text"]}})
    assert (await rec.wait_for("response.done"))["response"]["status"] == "completed"
    await engine.close()


# --- null means absent (issue 17) ------------------------------------------------------------------------


class RecordingResponder:
    """Answers "ok." and remembers what each response asked."""

    name = "recording"

    def __init__(self):
        self.requests = []

    async def respond(self, request):
        from semantic_kernel_realtime.server.responder import TextDelta

        self.requests.append(request)
        yield TextDelta("ok.")


async def test_null_instructions_in_response_create_mean_the_session_instructions():
    responder = RecordingResponder()
    engine, rec = make(responder=responder)
    update(engine, instructions="Be brief.", output_modalities=["text"])
    engine.receive_text(json.dumps({"type": "response.create", "response": {"instructions": None}}))
    done = await rec.wait_for("response.done")
    assert done["response"]["status"] == "completed" and not rec.of("error")
    assert responder.requests[0].instructions == "Be brief."
    await engine.close()


async def test_null_tools_in_response_create_mean_the_session_tools():
    engine, rec = make()
    update(engine, tools=[WEATHER], output_modalities=["text"])
    engine.receive({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather in Paris?"}]}})
    engine.receive_text(json.dumps({"type": "response.create", "response": {"tools": None, "tool_choice": None}}))
    call = await rec.wait_for("response.function_call_arguments.done")
    assert call["name"] == WEATHER["name"] and not rec.of("error")
    await engine.close()


async def test_null_audio_in_session_update_changes_nothing():
    engine, rec = make()
    before = rec.of("session.created")[0]["session"]
    engine.receive_text(json.dumps({"type": "session.update", "session": {"type": "realtime", "audio": None,
                                                                            "instructions": None}}))
    updated = rec.of("session.updated")[-1]["session"]
    assert not rec.of("error")
    assert updated["audio"] == before["audio"] and updated["instructions"] == before["instructions"]
    await engine.close()


async def test_null_still_turns_turn_detection_off():
    engine, rec = make()
    update(engine, audio={"input": {"turn_detection": None, "transcription": None}})
    assert rec.of("session.updated")[-1]["session"]["audio"]["input"]["turn_detection"] is None
    await engine.close()


async def test_a_model_in_session_update_is_accepted_and_ignored():
    engine, rec = make(model="gpt-realtime")
    update(engine, model="gpt-realtime-mini", instructions="x")
    assert not rec.of("error")
    assert rec.of("session.updated")[-1]["session"]["model"] == "gpt-realtime"
    await engine.close()


async def test_numbers_outside_their_documented_range_get_the_service_codes():
    engine, rec = make()
    engine.receive({"type": "session.update", "event_id": "e1",
                    "session": {"type": "realtime", "audio": {"output": {"speed": 2}}}})
    error = rec.of("error")[-1]["error"]
    assert (error["code"], error["param"], error["event_id"]) == (
        "decimal_above_max_value", "session.audio.output.speed", "e1")
    assert error["message"] == ("Invalid 'session.audio.output.speed': decimal above maximum value. "
                                "Expected a value <= 1.5, but got 2 instead.")
    engine.receive({"type": "response.create", "response": {"max_output_tokens": 0}})
    assert rec.of("error")[-1]["error"]["code"] == "integer_below_min_value"
    assert not rec.of("response.created")
    await engine.close()


# --- bounded memory (issue 17) -----------------------------------------------------------------------------


async def test_streaming_silence_keeps_the_input_buffer_flat():
    engine, rec = make()  # server VAD on: nothing is said, so only the padding before a start may be kept
    for _ in range(3_000):  # 60 s of 20 ms frames
        engine.push_audio(bytes(960))
    kept_ms = len(engine._buffer) // 48
    padding = rec.of("session.created")[0]["session"]["audio"]["input"]["turn_detection"]["prefix_padding_ms"]
    assert kept_ms <= padding + 2_000
    assert not rec.of("input_audio_buffer.speech_started")
    await engine.close()


async def test_a_speech_turn_after_long_silence_still_commits_its_padding():
    engine, rec = make(session={"type": "realtime", "output_modalities": ["text"]})
    for _ in range(1_000):  # 20 s of silence first
        engine.push_audio(bytes(960))
    speech = read_wav("weather-in-paris.pcm16-24k.wav")
    engine.push_audio(speech + bytes(48_000))
    started = await rec.wait_for("input_audio_buffer.speech_started")
    committed = await rec.wait_for("input_audio_buffer.committed")
    stopped = rec.of("input_audio_buffer.speech_stopped")[0]
    audio_ms = len(engine.conversation.audio(committed["item_id"])) // 48
    assert 20_000 <= started["audio_start_ms"]
    assert audio_ms >= stopped["audio_end_ms"] - started["audio_start_ms"] + 250  # the 300 ms padding, roughly
    await engine.close()


async def test_a_full_input_buffer_drops_its_oldest_audio_and_says_so_once():
    from semantic_kernel_realtime.server.limits import ServerLimits

    engine, rec = make(limits=ServerLimits(max_input_audio_ms=1_000),
                       session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
    chunk = base64.b64encode(bytes(48 * 400)).decode()  # 400 ms
    for index in range(6):
        engine.receive({"type": "input_audio_buffer.append", "event_id": f"a{index}", "audio": chunk})
    errors = rec.of("error")
    assert [e["error"]["code"] for e in errors] == ["input_audio_buffer_overflow"]
    assert errors[0]["error"]["event_id"] == "a2"  # the append that first overflowed
    assert len(engine._buffer) == 48 * 1_000
    engine.receive({"type": "input_audio_buffer.commit"})
    assert len(engine.conversation.audio(rec.of("input_audio_buffer.committed")[0]["item_id"])) == 48 * 1_000
    await engine.close()


async def test_the_conversation_keeps_at_most_its_bound_of_items():
    from semantic_kernel_realtime.server.limits import ServerLimits

    engine, rec = make(limits=ServerLimits(max_conversation_items=3))
    for index in range(5):
        engine.receive({"type": "conversation.item.create", "item": {
            "id": f"item_{index}", "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": str(index)}]}})
    assert [item["id"] for item in engine.conversation.items] == ["item_2", "item_3", "item_4"]
    engine.receive({"type": "conversation.item.retrieve", "item_id": "item_0"})
    assert rec.of("error")[-1]["error"]["code"] == "item_not_found"
    await engine.close()


async def test_retrieving_audio_reuses_the_stored_encoding():
    engine, rec = make(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
    engine.push_audio(read_wav("weather-in-paris.pcm16-24k.wav"))
    engine.receive({"type": "input_audio_buffer.commit"})
    item_id = rec.of("input_audio_buffer.committed")[0]["item_id"]
    for _ in range(3):
        engine.receive({"type": "conversation.item.retrieve", "item_id": item_id})
    audios = [event["item"]["content"][0]["audio"] for event in rec.of("conversation.item.retrieved")]
    assert base64.b64decode(audios[0]) == engine.conversation.audio(item_id)
    assert audios[0] is audios[1] is audios[2]  # one encoding, shared: retrieving again copies nothing
    update(engine, audio={"input": {"format": {"type": "audio/pcmu"}}})
    engine.receive({"type": "conversation.item.retrieve", "item_id": item_id})
    pcmu = base64.b64decode(rec.of("conversation.item.retrieved")[-1]["item"]["content"][0]["audio"])
    assert abs(len(pcmu) - len(engine.conversation.audio(item_id)) / 6) <= 1  # 8 kHz, a byte a sample
    await engine.close()


async def test_close_lets_go_of_the_sessions_audio_at_once():
    """The engine and its responses reference each other (a cycle only the cyclic GC frees): its audio must
    not wait for that collection."""
    engine, rec = make(session={"type": "realtime", "audio": {"input": {"turn_detection": None}}})
    engine.push_audio(read_wav("weather-in-paris.pcm16-24k.wav"))
    engine.receive({"type": "input_audio_buffer.commit"})
    engine.push_audio(bytes(48_000))
    engine.receive({"type": "response.create"})
    await rec.wait_for("response.done")
    assert engine.conversation.audio_bytes > 0 and engine._buffer
    await engine.close()
    assert engine.conversation.audio_bytes == 0 and len(engine.conversation) == 0 and not engine._buffer
