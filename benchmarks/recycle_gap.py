"""Recycle gap: how long a session cannot receive audio while it moves to a fresh connection before the cap.

    .venv/bin/python benchmarks/recycle_gap.py [--cap 20] [--seconds 70] [--turn-every 2.0] [--margin 5]

The embedded server (``LocalRealtimeServer(speech=False, max_session_seconds=cap)``: tone audio, rule-based
answers, the duration cap emulated as the live service ends a session) and our client
(``OpenAIRealtimeWebsocket`` with ``ReconnectPolicy(recycle_margin=margin)``), same process, 127.0.0.1.
The script asks "What's the weather in Paris?" every ``turn_every`` seconds for ``seconds`` seconds; each
turn is a tool call (a kernel function) and then a spoken answer (``output_modalities=["audio"]``).

Measures, per switch of connection (``ReconnectingEvent`` with ``recycle=True``):

- **gap**: from the ``ReconnectingEvent`` (the old connection is being closed: nothing more is received on
  it) to the ``ReconnectedEvent`` (the new connection is open and has been sent the configuration, the tools
  and the conversation): the time in which no audio can arrive. Target: < 300 ms on loopback.
- **next turn latency**: question sent -> first audio delta, for the turn after the switch, against the
  median of all turns (the baseline, same run): what the switch added to what the user hears.

Also checked and printed: the connections used, that every switch fell between turns (no response
running), every turn answered, and the tool run once per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeTextEvent
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.functions import kernel_function
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime import (
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    ReconnectedEvent,
    ReconnectingEvent,
    ReconnectPolicy,
    SessionEndedEvent,
)
from semantic_kernel_realtime.server import LocalRealtimeServer


class Weather:
    def __init__(self) -> None:
        self.calls = 0

    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: str) -> str:
        self.calls += 1
        return f"It is 21 degrees and sunny in {location}."


async def run(cap: float, seconds: float, turn_every: float, margin: float) -> None:
    weather = Weather()
    kernel = Kernel()
    kernel.add_plugin(weather, "weather")
    loop = asyncio.get_running_loop()
    turns: list[dict] = []  # per turn: asked, first_audio, done, after_switch
    switches: list[dict] = []
    state = {"active": 0, "turn": None, "ended": None}
    answered = asyncio.Event()

    async with LocalRealtimeServer(speech=False, max_session_seconds=cap) as server:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url,
                                         reconnect=ReconnectPolicy(recycle_margin=margin))
        settings = RealtimeExecutionSettings(output_modalities=["audio"],
                                             function_choice_behavior=FunctionChoiceBehavior.Auto())

        async def consume() -> None:
            async for event in client.receive():
                now = loop.time()
                kind = event.service_type
                turn = state["turn"]
                if kind == "response.created":
                    state["active"] += 1
                elif kind == "response.done":
                    state["active"] = max(0, state["active"] - 1)
                elif type(event) is RealtimeAudioEvent and turn is not None and turn["first_audio"] is None:
                    turn["first_audio"] = now
                elif kind == "response.output_audio_transcript.done" and "21 degrees" in str(event.service_event):
                    if turn is not None:
                        turn["done"] = now
                    answered.set()
                elif isinstance(event, ReconnectingEvent):
                    switches.append({"start": now, "busy": state["active"] > 0, "recycle": event.recycle})
                    state["active"] = 0
                elif isinstance(event, ReconnectedEvent):
                    switches[-1]["gap"] = now - switches[-1]["start"]
                    switches[-1]["replayed"] = event.replayed_items
                elif isinstance(event, SessionEndedEvent):
                    state["ended"] = event

        started = time.perf_counter()
        async with client(settings=settings, kernel=kernel):
            opened = time.perf_counter() - started
            reader = asyncio.create_task(consume())
            end = loop.time() + seconds
            while loop.time() < end:
                answered.clear()
                turn = {"asked": loop.time(), "first_audio": None, "done": None, "switches_before": len(switches)}
                turns.append(turn)
                state["turn"] = turn
                await client.send(RealtimeTextEvent(text=TextContent(text="What's the weather in Paris?")))
                await client.send(RealtimeEvent(service_type="response.create"))
                await asyncio.wait_for(answered.wait(), 30)
                await asyncio.sleep(turn_every)
        await asyncio.wait_for(reader, 5)

    latencies = [t["first_audio"] - t["asked"] for t in turns if t["first_audio"] is not None]
    median = statistics.median(latencies)
    print(f"cap {cap:g} s, margin {margin:g} s, conversation {seconds:g} s, a turn every {turn_every:g} s")
    print(f"first session open (connect + configure): {opened * 1000:.0f} ms")
    print(f"turns {len(turns)}, answered {sum(t['done'] is not None for t in turns)}, tool runs {weather.calls}, "
          f"connections {len(switches) + 1}, session ended: {state['ended'].cause if state['ended'] else 'no'}")
    print(f"turn latency (question -> first audio), median of all turns: {median * 1000:.0f} ms (baseline)")
    for number, switch in enumerate(switches, 1):
        after = next((t for t in turns if t["switches_before"] >= number), None)
        added = (after["first_audio"] - after["asked"] - median) if after and after["first_audio"] else None
        print(f"switch {number}: at {switch['start'] - turns[0]['asked']:.1f} s, recycle={switch['recycle']}, "
              f"between turns={not switch['busy']}, replayed {switch.get('replayed', '?')} items, "
              f"gap {switch.get('gap', float('nan')) * 1000:.0f} ms, next turn latency vs median "
              + (f"{added * 1000:+.0f} ms" if added is not None else "n/a"))
    gaps = [s["gap"] for s in switches if "gap" in s]
    if gaps:
        print(f"gap: max {max(gaps) * 1000:.0f} ms, median {statistics.median(gaps) * 1000:.0f} ms "
              f"(target < 300 ms); {sum(s['busy'] for s in switches)} switches during a response")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cap", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=70.0)
    parser.add_argument("--turn-every", type=float, default=2.0)
    parser.add_argument("--margin", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(run(args.cap, args.seconds, args.turn_every, args.margin))


if __name__ == "__main__":
    main()
