"""``sk-realtime replay SESSION.jsonl``: re-decode a recorded session, print its transcript and timing.

Received events go through the same codec as a live session (the log's meta ``provider``: OpenAI's, or
Gemini Live's) and into the same transcript printer; tool results come from the function outputs the client
sent (``function_call_output`` items, ``toolResponse`` messages). ``--plot`` draws the session's latency
timeline (matplotlib, Agg backend).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from semantic_kernel_realtime.demo.session_log import Record, read_log
from semantic_kernel_realtime.demo.timing import format_timing
from semantic_kernel_realtime.demo.transcript import TranscriptPrinter
from semantic_kernel_realtime.protocol import OpenAICodec
from semantic_kernel_realtime.protocol.base import Codec
from semantic_kernel_realtime.protocol.gemini import GeminiCodec


def _openai_outputs(event: dict[str, Any]) -> Iterator[Any]:
    item = event.get("item") if event.get("type") == "conversation.item.create" else None
    if isinstance(item, dict) and item.get("type") == "function_call_output":
        yield item.get("output")


def _gemini_outputs(event: dict[str, Any]) -> Iterator[Any]:
    response = event.get("toolResponse")
    for answer in (response.get("functionResponses") or []) if isinstance(response, dict) else ():
        if isinstance(answer, dict):
            yield (answer.get("response") or {}).get("output")


#: Provider (the log's meta ``provider``) -> its codec, and the tool outputs a sent message carries.
PROTOCOLS: dict[str, tuple[type[Codec], Callable[[dict[str, Any]], Iterator[Any]]]] = {
    "openai": (OpenAICodec, _openai_outputs),
    "gemini": (GeminiCodec, _gemini_outputs),
}


def add_replay_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("log", type=Path, metavar="SESSION.jsonl", help="a session log written by the demo")
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG", help="also draw the latency timeline")
    return parser


def replay_transcript(records: list[Record], printer: TranscriptPrinter | None = None) -> TranscriptPrinter:
    """Print the transcript of ``records`` (a new printer for the log's codec unless one is given)."""
    meta = next((r.event for r in records if r.direction == "meta"), {})
    codec_class, outputs = PROTOCOLS.get(str(meta.get("provider") or "openai"), PROTOCOLS["openai"])
    printer = printer if printer is not None else TranscriptPrinter(codec=codec_class)
    codec = codec_class()
    for record in records:
        if record.direction == "received":
            for event in codec.decode(orjson.dumps(record.event)):
                printer.handle(event)
        elif record.direction == "sent":
            for output in outputs(record.event):
                printer.tool_result(output)
    printer.finish()
    return printer


def replay_main(args: argparse.Namespace) -> int:
    try:
        records = list(read_log(args.log))
    except OSError as exc:
        print(f"sk-realtime replay: error: cannot read {args.log}: {exc.strerror}", file=sys.stderr)
        return 1
    if not any(r.direction in ("sent", "received") for r in records):
        print(f"sk-realtime replay: error: {args.log} holds no session events", file=sys.stderr)
        return 1
    meta = next((r.event for r in records if r.direction == "meta"), {})
    print(f"replay of {args.log}: {meta.get('service', '?')} service, {meta.get('provider', 'openai')}, "
          f"{meta.get('transport', '?')}, "
          f"{sum(r.direction != 'meta' for r in records)} events\n")
    replay_transcript(records)
    print()
    print(format_timing(records))
    if args.plot is not None:
        try:
            from semantic_kernel_realtime.demo.plot import plot_timeline
        except ImportError as exc:
            print(f"sk-realtime replay: error: --plot needs matplotlib (pip install "
                  f"'semantic-kernel-realtime[plot]'): {exc}", file=sys.stderr)
            return 1
        plot_timeline(records, args.plot, title=str(args.log))
        print(f"\ntimeline: {args.plot}")
    return 0
