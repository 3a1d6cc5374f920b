"""The ``demo`` and ``replay`` command-line options, kept apart from the commands' heavy imports.

Rules: this module imports only the standard library, so ``sk-realtime --help`` parses without loading
Semantic Kernel, aiohttp or numpy; values are checked here (choices, numbers) so a wrong option is an
argparse error, never a traceback later.
"""

from __future__ import annotations

import argparse
from pathlib import Path

#: The question the demo asks by default, synthesised offline (``demo.audio.spoken``).
DEFAULT_QUESTION = "What's the weather like in San Francisco, California?"
#: ``--provider`` values: the wire protocols the demo speaks (what each allows: ``demo.run.PROVIDERS``).
PROVIDER_NAMES = ("openai", "gemini")


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"invalid duration {value!r} (a number of seconds above 0)")
    return seconds


def add_demo_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--provider", choices=PROVIDER_NAMES, default=None,
                        help="the wire protocol: openai (OpenAI Realtime GA, the default) or gemini (Google Gemini "
                             "Live); the same agent runs on both")
    parser.add_argument("--service", choices=("local", "openai", "azure", "google"), default="local",
                        help="local: the embedded offline server (default); openai / azure / google: the real "
                             "service (OPENAI_API_KEY, OPENAI_REALTIME_MODEL_ID / AZURE_OPENAI_ENDPOINT, "
                             "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME, AZURE_OPENAI_API_KEY / GOOGLE_AI_API_KEY, "
                             "GOOGLE_AI_GEMINI_LIVE_MODEL_ID; google implies --provider gemini)")
    parser.add_argument("--transport", choices=("websocket", "webrtc"), default="websocket",
                        help="how the client talks to the service (default: websocket)")
    parser.add_argument("--input", type=Path, default=None, metavar="AUDIO",
                        help="the spoken question: any audio file (WAV, FLAC, MP3, OGG...; any rate), converted to "
                             f"PCM16 24 kHz mono (default: \"{DEFAULT_QUESTION}\" synthesised offline with eSpeak NG)")
    parser.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                        help="where answer.wav and session.jsonl go (default: out/; a failed run leaves "
                             "session.failed.jsonl and keeps the last good files)")
    parser.add_argument("--voice", default=None,
                        help="the assistant's voice (default: marin for openai, Puck for gemini)")
    parser.add_argument("--agents", action="store_true",
                        help="realtime agents: a triage agent hands the question to a weather agent, which calls "
                             "its tool, answers in its own voice and hands back (docs/agents.md)")
    parser.add_argument("--timeout", type=_positive_seconds, default=30.0, metavar="S",
                        help="give up when the answer is not done after S seconds (default: 30)")
    return parser


def add_replay_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("log", type=Path, metavar="SESSION.jsonl",
                        help="a session log written by a Recorder (the demo writes one)")
    parser.add_argument("--plot", type=Path, default=None, metavar="IMAGE",
                        help="also draw the latency timeline (.png by default; .svg, .pdf...)")
    return parser
