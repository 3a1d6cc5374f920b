"""Interruptions against the embedded server: tool answers never lost, barge-in truncation, a faithful
history, calling limits. Real sockets; the tests hold responses and tools at gates to make the races happen
in a known order."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import AudioContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvent,
    RealtimeFunctionResultEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import (
    GoogleLiveExecutionSettings,
    GoogleLiveWebsocket,
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    ResponseDoneEvent,
    StopPlaybackEvent,
    TextDoneEvent,
)
from semantic_kernel_realtime.server import FunctionCall, LocalRealtimeServer, ResponseRequest, TextDelta
from semantic_kernel_realtime.server.responder import RuleResponder
from tests.audio import read_wav
from tests.openai_schema import FIXTURES

SPEECH = FIXTURES / "audio" / "whats-the-weather.pcm16-24k.wav"
VAD = {"type": "server_vad", "silence_duration_ms": 200}
ANSWER = "I can tell you all about the weather in Paris."  # 46 characters: 2990 ms of the stand-in voice


class Received:
    """Everything ``client.receive()`` yields, with a way to wait for a condition on it."""

    def __init__(self, client: Any) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._consume(client))

    async def _consume(self, client: Any) -> None:
        async for event in client.receive():
            self.events.append(event)
            self._changed.set()

    async def until(self, condition: Callable[[list[Any]], Any], timeout: float = 10.0) -> Any:
        async def wait() -> Any:
            while not (result := condition(self.events)):
                self._changed.clear()
                try:  # conditions may also look at tools and responders: look again now and then
                    await asyncio.wait_for(self._changed.wait(), 0.05)
                except asyncio.TimeoutError:
                    pass
            return result

        return await asyncio.wait_for(wait(), timeout)

    def of_type(self, service_type: str) -> list[Any]:
        return [e for e in self.events if e.service_type == service_type]

    def count(self, service_type: str) -> int:
        return len(self.of_type(service_type))

    async def quiet(self, seconds: float = 0.4) -> None:
        """Let the session run a while so anything it would still do happens."""
        await asyncio.sleep(seconds)


class HeldResponder:
    """The rule responder, except that a response whose request matches ``hold`` waits for a gate first.

    Records, per request, the call ids of the function outputs it saw and its tool_choice.
    """

    name = "held"

    def __init__(self, hold: Callable[[ResponseRequest], bool] = lambda request: False,
                 inner: Any = None) -> None:
        self.hold = hold
        self.gate = asyncio.Event()
        self.inner = inner or RuleResponder()
        self.seen: list[set[str]] = []
        self.tool_choices: list[Any] = []

    async def respond(self, request: ResponseRequest):
        self.seen.append({i["call_id"] for i in request.items if i.get("type") == "function_call_output"})
        self.tool_choices.append(request.tool_choice)
        if self.hold(request):
            await self.gate.wait()
        async for output in self.inner.respond(request):
            yield output

    def first_seen(self) -> dict[str, int]:
        """call id -> index of the first request that had its output in view."""
        first: dict[str, int] = {}
        for index, call_ids in enumerate(self.seen):
            for call_id in call_ids:
                first.setdefault(call_id, index)
        return first


class SlowWeather:
    """A weather tool that waits at a gate (per city) before answering."""

    def __init__(self, held: tuple[str, ...] = ("Paris",)) -> None:
        self.held = held
        self.gate = asyncio.Event()
        self.calls: list[str] = []

    @kernel_function(description="Get the current weather for a location.")
    async def get_weather(self, location: Annotated[str, "The city"]) -> str:
        self.calls.append(location)
        if location in self.held:
            await self.gate.wait()
        return f"It is 21 degrees and sunny in {location}."


def _last_user_is_audio(request: ResponseRequest) -> bool:
    users = [i for i in request.items if i.get("type") == "message" and i.get("role") == "user"]
    return bool(users) and any(c.get("type") == "input_audio" for c in users[-1].get("content") or ())


def _last_user_says(words: str) -> Callable[[ResponseRequest], bool]:
    def hold(request: ResponseRequest) -> bool:
        users = [i for i in request.items if i.get("type") == "message" and i.get("role") == "user"]
        return bool(users) and any(c.get("text") == words for c in users[-1].get("content") or ())

    return hold


def _text(words: str) -> RealtimeTextEvent:
    return RealtimeTextEvent(text=TextContent(text=words))


RESPONSE_CREATE = RealtimeEvent(service_type="response.create")


def _output_added(events: list[Any]) -> list[Any]:
    return [e for e in events if e.service_type == "conversation.item.added"
            and e.service_event["item"]["type"] == "function_call_output"]


def _errors(received: Received) -> list[Any]:
    return [e.service_event["error"] for e in received.of_type("error")]


def _kernel(plugin: Any) -> Kernel:
    kernel = Kernel()
    kernel.add_plugin(plugin, "weather")
    return kernel


def _settings(**fields: Any) -> RealtimeExecutionSettings:
    return RealtimeExecutionSettings(output_modalities=["text"],
                                     function_choice_behavior=FunctionChoiceBehavior.Auto(), **fields)


async def _weather_turn(client: Any, received: Received, weather: SlowWeather) -> None:
    await client.send(_text("What's the weather in Paris?"))
    await client.send(RESPONSE_CREATE)
    await received.until(lambda events: weather.calls and received.count("response.done") == 1)


async def _answered_exactly_once(received: Received, responder: HeldResponder, n_responses: int) -> None:
    await received.until(lambda events: received.count("response.done") == n_responses)
    await received.quiet()
    assert _errors(received) == []
    assert received.count("response.created") == n_responses  # nothing asked twice
    answer = received.of_type("response.output_text.done")[-1].service_event["text"]
    assert "21 degrees and sunny in Paris" in answer


# -- sequencing: a tool result is answered exactly once ----------------------------------------------------


async def test_user_speech_during_a_running_tool_then_the_result_is_answered_once():
    speech = read_wav(SPEECH) + bytes(48 * 600)
    weather = SlowWeather()
    responder = HeldResponder(hold=_last_user_is_audio)
    async with LocalRealtimeServer(speech=False, responder=responder) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=_settings(turn_detection=VAD), kernel=_kernel(weather)):
            received = Received(client)
            await _weather_turn(client, received, weather)  # the tool now runs, held at its gate
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=speech, mime_type="audio/pcm")))
            await received.until(lambda events: received.count("response.created") == 2)  # VAD answers the speech
            weather.gate.set()  # the tool finishes while that response is active
            await received.until(_output_added)
            responder.gate.set()
            await _answered_exactly_once(received, responder, n_responses=3)
    assert weather.calls == ["Paris"]
    call_id = _output_added(received.events)[0].service_event["item"]["call_id"]
    assert responder.first_seen() == {call_id: 2}  # the speech's response did not see it; ours did


async def test_an_app_response_during_a_running_tool_then_the_result_is_answered_once():
    weather = SlowWeather()
    responder = HeldResponder(hold=_last_user_says("Tell me a joke"))
    async with LocalRealtimeServer(speech=False, responder=responder) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=_settings(), kernel=_kernel(weather)):
            received = Received(client)
            await _weather_turn(client, received, weather)
            await client.send(_text("Tell me a joke"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: received.count("response.created") == 2)
            weather.gate.set()
            await received.until(_output_added)
            responder.gate.set()
            await _answered_exactly_once(received, responder, n_responses=3)
    call_id = _output_added(received.events)[0].service_event["item"]["call_id"]
    assert responder.first_seen() == {call_id: 2}


class TwoCities:
    """A model that calls the weather tool for two cities in one response, then answers with the outputs."""

    name = "two-cities"

    async def respond(self, request: ResponseRequest):
        outputs = [i["output"] for i in request.items if i.get("type") == "function_call_output"]
        if outputs:
            yield TextDelta("Here is what I found: " + " ".join(outputs))
        else:
            yield FunctionCall("weather-get_weather", '{"location": "Paris"}')
            yield FunctionCall("weather-get_weather", '{"location": "Rome"}')


async def test_two_calls_of_which_one_ends_after_a_new_response_started_each_answered_once():
    weather = SlowWeather(held=("Rome",))
    responder = HeldResponder(hold=lambda request: len(responder.seen) == 2, inner=TwoCities())
    async with LocalRealtimeServer(speech=False, responder=responder) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=_settings(), kernel=_kernel(weather)):
            received = Received(client)
            await client.send(_text("Weather in Paris and Rome?"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: len(_output_added(events)) == 1)  # Paris answered, Rome runs
            await client.send(RESPONSE_CREATE)  # the application asks for a response meanwhile
            await received.until(lambda events: received.count("response.created") == 2)
            weather.gate.set()  # Rome ends while that response is active
            await received.until(lambda events: len(_output_added(events)) == 2)
            responder.gate.set()
            await received.until(lambda events: received.count("response.done") == 3)
            await received.quiet()
    assert _errors(received) == []
    assert received.count("response.created") == 3
    paris, rome = (e.service_event["item"]["call_id"] for e in _output_added(received.events))
    assert responder.first_seen() == {paris: 1, rome: 2}  # each result in view of exactly one new response
    assert "Rome" in received.of_type("response.output_text.done")[-1].service_event["text"]


# -- barge-in truncation ----------------------------------------------------------------------------------


class Answer:
    name = "answer"

    async def respond(self, request: ResponseRequest):
        if _last_user_is_audio(request):
            yield TextDelta("Yes?")
        else:
            for word in ANSWER.split(" "):
                yield TextDelta(word if word == ANSWER.split(" ")[0] else " " + word)


class FakePlayer:
    """Buffers what the client gives it; the test says how much is played (the playback clock)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.buffered: list[np.ndarray] = []
        self.stops = 0
        client.playback.on_stop(self.stop)

    def __call__(self, pcm: np.ndarray) -> None:
        self.buffered.append(pcm)

    def play_ms(self, ms: int) -> None:
        self.client.playback.played(ms * 24)

    def stop(self) -> None:
        self.stops += 1
        self.dropped_ms = sum(len(p) for p in self.buffered) // 24
        self.buffered.clear()


