"""``sk-realtime``: the command-line tool.

Sub-commands: ``serve`` (the embedded server, from :mod:`semantic_kernel_realtime.server.cli`),
``demo`` (the offline voice-agent session, :mod:`semantic_kernel_realtime.demo.run`) and
``replay SESSION.jsonl [--plot PNG]``: any session log a :class:`~semantic_kernel_realtime.telemetry.Recorder`
wrote (the demo's or an application's, any connector and protocol), re-decoded with its session's codec:
the transcript, each turn's timing and, with ``--plot``, the timeline. Heavy imports happen inside each
command so ``sk-realtime --help`` is quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib
    import logging

    from semantic_kernel_realtime.server.cli import serve

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.demo.run import demo_main

    return demo_main(args)


def _replay(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.telemetry import SessionReplay, TranscriptPrinter, format_timing, read_log

    try:
        replay = SessionReplay(read_log(args.log))
    except OSError as exc:
        print(f"sk-realtime replay: error: cannot read {args.log}: {exc.strerror}", file=sys.stderr)
        return 1
    if not replay.wire_events:
        print(f"sk-realtime replay: error: {args.log} holds no session events", file=sys.stderr)
        return 1
    header, connection = replay.header, replay.connection
    print(f"replay of {args.log}: {header.get('service') or connection.get('model') or '?'}, "
          f"{connection.get('protocol', replay.codec_class.capabilities.name)} over "
          f"{connection.get('transport') or header.get('transport') or '?'}, {replay.wire_events} events\n")
    printer = TranscriptPrinter(codec=replay.codec_class)
    for step in replay.steps():
        if step.direction == "received":
            for event in step.events:
                printer.handle(event)
        elif step.direction == "sent" and "output" in step.note:
            printer.tool_result(step.note["output"])
    printer.finish()
    print()
    print(format_timing(replay.turns()))
    if args.plot is not None:
        try:
            from semantic_kernel_realtime.telemetry.plot import plot_timeline
        except ImportError as exc:
            print(f"sk-realtime replay: error: --plot needs matplotlib (pip install "
                  f"'semantic-kernel-realtime[plot]'): {exc}", file=sys.stderr)
            return 1
        plot_timeline(replay, args.plot, title=str(args.log))
        print(f"\ntimeline: {args.plot}")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("semantic-kernel-realtime")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    from semantic_kernel_realtime.demo.run import add_demo_arguments
    from semantic_kernel_realtime.server.cli import add_serve_arguments

    parser = argparse.ArgumentParser(prog="sk-realtime", description="Semantic Kernel realtime: demo, server, replay.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser("serve", help="run the embedded offline realtime server",
                                description="Run the embedded OpenAI Realtime GA server (offline).")
    add_serve_arguments(serve).set_defaults(run=_serve)
    demo = commands.add_parser("demo", help="a spoken question answered by a kernel-function agent (offline)",
                               description="Play a spoken question into a realtime session with a Semantic "
                                           "Kernel agent; print the transcript, save the answer and the log.")
    add_demo_arguments(demo).set_defaults(run=_demo)
    replay = commands.add_parser("replay", help="re-decode a session log: transcript, timing, --plot",
                                 description="Re-decode a recorded session log (any client's Recorder); print "
                                             "its transcript and each turn's timing.")
    replay.add_argument("log", type=Path, metavar="SESSION.jsonl", help="a session log written by a Recorder")
    replay.add_argument("--plot", type=Path, default=None, metavar="PNG", help="also draw the latency timeline")
    replay.set_defaults(run=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
