"""Realtime agents against the embedded server over real sockets: handoffs, approvals, guardrails.

The same agents run unchanged over OpenAI WebSocket, OpenAI WebRTC and Gemini Live (``CONNECTORS``); the
embedded server's deterministic model calls ``transfer_to_<agent>`` functions as a real model would.
"""

from __future__ import annotations

import asyncio
import base64
import wave
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from semantic_kernel import Kernel
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeFunctionResultEvent
from semantic_kernel.contents.utils.author_role import AuthorRole
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import (
    ConfigurationError,
    GoogleLiveExecutionSettings,
    GoogleLiveWebsocket,
    LocalRealtimeServer,
    OpenAIRealtimeWebRTC,
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    ResponseDoneEvent,
    SessionEndedEvent,
    TextDoneEvent,
)
from semantic_kernel_realtime.agents import Handoff, OutputGuardrail, RealtimeAgent, RealtimeAgentSession
from semantic_kernel_realtime.events import (
    AgentStartedEvent,
    ApprovalRequestedEvent,
    GuardrailTrippedEvent,
    HandoffEvent,
    StopPlaybackEvent,
    ToolEndedEvent,
    ToolStartedEvent,
)
from semantic_kernel_realtime.server.responder import ANYTHING_ELSE
from tests.integration.plugins import WeatherPlugin
from tests.openai_schema import FIXTURES

pytestmark = pytest.mark.timeout(120)

QUESTION = FIXTURES / "audio" / "weather-in-paris.pcm16-24k.wav"  # "What is the weather in Paris?"
VAD = {"type": "server_vad", "silence_duration_ms": 300}


def _settings(provider: str, *, audio: bool = True) -> Any:
    if provider == "gemini":
        return GoogleLiveExecutionSettings(input_audio_transcription=True, output_audio_transcription=True,
                                           automatic_activity_detection={"silenceDurationMs": 300},
                                           response_modalities=["AUDIO" if audio else "TEXT"])
    return RealtimeExecutionSettings(turn_detection=VAD, input_audio_transcription={"model": "whisper-1"},
                                     output_modalities=["audio" if audio else "text"])


CONNECTORS: dict[str, Callable[[LocalRealtimeServer], Any]] = {
    "websocket": lambda server: OpenAIRealtimeWebsocket(api_key="local", base_url=server.base_url),
    "webrtc": lambda server: OpenAIRealtimeWebRTC(api_key="local", base_url=server.base_url),
    "gemini": lambda server: GoogleLiveWebsocket(api_key="local", base_url=server.gemini_base_url),
}


def _question() -> bytes:
    if not QUESTION.exists():
        pytest.skip(f"fixture missing: {QUESTION} (the shared fixtures are absent)")
    with wave.open(str(QUESTION)) as wav:
        return wav.readframes(wav.getnframes())


def _kernel(**plugins: Any) -> Kernel:
    kernel = Kernel()
    for name, plugin in plugins.items():
        kernel.add_plugin(plugin, name)
    return kernel


def weather_agents(provider: str, plugin: Any, on_handoff: Any = None) -> tuple[RealtimeAgent, RealtimeAgent]:
    """The front desk hands weather questions to the weather agent, which answers and hands back."""
    weather = RealtimeAgent(
        name="weather", description="Answers questions about the weather.", voice="cedar",
        instructions="You answer weather questions with get_weather, then hand back with transfer_to_triage.",
        kernel=_kernel(weather=plugin), settings=_settings(provider))
    triage = RealtimeAgent(
        name="triage", description="The front desk.", voice="marin",
        handoffs=[Handoff(weather, on_handoff=on_handoff)],
        instructions="You are the front desk. Hand weather questions to the weather agent.",
        settings=_settings(provider))
    weather.handoffs = [triage]
    return triage, weather


async def collect(session: RealtimeAgentSession, until: Callable[[list[Any]], bool],
                  on_event: Callable[[Any], Any] | None = None, timeout: float = 60.0) -> list[Any]:
    events: list[Any] = []

    async def run() -> None:
        async for event in session:
            events.append(event)
            if on_event is not None:
                on_event(event)
            if isinstance(event, SessionEndedEvent):
                raise AssertionError(f"the session ended early: {event.cause}")
            if until(events):
                return

    await asyncio.wait_for(run(), timeout)
    return events


