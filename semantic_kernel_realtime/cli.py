"""``sk-realtime``: the command-line tool.

Sub-commands: ``serve`` (the embedded server, from :mod:`semantic_kernel_realtime.server.cli`),
``demo`` (the offline voice-agent session, :mod:`semantic_kernel_realtime.demo.run`) and
``replay SESSION.jsonl [--plot IMAGE]``: any session log a :class:`~semantic_kernel_realtime.telemetry.Recorder`
wrote (the demo's or an application's, any connector and protocol), re-decoded with its session's codec:
the transcript, each turn's timing and, with ``--plot``, the timeline.

Rules:
- Building the parser imports only the standard library and the commands' option modules, so
  ``sk-realtime --help`` is quick (``benchmarks/cli_startup.py`` measures it); each command imports what it
  needs when it runs.
- Exit status 0: done; 1: it ran and failed (the session ended early, no answer in time); 2: the command
  line or its inputs are wrong (an unknown option or value, a port in use, an unreadable or silent input
  file, a missing environment variable). Every failure is one line on stderr that says what to fix; no
  traceback for anything the user can fix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from semantic_kernel_realtime.demo.arguments import add_demo_arguments, add_replay_arguments
from semantic_kernel_realtime.server.cli import add_serve_arguments

USAGE_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (the problem and where help is), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _serve(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.server.cli import run_serve

    return run_serve(args)


def _demo(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.demo.run import demo_main

    return demo_main(args)


def _replay(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.telemetry import SessionReplay, TranscriptPrinter, format_timing, read_log

    def error(message: str) -> int:
        print(f"sk-realtime replay: error: {message}", file=sys.stderr)
        return USAGE_ERROR

    plot = None
    if args.plot is not None:
        try:
            plot = _plot_path(args.plot)
        except ValueError as exc:
            return error(str(exc))
    try:
        replay = SessionReplay(read_log(args.log))
    except IsADirectoryError:
        return error(f"{args.log} is a directory; pass a session log (.jsonl) written by a Recorder or the demo")
    except OSError as exc:
        return error(f"cannot read {args.log}: {exc.strerror}")
    if not replay.wire_events:
        return error(f"{args.log} holds no session events; pass a session log written by a Recorder or the demo")
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
    if plot is not None:
        from semantic_kernel_realtime.telemetry.plot import plot_timeline

        try:
            plot_timeline(replay, plot, title=str(args.log))
        except OSError as exc:
            print(f"sk-realtime replay: error: cannot write {plot}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"\ntimeline: {plot}")
    return 0


def _plot_path(path: Path) -> Path:
    """The file ``--plot`` writes: ``path`` itself, or ``path.png`` without a suffix (what matplotlib does).

    ValueError, checked before any work, when matplotlib is missing or cannot write that format.
    """
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'semantic-kernel-realtime[plot]'") from None
    if not path.suffix:
        return path.with_name(path.name + ".png")
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise ValueError(f"--plot {path}: cannot draw a {path.suffix!r} image; use .png, .svg or .pdf "
                         f"(or any of {', '.join(sorted(formats))})")
    return path


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("semantic-kernel-realtime")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``, reading the installed metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="sk-realtime", description="Semantic Kernel realtime: demo, server, replay.")
    parser.add_argument("--version", action=_VersionAction)
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
    add_replay_arguments(replay).set_defaults(run=_replay)
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