async def test_barge_in_over_websocket_truncates_the_item_to_the_audio_played():
    speech = read_wav(SPEECH) + bytes(48 * 600)
    async with LocalRealtimeServer(speech=False, responder=Answer()) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        player = FakePlayer(client)
        settings = RealtimeExecutionSettings(turn_detection=VAD)
        async with client(settings=settings):
            client.audio_output_callback = player
            received = Received(client)
            await client.send(_text("Tell me about the weather"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: received.count("response.done") == 1)
            done = received.of_type("response.output_audio_transcript.done")[0].service_event
            item_id, full = done["item_id"], done["transcript"]
            received_ms = sum(len(p) for p in player.buffered) // 24
            assert abs(received_ms - 2990) <= 20  # a 3 s answer, all of it received, none played yet
            player.play_ms(600)
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=speech, mime_type="audio/pcm")))
            truncated = await received.until(lambda events: received.of_type("conversation.item.truncated"))
            await client.send(RealtimeEvent(service_type="conversation.item.retrieve",
                                            service_event={"item_id": item_id}))
            retrieved = (await received.until(lambda e: received.of_type("conversation.item.retrieved")))[0]
            await received.until(lambda events: received.count("response.done") == 2)  # the answer to the speech
            history = client.chat_history
    assert truncated[0].service_event["item_id"] == item_id
    assert abs(truncated[0].service_event["audio_end_ms"] - 600) <= 20
    content = retrieved.service_event["item"]["content"][0]
    server_ms = len(base64.b64decode(content["audio"])) // 48
    assert abs(server_ms - 600) <= 20, server_ms  # the service keeps the audio that was played
    assert full.startswith(content["transcript"] or "")  # and no words beyond it
    stop = next(e for e in received.events if isinstance(e, StopPlaybackEvent))
    assert (stop.item_id, abs(stop.audio_end_ms - 600) <= 20) == (item_id, True)
    assert received.events.index(stop) < received.events.index(received.of_type(
        "input_audio_buffer.speech_started")[0])
    assert player.stops == 1 and abs(player.dropped_ms - 2990) <= 20  # it dropped all it had buffered
    assert sum(len(p) for p in player.buffered) // 24 == 4 * 65  # then it got the next answer ("Yes?")
    message = next(m for m in history.messages if m.metadata.get("item_id") == item_id)
    assert message.metadata["truncated"] is True
    assert abs(message.metadata["audio_end_ms"] - 600) <= 20
    heard = str(message.content)
    assert full.startswith(heard) and heard  # the words heard in 600 of 2990 ms: about a fifth
    assert abs(len(heard) - len(full) * 600 / 2990) <= max(len(w) for w in full.split()) + 1, heard