async def speak(session: RealtimeAgentSession, pcm24k: bytes, rate: int) -> None:
    audio = pcm24k + bytes(48_000)  # a second of silence ends the turn
    if rate != 24000:
        from semantic_kernel_realtime.audio import Resampler

        resampler = Resampler(24000, rate)
        audio = resampler.convert(audio) + resampler.flush()
    chunk = rate * 2 // 50
    for offset in range(0, len(audio), chunk):
        await session.send_audio(audio[offset:offset + chunk])


def _of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def _answered(events: list[Any]) -> bool:
    """The weather agent answered and handed back, and the front desk asked for more."""
    return any(isinstance(e, TextDoneEvent) and e.role == "assistant" and ANYTHING_ELSE in e.text for e in events)


@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_a_spoken_question_is_handed_to_the_weather_agent_which_answers_in_its_voice_and_hands_back(
        provider):
    plugin = WeatherPlugin()
    handed: list[tuple[str, str, str | None]] = []

    async def on_handoff(source: RealtimeAgent, target: RealtimeAgent, reason: str | None) -> None:
        handed.append((source.name, target.name, reason))

    triage, weather = weather_agents(provider, plugin, on_handoff)
    async with LocalRealtimeServer(api_key="local") as server:
        if server.transcriber is None:
            pytest.skip("no offline speech recogniser installed")
        client = CONNECTORS[provider](server)
        async with RealtimeAgentSession(triage, client) as session:
            assert session.agent is triage
            await speak(session, _question(), client.input_audio_sample_rate)
            events = await collect(session, _answered)
            history = session.chat_history
            assert session.agent is triage  # handed back
    assert [(h.from_agent, h.to_agent) for h in _of(events, HandoffEvent)] == [("triage", "weather"),
                                                                                ("weather", "triage")]
    assert [a.agent for a in _of(events, AgentStartedEvent)] == ["triage", "weather", "triage"]
    assert handed == [("triage", "weather", _of(events, HandoffEvent)[0].input)]  # the callback, with the input
    assert [call.lower() for call in plugin.calls] == ["paris"]  # the weather tool, with the right argument
    [started] = _of(events, ToolStartedEvent)
    [ended] = _of(events, ToolEndedEvent)
    assert (started.agent, started.name, started.arguments["location"].lower()) == (
        "weather", "weather-get_weather", "paris")
    assert ended.result == "It is 21 degrees and sunny in Paris." or "21 degrees" in str(ended.result)
    said = [e.text for e in _of(events, TextDoneEvent) if e.role == "assistant"]
    assert any("21 degrees and sunny" in text for text in said)
    # the order: handoff before the tool, the answer after it
    handoff = _of(events, HandoffEvent)[0]
    assert events.index(handoff) < events.index(started) < events.index(ended)
    if provider != "gemini":  # the answer is spoken in the weather agent's voice (Gemini fixes it in setup)
        voices = [e.service_event["response"]["audio"]["output"]["voice"] for e in events
                  if isinstance(e, RealtimeEvent) and e.service_type == "response.done"
                  and any(o.get("type") == "message" for o in e.service_event["response"].get("output", ()))]
        assert voices[0] == "cedar", voices
        # one session.update took the weather agent's instructions, tools and voice, before the handoff's output
        wire = [e for e in events if isinstance(e, RealtimeEvent) and isinstance(e.service_event, dict)]
        updated = [i for i, e in enumerate(wire) if e.service_type == "session.updated"]
        output = next(i for i, e in enumerate(wire) if e.service_type == "conversation.item.done"
                      and e.service_event["item"]["type"] == "function_call_output")
        [taken] = [wire[i].service_event["session"] for i in updated if updated[0] < i < output]
        assert taken["instructions"] == weather.instructions
        assert taken["audio"]["output"]["voice"] == "cedar"
        assert sorted(t["name"] for t in taken["tools"]) == ["handoffs-transfer_to_triage", "weather-get_weather"]
    # the whole conversation, across both agents
    roles = [(m.role, str(m.content)) for m in history.messages]
    user = [text for role, text in roles if role == AuthorRole.USER]
    assert user and "paris" in user[0].lower()
    assistant = [text for role, text in roles if role == AuthorRole.ASSISTANT]
    assert any("21 degrees" in text for text in assistant) and any(ANYTHING_ELSE in text for text in assistant)
    names = [item.function_name for m in history.messages for item in m.items
             if getattr(item, "function_name", None) and type(item).__name__ == "FunctionCallContent"]
    assert names == ["transfer_to_weather", "get_weather", "transfer_to_triage"]


