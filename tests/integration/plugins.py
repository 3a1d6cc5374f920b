"""Kernel plugins shared by the integration tests."""

from __future__ import annotations

from typing import Annotated

from semantic_kernel.functions import kernel_function


class WeatherPlugin:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "The city"]) -> str:
        self.calls.append(location)
        return f"It is 21 degrees and sunny in {location}."
