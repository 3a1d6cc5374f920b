"""RealtimeAgent with Semantic Kernel's agent API (text through the realtime service), and its own rules."""

from __future__ import annotations

import pytest
from semantic_kernel import Kernel
from semantic_kernel.agents import Agent, ChatHistoryAgentThread
from semantic_kernel.contents.function_call_content import FunctionCallContent

from semantic_kernel_realtime import GoogleLiveWebsocket, LocalRealtimeServer, OpenAIRealtimeWebsocket
from semantic_kernel_realtime.agents import Handoff, OutputGuardrail, RealtimeAgent, RealtimeAgentSession
from semantic_kernel_realtime.agents.guardrails import TranscriptWatch
from semantic_kernel_realtime.agents.handoffs import tool_name
from semantic_kernel_realtime.agents.session import _reachable
from tests.integration.plugins import WeatherPlugin

pytestmark = pytest.mark.timeout(60)

CONNECTORS = {
    "openai": lambda server: OpenAIRealtimeWebsocket(api_key="local", base_url=server.base_url),
    "gemini": lambda server: GoogleLiveWebsocket(api_key="local", base_url=server.gemini_base_url),
}


def _weather_kernel(plugin: WeatherPlugin) -> Kernel:
    kernel = Kernel()
    kernel.add_plugin(plugin, "weather")
    return kernel


@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_get_response_answers_with_the_agents_tools_and_the_thread_keeps_the_conversation(provider):
    plugin = WeatherPlugin()
    async with LocalRealtimeServer(api_key="local", speech=False) as server:
        agent = RealtimeAgent(name="weather", instructions="Answer weather questions with get_weather.",
                              service=CONNECTORS[provider](server), kernel=_weather_kernel(plugin))
        assert isinstance(agent, Agent)
        response = await agent.get_response("What's the weather in Paris?")
        assert str(response.content) == "Here is what I found: It is 21 degrees and sunny in Paris."
        assert plugin.calls == ["Paris"]
        thread = response.thread
        assert isinstance(thread, ChatHistoryAgentThread)
        second = await agent.get_response("Thanks, bye", thread=thread)
        assert str(second.content) == "You said: Thanks, bye"
        messages = [message async for message in thread.get_messages()]
        streamed = [str(chunk.content) async for chunk in agent.invoke_stream("What's the weather in Rome?")]
    said = [str(m.content) for m in messages if m.role == "assistant" and str(m.content)]
    assert said == ["Here is what I found: It is 21 degrees and sunny in Paris.", "You said: Thanks, bye"]
    assert any(isinstance(item, FunctionCallContent) for m in messages for item in m.items)
    assert "".join(streamed).endswith("It is 21 degrees and sunny in Rome.") and plugin.calls == ["Paris", "Rome"]


def test_handoff_names_agent_graph_and_approval_names():
    a = RealtimeAgent(name="Front-Desk", instructions="x")
    b = RealtimeAgent(name="billing", instructions="y", handoffs=[Handoff(a, description="Back to the desk")],
                      needs_approval={"pay", "billing-refund"})
    a.handoffs = [b]
    assert tool_name(a.name) == "transfer_to_front_desk"
    assert [agent.name for agent in _reachable(a)] == ["Front-Desk", "billing"]
    assert b.requires_approval("billing-pay") and b.requires_approval("billing-refund")
    assert not b.requires_approval("other-refund") and not a.requires_approval("billing-pay")
    twin = RealtimeAgent(name="billing", instructions="z")
    a.handoffs = [b, twin]
    with pytest.raises(ValueError, match="unique"):
        _reachable(a)


async def test_a_session_refuses_a_handoff_to_an_agent_it_cannot_reach():
    a, stranger = RealtimeAgent(name="a"), RealtimeAgent(name="stranger")
    session = RealtimeAgentSession(a, OpenAIRealtimeWebsocket(api_key="x"))
    with pytest.raises(ValueError, match="not reachable"):
        await session.hand_off(stranger)


async def test_guardrails_run_every_n_characters_and_at_the_end_and_trip_once_per_item():
    seen: list[str] = []

    def no_rain(text: str) -> bool:
        seen.append(text)
        return "rain" in text

    guardrail = OutputGuardrail(no_rain, every_chars=5)
    watch = TranscriptWatch()
    assert await watch.delta("i1", "It ", [guardrail]) is None and seen == []  # 3 characters: not yet
    assert await watch.delta("i1", "is dry", [guardrail]) is None and seen == ["It is dry"]
    assert await watch.done("i1", "It is dry.", [guardrail]) is None and seen[-1] == "It is dry."
    trip = await watch.delta("i2", "More rain", [guardrail])
    assert trip is not None and trip.reason == "the guardrail no_rain rejected the words" and trip.text == "More rain"
    assert await watch.delta("i2", " later rain", [guardrail]) is None  # tripped once
    assert await watch.done("i2", "More rain later rain", [guardrail]) is None

    async def reason(text: str) -> str | None:
        return "too long" if len(text) > 8 else None

    assert (await TranscriptWatch().done("i3", "123456789", [OutputGuardrail(reason)])).reason == "too long"
    with pytest.raises(ValueError):
        OutputGuardrail(no_rain, every_chars=0)
