"""Synchronous kernel functions run off the event loop; async ones and kernel filters are unchanged."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from typing import Any

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.filters.filter_types import FilterTypes
from semantic_kernel.functions import kernel_function
from websockets.asyncio.server import serve

from semantic_kernel_realtime import OpenAIRealtimeWebsocket
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings
from tests.client.loopback import LoopbackServer
from tests.function_calling.test_auto_invoke import _call_events, _received_until

AUTO = FunctionChoiceBehavior.Auto()
FRAMES = 110  # 2.2 s of 20 ms audio, sent while a 2 s synchronous tool runs
FRAME_NS = 20_000_000


class Threads:
    def __init__(self) -> None:
        self.threads: dict[str, int] = {}

    @kernel_function
    def sync_one(self) -> str:
        self.threads["sync_one"] = threading.get_ident()
        return "from a thread"

    @kernel_function
    async def async_one(self) -> str:
        self.threads["async_one"] = threading.get_ident()
        return "from the loop"

    @kernel_function
    def counts(self) -> list[int]:  # a generator function: its items, listed off the loop
        yield from (1, 2, 3)

    @kernel_function
    def nap(self) -> str:
        time.sleep(2)
        return "rested"


def _client(server: Any, kernel: Kernel) -> Any:
    client = OpenAIRealtimeWebsocket(api_key="k", base_url=server.base_url)
    return client(settings=RealtimeExecutionSettings(function_choice_behavior=AUTO), kernel=kernel)


def _outputs(sent: list[dict]) -> dict[str, str]:
    return {e["item"]["call_id"]: e["item"]["output"] for e in sent
            if e.get("item", {}).get("type") == "function_call_output"}


async def test_a_plain_def_runs_in_a_thread_an_async_def_on_the_loop_and_filters_see_the_kernel():
    tools = Threads()
    kernel = Kernel()
    kernel.add_plugin(tools, "t")
    seen: list[tuple[str, bool, bool]] = []

    async def auto_filter(context, next):
        seen.append(("auto", context.kernel is kernel, context.function.name == "sync_one"))
        await next(context)
        if context.function.name == "sync_one":
            context.function_result.value = f"{context.function_result.value} (filtered)"

    async def function_filter(context, next):
        seen.append(("function", context.kernel is kernel, threading.get_ident() == loop_thread))
        await next(context)

    kernel.add_filter(FilterTypes.AUTO_FUNCTION_INVOCATION, auto_filter)
    kernel.add_filter(FilterTypes.FUNCTION_INVOCATION, function_filter)
    loop_thread = threading.get_ident()
    filters_before = list(kernel.auto_function_invocation_filters)
    async with LoopbackServer() as server, _client(server, kernel):
        for event in _call_events("r1", [("c1", "t-sync_one", "{}"), ("c2", "t-async_one", "{}"),
                                         ("c3", "t-counts", "{}")]):
            await server.send(event)
        sent = await _received_until(server, 3)
    outputs = _outputs(sent)
    assert outputs["c1"] == "from a thread (filtered)"
    assert outputs["c2"] == "from the loop"
    assert json.loads(outputs["c3"]) == [1, 2, 3]
    assert tools.threads["sync_one"] != loop_thread
    assert tools.threads["async_one"] == loop_thread
    assert all(same_kernel for _, same_kernel, _ in seen)  # filters and functions see the user's kernel
    assert [where for where, _, _ in seen].count("function") == 3 and all(
        on_loop for where, _, on_loop in seen if where == "function")  # the filters themselves stay on the loop
    assert kernel.auto_function_invocation_filters == filters_before  # the kernel is not modified


class PacedServer:
    """A scripted service in its own thread and event loop, so a client that stalls cannot stall it.

    It sends a call to ``t-nap`` and then 2.2 s of audio deltas paced at 20 ms on absolute deadlines;
    each ``event_id`` is ``event_<monotonic_ns at send>`` (the method of benchmarks/tool_stall.py).
    """

    def __init__(self) -> None:
        self.port: int | None = None
        self.received: list[dict] = []
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> PacedServer:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0, compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handle(self, ws: Any) -> None:
        updated = asyncio.Event()

        async def read() -> None:
            async for message in ws:
                event = json.loads(message)
                self.received.append(event)
                if event["type"] == "session.update":
                    updated.set()

        reader = asyncio.create_task(read())

        async def send(event: dict) -> None:
            await ws.send(json.dumps({**event, "event_id": f"event_{time.monotonic_ns()}"}))

        await send({"type": "session.created", "session": {"type": "realtime", "id": "sess_1"}})
        await asyncio.wait_for(updated.wait(), 5)
        for event in _call_events("r1", [("c1", "t-nap", "{}")]):
            await send(event)
        frame = base64.b64encode(b"\x10\x00" * 480).decode()
        start = time.monotonic_ns()
        for i in range(FRAMES):
            await asyncio.sleep(max(0, start + i * FRAME_NS - time.monotonic_ns()) / 1e9)
            await send({"type": "response.output_audio.delta", "response_id": "r2", "item_id": "i2",
                        "output_index": 0, "content_index": 0, "delta": frame})
        await send({"type": "response.output_audio.done", "response_id": "r2", "item_id": "i2",
                    "output_index": 0, "content_index": 0})
        try:
            await ws.wait_closed()
        finally:
            reader.cancel()


async def _largest_gap_growth_while_a_sync_tool_sleeps() -> int:
    """One run: the largest growth, in ns, of a gap between audio deltas while the 2 s synchronous tool runs."""
    kernel = Kernel()
    kernel.add_plugin(Threads(), "t")
    arrivals: list[tuple[int, int]] = []  # (sent ns, arrived ns) of each audio delta
    with PacedServer() as server:
        async with _client(server, kernel) as client:
            async for event in client.receive():
                if event.service_type == "response.output_audio.delta":
                    arrivals.append((int(event.service_event["event_id"][6:]), time.monotonic_ns()))
                elif event.service_type == "response.output_audio.done":
                    break
            for _ in range(300):  # the tool's answer comes when its thread is done (2 s after the call)
                if any(e.get("item", {}).get("type") == "function_call_output" for e in server.received):
                    break
                await asyncio.sleep(0.01)
    assert len(arrivals) == FRAMES
    output = next(e for e in server.received if e.get("item", {}).get("type") == "function_call_output")
    assert output["item"]["output"] == "rested"
    return max((b_arrived - a_arrived) - (b_sent - a_sent)
               for (a_sent, a_arrived), (b_sent, b_arrived) in zip(arrivals, arrivals[1:], strict=False))


async def test_a_synchronous_tool_that_sleeps_2_s_leaves_no_audio_gap_over_25_ms():
    # A tool run on the loop stalls every run by about 2000 ms. A loaded machine can also stall a run, by a
    # GC pause or a late wake-up, for reasons that are not the tool's: the line must hold in one of three runs.
    growths = []
    for _ in range(3):
        growths.append(await _largest_gap_growth_while_a_sync_tool_sleeps())
        if growths[-1] < 25_000_000:
            break
    assert min(growths) < 25_000_000, f"an audio gap grew by {[g / 1e6 for g in growths]} ms while the tool ran"
