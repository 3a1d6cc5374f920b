"""``sk-realtime``: the command-line tool.

Sub-commands: ``serve`` (the embedded server, from :mod:`semantic_kernel_realtime.server.cli`),
``demo`` (the offline voice-agent session, :mod:`semantic_kernel_realtime.demo.run`) and
``replay SESSION.jsonl [--plot PNG]`` (:mod:`semantic_kernel_realtime.demo.replay`). Heavy imports
happen inside each command so ``sk-realtime --help`` is quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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
    from semantic_kernel_realtime.demo.replay import replay_main

    return replay_main(args)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("semantic-kernel-realtime")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    from semantic_kernel_realtime.demo.replay import add_replay_arguments
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
                                 description="Re-decode a recorded session log; print its transcript and timing.")
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
