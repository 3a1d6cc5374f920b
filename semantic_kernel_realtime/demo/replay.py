"""``sk-realtime replay SESSION.jsonl``: re-decode a recorded session, print its transcript and timing.

Received events go through the same :class:`~semantic_kernel_realtime.protocol.Decoder` as a live
session and into the same transcript printer; tool results come from the ``function_call_output`` items
the client sent. ``--plot IMAGE`` draws the session's latency timeline (matplotlib, Agg backend): the
image format follows the suffix (PNG when there is none, and the printed path says so); an unknown
suffix, like an unreadable or empty log, is a one-line error with exit status 2, checked before any work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from semantic_kernel_realtime.demo.arguments import add_replay_arguments
from semantic_kernel_realtime.demo.session_log import Record, read_log
from semantic_kernel_realtime.demo.timing import format_timing
from semantic_kernel_realtime.demo.transcript import TranscriptPrinter
from semantic_kernel_realtime.protocol import Decoder

__all__ = ["add_replay_arguments", "plot_path", "replay_main", "replay_transcript"]

USAGE_ERROR = 2


class PlotPathError(ValueError):
    """``--plot`` names a format matplotlib cannot write, or matplotlib is missing."""


def plot_path(path: Path) -> Path:
    """The file ``--plot`` writes: ``path`` itself, or ``path.png`` without a suffix (what matplotlib does)."""
    if not path.suffix:
        return path.with_name(path.name + ".png")
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise PlotPathError("--plot needs matplotlib: pip install 'semantic-kernel-realtime[plot]'") from None
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise PlotPathError(f"--plot {path}: cannot draw a {path.suffix!r} image; use .png, .svg or .pdf "
                            f"(or any of {', '.join(sorted(formats))})")
    return path


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


def _error(message: str) -> int:
    print(f"sk-realtime replay: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def replay_main(args: argparse.Namespace) -> int:
    plot = None
    if args.plot is not None:
        try:
            plot = plot_path(args.plot)
        except PlotPathError as exc:
            return _error(str(exc))
    try:
        records = list(read_log(args.log))
    except IsADirectoryError:
        return _error(f"{args.log} is a directory; pass a session log (.jsonl) written by sk-realtime demo")
    except OSError as exc:
        return _error(f"cannot read {args.log}: {exc.strerror}")
    if not any(r.direction in ("sent", "received") for r in records):
        return _error(f"{args.log} holds no session events; pass a session log written by sk-realtime demo")
    meta = next((r.event for r in records if r.direction == "meta"), {})
    print(f"replay of {args.log}: {meta.get('service', '?')} service, {meta.get('transport', '?')}, "
          f"{sum(r.direction != 'meta' for r in records)} events\n")
    replay_transcript(records, TranscriptPrinter())
    print()
    print(format_timing(records))
    if plot is not None:
        try:
            from semantic_kernel_realtime.demo.plot import plot_timeline
        except ImportError as exc:
            return _error(f"--plot needs matplotlib: pip install 'semantic-kernel-realtime[plot]' ({exc})")
        try:
            plot_timeline(records, plot, title=str(args.log))
        except OSError as exc:
            print(f"sk-realtime replay: error: cannot write {plot}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"\ntimeline: {plot}")
    return 0
