"""``sk-realtime replay SESSION.jsonl``: re-decode a recorded session, print its transcript and timing.

Received events go through the same :class:`~semantic_kernel_realtime.protocol.Decoder` as a live
session and into the same transcript printer; tool results come from the ``function_call_output`` items
the client sent. ``--plot`` draws the session's latency timeline (matplotlib, Agg backend).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from semantic_kernel_realtime.demo.session_log import Record, read_log
from semantic_kernel_realtime.demo.timing import format_timing
from semantic_kernel_realtime.demo.transcript import TranscriptPrinter
from semantic_kernel_realtime.protocol import Decoder


def add_replay_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("log", type=Path, metavar="SESSION.jsonl", help="a session log written by the demo")
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG", help="also draw the latency timeline")
    return parser


def replay_transcript(records: list[Record], printer: TranscriptPrinter) -> None:
    decoder = Decoder()
    for record in records:
        if record.direction == "received":
            for event in decoder.decode(record.event):
                printer.handle(event)
        elif record.direction == "sent" and record.type == "conversation.item.create":
            item = record.event.get("item") or {}
            if item.get("type") == "function_call_output":
                printer.tool_result(item.get("output"))
    printer.finish()


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
    print(f"replay of {args.log}: {meta.get('service', '?')} service, {meta.get('transport', '?')}, "
          f"{sum(r.direction != 'meta' for r in records)} events\n")
    replay_transcript(records, TranscriptPrinter())
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