async def test_barge_in_over_gemini_live_stops_the_player_and_truncates_nothing():
    """Gemini cuts the response itself (``interrupted``) and keeps what it sent: the client stops the player
    there, sends no truncation, and keeps the words received in the mirror."""
    speech = read_wav(SPEECH) + bytes(48 * 600)
    async with LocalRealtimeServer(speech=False, responder=Answer(), output_audio_pace=1.0) as server:
        client = GoogleLiveWebsocket(api_key="x", base_url=server.gemini_base_url)
        player = FakePlayer(client)
        settings = GoogleLiveExecutionSettings(output_audio_transcription=True,
                                               automatic_activity_detection={"silenceDurationMs": 200})
        async with client(settings=settings):
            client.audio_output_callback = player
            received = Received(client)
            await client.send(_text("Tell me about the weather"))
            await client.request_response()
            await received.until(lambda events: sum(len(p) for p in player.buffered) >= 24 * 1000)
            player.play_ms(600)  # the answer streams in real time; the player is behind it
            await client.send(RealtimeAudioEvent(audio=AudioContent(data=speech, mime_type="audio/pcm")))
            await received.until(lambda events: received.of_type("serverContent.interrupted"))
            buffered_at_stop = player.dropped_ms
            await received.until(lambda events: len([e for e in events if isinstance(e, ResponseDoneEvent)]) == 2,
                                 timeout=20)
            history = client.chat_history
    done = [e for e in received.events if isinstance(e, ResponseDoneEvent)]
    assert [d.status for d in done] == ["cancelled", "completed"]
    stop = next(e for e in received.events if isinstance(e, StopPlaybackEvent))
    interrupted = received.of_type("serverContent.interrupted")[0]
    assert received.events.index(stop) < received.events.index(interrupted)  # queued before its cause
    assert stop.audio_end_ms is None and "600 ms into item" in stop.cause  # nothing truncated
    cut = next(e for e in received.events if isinstance(e, TextDoneEvent) and e.role == "assistant")
    assert stop.item_id == cut.item_id
    assert player.stops == 1 and 1000 <= buffered_at_stop < 2990  # it dropped all it had buffered, mid-answer
    assert sum(len(p) for p in player.buffered) // 24 == 4 * 65  # then it got the next answer ("Yes?") only
    message = next(m for m in history.messages if m.metadata.get("item_id") == cut.item_id)
    assert str(message.content) == cut.text and ANSWER.startswith(cut.text)  # the words it sent, uncut
    assert "truncated" not in message.metadata  # the service keeps what it sent