# -- tool approval -----------------------------------------------------------------------------------------


class Payments:
    def __init__(self) -> None:
        self.paid: list[str] = []

    @kernel_function(description="Pay the bill of a customer.")
    async def pay_bill(self, customer: Annotated[str, "The customer"]) -> str:
        self.paid.append(customer)
        return f"The bill of {customer} is paid."


def _cashier(provider: str, payments: Payments) -> RealtimeAgent:
    return RealtimeAgent(name="cashier", instructions="You take payments.", kernel=_kernel(billing=payments),
                         needs_approval={"pay_bill"}, settings=_settings(provider, audio=False))


def _answer(events: list[Any]) -> str | None:
    return next((e.text for e in events if isinstance(e, TextDoneEvent) and e.role == "assistant"), None)


@pytest.mark.parametrize("decision", ["approve", "reject", "timeout"])
@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_a_call_that_needs_approval_runs_once_when_approved_and_never_otherwise(provider, decision):
    payments = Payments()
    async with LocalRealtimeServer(api_key="local", speech=False) as server:
        client = CONNECTORS[provider](server)
        # only the timeout case waits out its approval; the others get 10 s to answer on a loaded machine
        approval_timeout = 0.5 if decision == "timeout" else 10
        async with RealtimeAgentSession(_cashier(provider, payments), client,
                                        approval_timeout=approval_timeout) as session:
            def answer_requests(event: Any) -> None:
                if isinstance(event, ApprovalRequestedEvent):
                    assert payments.paid == []  # the call waits
                    if decision == "approve":
                        session.approve(event.call_id)
                    elif decision == "reject":
                        session.reject(event.call_id, "the customer said no")

            await session.send_text("Please pay the bill for customer Alice")
            events = await collect(session, _answer, on_event=answer_requests)
    [request] = _of(events, ApprovalRequestedEvent)
    assert (request.agent, request.name, request.arguments) == ("cashier", "billing-pay_bill",
                                                                {"customer": "customer Alice"})
    [result] = _of(events, RealtimeFunctionResultEvent)
    [ended] = _of(events, ToolEndedEvent)
    output = str(result.function_result.result)
    if decision == "approve":
        assert payments.paid == ["customer Alice"]
        assert output == "The bill of customer Alice is paid." and ended.approved
        assert len(_of(events, ToolStartedEvent)) == 1
    else:
        assert payments.paid == []
        why = "the customer said no" if decision == "reject" else "no approval within 0.5 s"
        assert output == f"Error: the call to billing-pay_bill was rejected ({why}); it did not run."
        assert not ended.approved and _of(events, ToolStartedEvent) == []
    assert _answer(events) == f"Here is what I found: {output}"  # the model got the outcome
    await asyncio.sleep(0.2)
    assert len(payments.paid) == (decision == "approve")  # and nothing ran later


def test_an_approval_wait_the_function_timeout_would_cut_short_is_refused_before_anything_connects():
    client = OpenAIRealtimeWebsocket(api_key="local", base_url="http://127.0.0.1:9/v1")  # nothing listens there
    cashier = _cashier("websocket", Payments())
    with pytest.raises(ConfigurationError, match=r"approval_timeout \(30 s\) must be shorter than the client's "
                                                 r"function_timeout \(30 s\)"):
        RealtimeAgentSession(cashier, client, approval_timeout=30)
    RealtimeAgentSession(cashier, client, approval_timeout=29)
    no_approvals = RealtimeAgent(name="desk", instructions="You help.", settings=_settings("websocket", audio=False))
    RealtimeAgentSession(no_approvals, client, approval_timeout=60)  # nothing waits for approval
    client.function_timeout = None
    RealtimeAgentSession(cashier, client, approval_timeout=60)  # calls never time out


