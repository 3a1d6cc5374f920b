"""The demo agent's kernel functions: weather and time, with deterministic, clearly fake data; and the agents
of ``sk-realtime demo --agents`` (a triage agent that hands weather and time questions to a weather agent,
which answers with these functions and hands back: docs/agents.md).

Nothing here touches the network: the "weather" and "time" are derived from a hash of the place name,
so the same question always gets the same answer (handy for tests) and nobody mistakes it for a forecast.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from semantic_kernel import Kernel
from semantic_kernel.functions import kernel_function

PLUGIN_NAME = "demo"
INSTRUCTIONS = (
    "You are a friendly voice assistant. Answer in one or two short sentences. Use the get_weather and "
    "get_time tools for weather and time questions and say that the data is demo data."
)

TRIAGE_INSTRUCTIONS = (
    "You are the front desk of a voice assistant. Hand weather and time questions to the weather agent with "
    "transfer_to_weather; answer anything else yourself in one short sentence."
)
WEATHER_INSTRUCTIONS = INSTRUCTIONS + " Then hand the conversation back with transfer_to_triage."
#: The weather agent's voice on a service that changes voices at a handoff (OpenAI).
WEATHER_VOICE = "cedar"

_CONDITIONS = ("sunny", "partly cloudy", "foggy", "overcast", "breezy", "light rain", "clear")


def _seed(place: str) -> int:
    normalised = " ".join(place.lower().replace(",", " ").split())
    return int.from_bytes(hashlib.sha256(normalised.encode()).digest()[:8], "big")


class DemoPlugin:
    """Weather and time tools for the demo agent (fake, deterministic data)."""

    @kernel_function(description="Get the current weather for a location.")
    def get_weather(
        self, location: Annotated[str, "The city and region, e.g. San Francisco, California"]
    ) -> str:
        seed = _seed(location)
        celsius = 8 + seed % 22
        condition = _CONDITIONS[(seed >> 8) % len(_CONDITIONS)]
        return f"It is {celsius} degrees Celsius and {condition} in {location.strip()} (demo data, not a forecast)."

    @kernel_function(description="Get the local clock time in a city.")
    def get_time(self, city: Annotated[str, "The city, e.g. Paris"]) -> str:
        seed = _seed(city)
        hour, minute = seed % 24, (seed >> 8) % 60
        return f"The time in {city.strip()} is {hour:02d}:{minute:02d} (demo clock, not the real time)."


def demo_agents(settings: Any, voice: str | None, weather_voice: str | None = WEATHER_VOICE) -> Any:
    """The triage agent of ``demo --agents`` (its handoff reaches the weather agent, which hands back).

    ``settings``: the session settings both agents use (their instructions and voices are their own).
    """
    from semantic_kernel_realtime.agents import RealtimeAgent

    kernel = Kernel()
    kernel.add_plugin(DemoPlugin(), PLUGIN_NAME)
    weather = RealtimeAgent(name="weather", description="Answers weather and time questions with demo data.",
                            instructions=WEATHER_INSTRUCTIONS, kernel=kernel, voice=weather_voice, settings=settings)
    triage = RealtimeAgent(name="triage", description="The front desk.", instructions=TRIAGE_INSTRUCTIONS,
                           handoffs=[weather], voice=voice, settings=settings)
    weather.handoffs = [triage]
    return triage
