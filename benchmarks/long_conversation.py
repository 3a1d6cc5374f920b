"""Long conversations: does the receive path slow down as the conversation grows, and what does reading
``chat_history`` cost?

    .venv/bin/python benchmarks/long_conversation.py [--items N] [--small N] [--turns N] [--reads N]
                                                     [--root PATH] [--quick]

What is measured is the part of receiving that could depend on the conversation's length: decoding
with the connection's codec state, the codec's signals, the built-in observers (the history mirror,
function calling with a kernel and ``FunctionChoiceBehavior.Auto()``, barge-in), an application
observer, and the receive queue. Each message goes through a real ``Connection``'s receive path,
``connection.inbound.message(text)``, exactly as the transport's read callback calls it; the socket
itself is left out (its cost does not depend on the conversation: ``benchmarks/receive_path.py``
measures it).

Method:

- Two connections of one client each, grown to ``--small`` (100) and ``--items`` (20,000) conversation
  items before timing: user and assistant messages with words, each ``conversation.item.added`` +
  ``.done`` after the previous item (``previous_item_id`` set, as the service sends it).
- One *turn* is what the service sends for a spoken exchange: the user's item (added, done), its
  transcription (delta, completed), ``response.created``, the assistant item (``response.output_item.added``,
  ``conversation.item.added``, ``response.content_part.added``), 10 transcript deltas and 25 audio deltas
  (20 ms PCM16 24 kHz each) interleaved, then the ``*.done`` events and ``response.done``: 48 events,
  2 new items. All messages are encoded before timing; every turn has fresh ids.
- Rounds alternate the small and the large conversation (so background load hits both alike); each
  round times ``--turns`` turns on each, GC on, in CPU time of the thread (``time.thread_time``: what the
  receive path costs, not the time other processes on a shared machine take). Per-event cost = the
  round's CPU time / its events; the figure is the median over rounds. Target: large <= 1.2x small.
- ``chat_history``: ``--reads`` reads of the large conversation's ``client.chat_history``; median and
  max, ms. Target: median < 50 ms.
- ``--root PATH`` imports ``semantic_kernel_realtime`` from another checkout (e.g. the code before this
  benchmark's issue) to compare; everything used exists there too.

Exit status: 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.2
TARGET_READ_MS = 50.0
AUDIO = base64.b64encode(bytes(range(256)) * 3 + bytes(192)).decode()  # 960 bytes: 20 ms of PCM16 24 kHz


class Conversation:
    """One connection of one client, and the messages that grow it."""

    def __init__(self, name: str) -> None:
        from semantic_kernel import Kernel
        from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

        from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
        from semantic_kernel_realtime.client.connection import Connection

        self.name = name
        self.client = client = OpenAIRealtimeWebsocket(api_key="k", base_url="http://127.0.0.1:9/v1")
        client._kernel = Kernel()
        client._session_settings = client._prepare(
            RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto()))
        client.add_observer(lambda event: None, ["response.done"])
        self.connection: Any = None
        self._Connection = Connection
        self.last: str | None = None
        self.serial = 0

    async def open(self) -> None:
        from semantic_kernel_realtime.protocol import OpenAICodec

        self.connection = self._Connection(self.client, await self.client._create_transport(), OpenAICodec())
        self.client._connection = self.connection
        self.connection.observe(self.client._observers)

    def feed(self, messages: list[bytes]) -> None:
        message = self.connection.inbound.message
        for text in messages:
            message(text)
        queue = self.client.receive_buffer
        while not queue.empty():
            queue.get_nowait()

    def _id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}_{self.name}_{self.serial:08d}"

    def item(self, role: str, text: str) -> list[dict]:
        item_id = self._id("item")
        kind = "input_text" if role == "user" else "output_text"
        item = {"id": item_id, "object": "realtime.item", "type": "message", "status": "completed", "role": role,
                "content": [{"type": kind, "text": text}]}
        previous, self.last = self.last, item_id
        return [{"type": t, "event_id": self._id("event"), "previous_item_id": previous, "item": item}
                for t in ("conversation.item.added", "conversation.item.done")]

    def turn(self) -> list[dict]:
        user, assistant, response = self._id("item"), self._id("item"), self._id("resp")
        user_item = {"id": user, "object": "realtime.item", "type": "message", "status": "completed",
                     "role": "user", "content": [{"type": "input_audio", "transcript": None}]}
        events: list[dict] = [
            {"type": "conversation.item.added", "previous_item_id": self.last, "item": user_item},
            {"type": "conversation.item.done", "previous_item_id": self.last, "item": user_item},
            {"type": "conversation.item.input_audio_transcription.delta", "item_id": user, "content_index": 0,
             "delta": "What is the weather like today?"},
            {"type": "conversation.item.input_audio_transcription.completed", "item_id": user, "content_index": 0,
             "transcript": "What is the weather like today?"},
            {"type": "response.created", "response": {"id": response, "object": "realtime.response",
                                                      "status": "in_progress", "conversation_id": "conv_1"}},
        ]
        where = {"response_id": response, "item_id": assistant, "output_index": 0, "content_index": 0}
        item = {"id": assistant, "object": "realtime.item", "type": "message", "status": "in_progress",
                "role": "assistant", "content": []}
        events += [
            {"type": "response.output_item.added", "response_id": response, "output_index": 0, "item": item},
            {"type": "conversation.item.added", "previous_item_id": user, "item": item},
            {"type": "response.content_part.added", **where, "part": {"type": "audio", "transcript": ""}},
        ]
        words = "It is sunny and twenty one degrees in Paris today .".split()
        for n in range(25):
            if n % 5 == 0 or n % 5 == 3:
                events.append({"type": "response.output_audio_transcript.delta", **where,
                               "delta": " " + words[len([e for e in events if "transcript.delta" in e["type"]])]})
            events.append({"type": "response.output_audio.delta", **where, "delta": AUDIO})
        text = " " + " ".join(words)
        done_item = {**item, "status": "completed", "content": [{"type": "output_audio", "transcript": text}]}
        events += [
            {"type": "response.output_audio.done", **where},
            {"type": "response.output_audio_transcript.done", **where, "transcript": text},
            {"type": "response.content_part.done", **where, "part": {"type": "audio", "transcript": text}},
            {"type": "response.output_item.done", "response_id": response, "output_index": 0, "item": done_item},
            {"type": "conversation.item.done", "previous_item_id": user, "item": done_item},
            {"type": "response.done", "response": {"id": response, "object": "realtime.response",
                                                   "status": "completed", "conversation_id": "conv_1",
                                                   "output": [done_item]}},
        ]
        self.last = assistant
        for event in events:
            event.setdefault("event_id", self._id("event"))
        return events


def _encode(events: list[dict]) -> list[bytes]:
    import orjson

    return [orjson.dumps(event) for event in events]


async def _grow(conversation: Conversation, items: int) -> None:
    batch: list[dict] = []
    for n in range(items):
        batch += conversation.item("user" if n % 2 == 0 else "assistant", f"Message number {n}, with a few words.")
        if len(batch) >= 2000:
            conversation.feed(_encode(batch))
            batch = []
    conversation.feed(_encode(batch))


def _fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):7.2f}  min {min(values):7.2f}  max {max(values):7.2f}"


async def run(args: argparse.Namespace) -> int:
    import semantic_kernel_realtime

    small, large = Conversation("s"), Conversation("l")
    for conversation in (small, large):
        await conversation.open()
    started = time.perf_counter()
    await _grow(small, args.small)
    await _grow(large, args.items)
    grown = time.perf_counter() - started
    print(f"package: {Path(semantic_kernel_realtime.__file__).parent}")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"grown to {len(small.connection.history.chat_history.messages)} and "
          f"{len(large.connection.history.chat_history.messages)} messages in {grown:.1f} s")

    per_event: dict[str, list[float]] = {"small": [], "large": []}
    warm = [_encode(c.turn()) for c in (small, large)]
    small.feed(warm[0])
    large.feed(warm[1])
    for _ in range(args.rounds):
        for key, conversation in (("small", small), ("large", large)):
            turns = [_encode(conversation.turn()) for _ in range(args.turns)]
            events = sum(len(t) for t in turns)
            start = time.thread_time_ns()
            for turn in turns:
                conversation.feed(turn)
            per_event[key].append((time.thread_time_ns() - start) / events / 1e3)

    reads: list[float] = []
    for _ in range(args.reads):
        start = time.perf_counter()
        history = large.client.chat_history
        reads.append((time.perf_counter() - start) * 1e3)
    n_items = len(large.connection.history.chat_history.messages)
    ratio = statistics.median(per_event["large"]) / statistics.median(per_event["small"])
    read_ms = statistics.median(reads)
    print()
    print(f"per-event receive cost, us of CPU ({args.rounds} rounds x {args.turns} turns x 48 events, GC on):")
    print(f"  {args.small:>6} items: {_fmt(per_event['small'])}")
    print(f"  {args.items:>6} items: {_fmt(per_event['large'])}")
    print(f"chat_history read at {n_items} messages, ms ({args.reads} reads): {_fmt(reads)}")
    print(f"  (a ChatHistory of {len(history.messages)} messages)")
    print()
    ok_ratio, ok_read = ratio <= TARGET_RATIO, read_ms < TARGET_READ_MS
    print(f"target: per-event cost at {args.items} items <= {TARGET_RATIO}x the cost at {args.small} -> "
          f"{ratio:.2f}x  {'PASS' if ok_ratio else 'FAIL'}")
    print(f"target: chat_history read at {args.items} items < {TARGET_READ_MS:.0f} ms -> {read_ms:.3f} ms  "
          f"{'PASS' if ok_read else 'FAIL'}")
    return 0 if ok_ratio and ok_read else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items of the large conversation")
    parser.add_argument("--small", type=int, default=100, help="items of the small conversation")
    parser.add_argument("--turns", type=int, default=20, help="turns per round and conversation")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reads", type=int, default=30, help="chat_history reads")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to import the package from")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    args = parser.parse_args()
    if args.quick:
        args.items, args.turns, args.rounds, args.reads = 2_000, 5, 3, 5
    sys.path.insert(0, str(args.root.resolve()))  # the editable finder misses the package from benchmarks/
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