async def test_a_function_timeout_lowered_after_the_session_was_made_is_refused_when_it_starts():
    client = OpenAIRealtimeWebsocket(api_key="local", base_url="http://127.0.0.1:9/v1")
    session = RealtimeAgentSession(_cashier("websocket", Payments()), client)  # 20 s against 30 s
    client.function_timeout = 10
    with pytest.raises(ConfigurationError, match="approval_timeout"):
        async with session:
            pass
    assert not client.is_open


# -- output guardrails ---------------------------------------------------------------------------------------

FORECAST = ("It is 21 degrees in Paris this morning. Later today a storm with hail comes over the whole region, "
            "so it is best to stay inside until the evening.")
FALLBACK = "Sorry, I cannot talk about that."


class Forecast:
    @kernel_function(description="Get the weather forecast for a location.")
    def get_forecast(self, location: Annotated[str, "The city"]) -> str:
        return FORECAST


def _no_hail(text: str) -> str | None:
    return "the answer mentions hail" if "hail" in text.lower() else None


def _fallback_said(events: list[Any]) -> bool:
    """The fallback line was said and its response ended."""
    said = [i for i, e in enumerate(events) if isinstance(e, TextDoneEvent) and e.text == FALLBACK]
    return bool(said) and any(isinstance(e, ResponseDoneEvent) for e in events[said[0]:])


@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_a_guardrail_stops_the_answer_keeps_what_was_heard_and_the_fallback_line_is_spoken(provider):
    agent = RealtimeAgent(name="forecaster", instructions="You give forecasts.", kernel=_kernel(weather=Forecast()),
                          output_guardrails=[OutputGuardrail(_no_hail, every_chars=10)], fallback_line=FALLBACK,
                          settings=_settings(provider))
    async with LocalRealtimeServer(api_key="local", speech=False, output_audio_pace=1.0) as server:
        client = CONNECTORS[provider](server)
        async with RealtimeAgentSession(agent, client) as session:
            await session.send_text("What is the forecast for Paris?")
            events = await collect(session, _fallback_said)
            [trip] = _of(events, GuardrailTrippedEvent)
            if provider == "websocket":  # the conversation keeps what was heard: ask the server for the item
                await client.send(RealtimeEvent(service_type="conversation.item.retrieve",
                                                service_event={"item_id": trip.item_id}))
                events += await collect(session, lambda more: any(
                    getattr(e, "service_type", None) == "conversation.item.retrieved" for e in more))
            history = session.chat_history
    assert (trip.agent, trip.guardrail, trip.cause, trip.fallback) == ("forecaster", "_no_hail",
                                                                       "the answer mentions hail", FALLBACK)
    assert "hail" in trip.text.lower()
    said = [e for e in events if isinstance(e, TextDoneEvent) and e.role == "assistant"]
    assert said[-1].text == FALLBACK
    done = [e for e in events if isinstance(e, ResponseDoneEvent)]
    assert [d.status for d in done][-2:] == ["cancelled", "completed"]  # the answer stopped; the fallback line
    stops = [e for e in events if isinstance(e, StopPlaybackEvent)]
    assert stops and stops[0].item_id == (None if provider == "webrtc" else trip.item_id)  # WebRTC: the service's
    if provider == "websocket":  # OpenAI keeps what was played (Gemini keeps what it sent)
        retrieved = next(e for e in events if getattr(e, "service_type", None) == "conversation.item.retrieved")
        content = retrieved.service_event["item"]["content"][0]
        kept_ms = len(base64.b64decode(content.get("audio") or "")) // 48
        assert kept_ms < len(FORECAST) * 65 / 2  # well before the end of the answer (65 ms a character)
        # cut where the client's playback was when the guardrail tripped
        assert abs(kept_ms - stops[0].audio_end_ms) <= 20, (kept_ms, stops[0].audio_end_ms)
        message = next(m for m in history.messages if m.metadata.get("item_id") == trip.item_id)
        assert message.metadata["truncated"] is True and "hail" not in str(message.content).lower()