# -- the mirror equals the server's conversation -------------------------------------------------------------


async def test_an_out_of_band_response_leaves_the_history_unchanged_and_a_deleted_item_leaves_it():
    async with LocalRealtimeServer(speech=False) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=RealtimeExecutionSettings(output_modalities=["text"])):
            received = Received(client)
            await client.send(_text("Hello there"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: received.count("response.done") == 1)
            before = [(m.role, str(m), m.metadata["item_id"]) for m in client.chat_history.messages]
            await client.send(RealtimeEvent(service_type="response.create", service_event={"response": {
                "conversation": "none", "output_modalities": ["text"], "instructions": "Summarise."}}))
            await received.until(lambda events: received.count("response.done") == 2)
            out_of_band = received.of_type("response.output_text.done")[-1].service_event["text"]
            after = [(m.role, str(m), m.metadata["item_id"]) for m in client.chat_history.messages]
            user_item = before[0][2]
            await client.send(RealtimeEvent(service_type="conversation.item.delete",
                                            service_event={"item_id": user_item}))
            await received.until(lambda events: received.count("conversation.item.deleted") == 1)
            deleted = [m.metadata["item_id"] for m in client.chat_history.messages]
    assert out_of_band  # the out-of-band response did answer
    assert len(before) == 2 and after == before
    assert deleted == [before[1][2]]


# -- function-calling limits ---------------------------------------------------------------------------------


class Ping:
    def __init__(self) -> None:
        self.runs = 0

    @kernel_function
    def ping(self) -> str:
        self.runs += 1
        return "pong"


class CallsForever:
    """A model that calls a tool in every response unless it may not."""

    name = "calls-forever"

    async def respond(self, request: ResponseRequest):
        if request.tool_choice == "none":
            yield TextDelta("I will answer without tools.")
        else:
            yield FunctionCall("t-ping", "{}")


async def test_maximum_auto_invoke_attempts_stops_a_calling_loop_after_one_round_per_turn():
    ping = Ping()
    kernel = Kernel()
    kernel.add_plugin(ping, "t")
    responder = HeldResponder(inner=CallsForever())
    behavior = FunctionChoiceBehavior.Auto(maximum_auto_invoke_attempts=1)
    async with LocalRealtimeServer(speech=False, responder=responder) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        settings = RealtimeExecutionSettings(output_modalities=["text"], function_choice_behavior=behavior)
        async with client(settings=settings, kernel=kernel):
            received = Received(client)
            await client.send(_text("ping please"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: received.of_type("response.output_text.done"))
            await received.quiet()
            first_turn = received.count("response.created")
            await client.send(_text("and again"))
            await client.send(RESPONSE_CREATE)
            await received.until(lambda events: len(received.of_type("response.output_text.done")) == 2)
            await received.quiet()
    assert first_turn == 3  # ran once, refused once, then an answer that may not call tools
    assert ping.runs == 2  # one round in each user turn
    outputs = [e.function_result.result for e in received.events if isinstance(e, RealtimeFunctionResultEvent)]
    assert outputs[0] == "pong" and "maximum_auto_invoke_attempts" in outputs[1]
    assert responder.tool_choices[:3] == ["auto", "auto", "none"]
    assert _errors(received) == []


class CallsUntilRefused:
    """A model that calls a tool until a call is refused, then answers in words (it cannot be told not to)."""

    name = "calls-until-refused"

    async def respond(self, request: ResponseRequest):
        users = [n for n, i in enumerate(request.items) if i.get("type") == "message" and i.get("role") == "user"]
        outputs = [i.get("output") or "" for i in request.items[users[-1] if users else 0:]
                   if i.get("type") == "function_call_output"]  # this user turn's
        if outputs and "maximum_auto_invoke_attempts" in outputs[-1]:
            yield TextDelta("I will answer without tools.")
        else:
            yield FunctionCall("t-ping", "{}")


async def test_on_gemini_live_the_limit_holds_per_turn_without_a_user_item():
    """Gemini shows no user message without input transcription: the model's answer ends the turn."""
    ping = Ping()
    kernel = Kernel()
    kernel.add_plugin(ping, "t")
    behavior = FunctionChoiceBehavior.Auto(maximum_auto_invoke_attempts=1)
    async with LocalRealtimeServer(speech=False, responder=CallsUntilRefused()) as server:
        client = GoogleLiveWebsocket(api_key="x", base_url=server.gemini_base_url)
        settings = GoogleLiveExecutionSettings(response_modalities=["TEXT"], function_choice_behavior=behavior)
        async with client(settings=settings, kernel=kernel):
            received = Received(client)
            for turn in (1, 2):
                await client.send(_text("ping please"))
                await client.request_response()
                await received.until(lambda events, turn=turn: len(
                    [e for e in events if isinstance(e, ResponseDoneEvent) and not e.asked_for_tools]) == turn)
            history = client.chat_history
    assert ping.runs == 2  # one round in each turn
    outputs = [e.function_result.result for e in received.events if isinstance(e, RealtimeFunctionResultEvent)]
    assert outputs[0] == outputs[2] == "pong"
    assert "maximum_auto_invoke_attempts" in outputs[1] and "maximum_auto_invoke_attempts" in outputs[3]
    assert not [m for m in history.messages if m.role.value == "user"]  # the user's words never showed


class ManyCalls:
    name = "many-calls"

    async def respond(self, request: ResponseRequest):
        outputs = [i for i in request.items if i.get("type") == "function_call_output"]
        if outputs:
            yield TextDelta(f"{len(outputs)} results.")
        else:
            for n in range(200):
                yield FunctionCall("t-work", f'{{"n": {n}}}')


class Work:
    def __init__(self) -> None:
        self.done: list[int] = []
        self.running = 0
        self.most = 0

    @kernel_function
    async def work(self, n: int) -> int:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0.005)
        self.running -= 1
        self.done.append(n)
        return n


async def test_200_calls_in_one_response_run_a_few_at_a_time_and_none_is_dropped():
    work = Work()
    kernel = Kernel()
    kernel.add_plugin(work, "t")
    async with LocalRealtimeServer(speech=False, responder=ManyCalls()) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url, max_concurrent_function_calls=4)
        async with client(settings=_settings(), kernel=kernel):
            received = Received(client)
            await client.send(_text("work"))
            await client.send(RESPONSE_CREATE)
            answer = await received.until(lambda events: received.of_type("response.output_text.done"), timeout=30)
            await received.quiet()
    assert sorted(work.done) == list(range(200))
    assert work.most == 4
    assert answer[0].service_event["text"] == "200 results."
    assert received.count("response.created") == 2 and _errors(received) == []


@pytest.mark.parametrize("cap", [0, -1])
def test_the_concurrency_cap_must_be_positive(cap):
    with pytest.raises(ValueError):
        OpenAIRealtimeWebsocket(api_key="x", max_concurrent_function_calls=cap)
