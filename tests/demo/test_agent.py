"""demo.agent: the demo's kernel functions."""

from __future__ import annotations

from semantic_kernel_realtime.demo.agent import DemoPlugin


def test_demo_functions_are_deterministic_and_say_the_data_is_fake() -> None:
    plugin = DemoPlugin()
    assert plugin.get_weather("Paris") == plugin.get_weather(" paris ").replace("paris", "Paris")
    assert "demo data" in plugin.get_weather("Paris") and "Paris" in plugin.get_weather("Paris")
    assert "demo clock" in plugin.get_time("Tokyo")
