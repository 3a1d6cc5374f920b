"""The demo: one spoken question, answered by a Semantic Kernel agent through a realtime session.

Flow: start the embedded server (or use the real service), open a realtime client registered as a
kernel service with the demo plugin, stream the WAV into the send queue at real-time pace in 20 ms
chunks (then 1 s of silence so server VAD ends the turn), and consume the receive queue: print the
transcript, collect the answer's audio, and stop after the answer (the ``ResponseDoneEvent`` of a
response that asked for no tool). Everything that crossed the wire goes to ``session.jsonl``; the timing
table is computed from that log.

Providers (``--provider``): ``openai`` (the OpenAI GA protocol: the embedded server's OpenAI paths, OpenAI or
Azure OpenAI) and ``gemini`` (Gemini Live: the embedded server's Gemini path, or Google's service). The
application side is the same for both: the settings, the plugin and the receive loop read only
protocol-neutral events; the provider picks the connector (:data:`PROVIDERS`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionResultEvent

from semantic_kernel_realtime.demo.agent import INSTRUCTIONS, PLUGIN_NAME, DemoPlugin
from semantic_kernel_realtime.demo.audio import CHUNK_BYTES, CHUNK_MS, AudioFileError, chunks, read_wav_24k, write_wav
from semantic_kernel_realtime.demo.session_log import SessionLog, read_log, recording
from semantic_kernel_realtime.demo.timing import format_timing
from semantic_kernel_realtime.demo.transcript import TranscriptPrinter
from semantic_kernel_realtime.events import ResponseDoneEvent, SessionEndedEvent
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings

DEFAULT_INPUT = Path("..") / "shared" / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"
TRAILING_SILENCE_S = 1.0
WEBRTC_MISSING = "WebRTC connectors are not available in this build"


@dataclass(frozen=True)
class Provider:
    """One wire protocol the demo speaks: the real services that speak it, and the assistant's default voice."""

    services: tuple[str, ...]
    voice: str
    transports: tuple[str, ...] = ("websocket", "webrtc")


#: ``--provider`` -> what it allows. ``local`` (the embedded server) serves every provider.
PROVIDERS = {
    "openai": Provider(services=("local", "openai", "azure"), voice="marin"),
    "gemini": Provider(services=("local", "google"), voice="Puck", transports=("websocket",)),
}


class DemoError(Exception):
    """An expected failure, reported as one line without a traceback."""


@dataclass
class DemoResult:
    transcript: list[str]
    answer_wav: Path
    session_log: Path
    timing: str
    tool_results: list[str] = field(default_factory=list)


def add_demo_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--provider", choices=tuple(PROVIDERS), default=None,
                        help="the wire protocol: openai (OpenAI Realtime GA, the default) or gemini (Google Gemini "
                             "Live); the same agent runs on both")
    parser.add_argument("--service", choices=("local", "openai", "azure", "google"), default="local",
                        help="local: the embedded offline server (default); openai / azure / google: the real "
                             "service (OPENAI_API_KEY, OPENAI_REALTIME_MODEL_ID / AZURE_OPENAI_ENDPOINT, "
                             "AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME, AZURE_OPENAI_API_KEY / GOOGLE_AI_API_KEY, "
                             "GOOGLE_AI_GEMINI_LIVE_MODEL_ID; google implies --provider gemini)")
    parser.add_argument("--transport", choices=("websocket", "webrtc"), default="websocket",
                        help="how the client talks to the service (default: websocket)")
    parser.add_argument("--input", type=Path, default=None, metavar="WAV",
                        help=f"the spoken question, any WAV (PCM, float, G.711), resampled to 24 kHz "
                             f"(default: {DEFAULT_INPUT})")
    parser.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                        help="where answer.wav and session.jsonl go (default: out/)")
    parser.add_argument("--voice", default=None,
                        help="the assistant's voice (default: marin for openai, Puck for gemini)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="give up when the answer is not done after S seconds (default: 30)")
    return parser


def default_input() -> Path:
    """The fixture next to the repository (``../shared``), from the current directory or the package."""
    candidates = [Path.cwd() / DEFAULT_INPUT, Path(__file__).resolve().parents[2] / DEFAULT_INPUT]
    return next((p for p in candidates if p.is_file()), candidates[0])


def provider_of(args: argparse.Namespace) -> str:
    """The provider the arguments ask for (``--service google`` implies gemini); a bad pair is a DemoError."""
    provider = getattr(args, "provider", None) or ("gemini" if args.service == "google" else "openai")
    allowed = PROVIDERS[provider]
    if args.service not in allowed.services:
        raise DemoError(f"--provider {provider} runs on --service {' or '.join(allowed.services)}, "
                        f"not {args.service}")
    if args.transport not in allowed.transports:
        raise DemoError(f"--provider {provider} speaks over {' or '.join(allowed.transports)} only; "
                        f"use --transport {allowed.transports[0]}")
    return provider


def session_settings(voice: str) -> RealtimeExecutionSettings:
    """The agent's settings, for every provider (a Gemini session converts them by field name)."""
    return RealtimeExecutionSettings(
        instructions=INSTRUCTIONS,
        voice=voice,
        input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 500, "prefix_padding_ms": 300,
                        "create_response": True, "interrupt_response": True},
        function_choice_behavior=FunctionChoiceBehavior.Auto(),
    )


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise DemoError(f"{name} is not set (needed for this --service)")
    return value


def connector_class(service: str, transport: str, provider: str = "openai") -> type:
    """The connector class for ``service`` over ``transport`` (WebRTC ones are imported when present)."""
    if provider == "gemini":
        from semantic_kernel_realtime.connectors.google import GoogleLiveWebsocket as cls
    elif transport == "webrtc":
        try:
            if service == "azure":
                from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebRTC as cls
            else:
                from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC as cls
        except ImportError:
            raise DemoError(f"{WEBRTC_MISSING}; use --transport websocket") from None
    elif service == "azure":
        from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebsocket as cls
    else:
        from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebsocket as cls
    return cls


def check_environment(service: str) -> None:
    """Fail early, before anything starts, when the real service's settings are missing."""
    if service == "openai":
        _env("OPENAI_API_KEY")
    elif service == "azure":
        _env("AZURE_OPENAI_ENDPOINT")
        _env("AZURE_OPENAI_REALTIME_DEPLOYMENT_NAME")
    elif service == "google" and os.environ.get("GOOGLE_AI_USE_VERTEXAI", "").lower() not in ("1", "true"):
        _env("GOOGLE_AI_API_KEY")


def make_client(cls: type, service: str, base_url: str | None = None) -> Any:
    """A client of ``cls`` (made recordable) configured for ``service``."""
    client_cls = recording(cls)
    if service == "local":
        return client_cls(api_key="offline-demo", base_url=base_url)
    if service == "openai":
        return client_cls(api_key=_env("OPENAI_API_KEY"), ai_model_id=os.environ.get("OPENAI_REALTIME_MODEL_ID"))
    from semantic_kernel.exceptions import ServiceInitializationError

    try:
        return client_cls()
    except ServiceInitializationError as exc:
        raise DemoError(str(exc)) from None


async def _stream_audio(client: Any, pcm16: bytes) -> None:
    """Put the audio on the send queue in 20 ms chunks at real-time pace, then trailing silence."""
    silence = b"\0" * (CHUNK_BYTES * int(TRAILING_SILENCE_S * 1000 / CHUNK_MS))
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i, chunk in enumerate(chunks(pcm16 + silence)):
        delay = start + i * CHUNK_MS / 1000 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=chunk, mime_type="audio/pcm")))


async def _converse(client: Any, kernel: Kernel, settings: Any, pcm16: bytes, printer: TranscriptPrinter,
                    tool_results: list[str], log: SessionLog) -> bytes:
    answer = bytearray()
    async with client(settings=settings, kernel=kernel):
        sender = asyncio.create_task(_stream_audio(client, pcm16), name="demo.audio_in")
        media = bool(getattr(client.transport, "carries_audio", False))
        answered = playing = False
        try:
            async for event in client.receive():
                printer.handle(event)
                etype = event.service_type
                if isinstance(event, RealtimeAudioEvent):
                    if media and not playing:
                        continue  # the WebRTC track carries silence between answers
                    data = event.audio.data or b""
                    answer += data
                    if media:  # track audio never crosses recv(): record it here
                        log.write_media_audio("received", data)
                elif etype == "output_audio_buffer.started":
                    playing = True
                elif isinstance(event, SessionEndedEvent):
                    raise DemoError(f"the session ended early: {event.cause}")
                elif isinstance(event, RealtimeFunctionResultEvent):
                    tool_results.append(str(event.function_result.result))
                elif isinstance(event, ResponseDoneEvent):
                    if event.status in ("failed", "incomplete"):
                        raise DemoError(f"the answer ended with status {event.status!r}")
                    if event.status == "cancelled" or event.asked_for_tools:
                        continue  # barged in on, or the model goes on once the tool results are in
                    if not media:
                        break
                    answered = True  # WebRTC: the audio track still plays; wait for its end
                elif etype == "output_audio_buffer.stopped":
                    playing = False
                    if answered:
                        break
            else:
                raise DemoError("the session ended before the answer was done")
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    printer.finish()
    return bytes(answer)


async def run_demo(args: argparse.Namespace) -> DemoResult:
    started = time.monotonic()
    provider = provider_of(args)
    input_path = args.input if args.input is not None else default_input()
    try:
        pcm16, info = read_wav_24k(input_path)
    except AudioFileError as exc:
        hint = " (the default input lives in ../shared next to the repository; pass --input WAV)"
        raise DemoError(f"{exc}{hint if args.input is None else ''}") from None
    cls = connector_class(args.service, args.transport, provider)
    check_environment(args.service)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_path, wav_path = out / "session.jsonl", out / "answer.wav"

    async with contextlib.AsyncExitStack() as stack:
        base_url = None
        if args.service == "local":
            from semantic_kernel_realtime.server import LocalRealtimeServer

            server = await stack.enter_async_context(LocalRealtimeServer(speech=True))
            base_url = server.gemini_base_url if provider == "gemini" else server.base_url
            if provider == "gemini":  # the server's judge of Gemini messages loads once, before the clock starts
                from semantic_kernel_realtime.server.gemini.validation import load

                await asyncio.get_running_loop().run_in_executor(None, load)
            where = (f"embedded server at {base_url if provider == 'gemini' else server.ws_url} (offline; "
                     f"transcriber: {getattr(server.transcriber, 'name', 'none')}, voice: {server.synthesizer.name})")
        else:
            where = f"{args.service} service"
        client = make_client(cls, args.service, base_url)
        print(f"sk-realtime demo: {where}, {provider}, {args.transport}")
        print(f"input: {input_path.resolve()} ({len(pcm16) / 48000:.1f} s, {info.encoding} {info.rate} Hz"
              f"{', resampled to 24 kHz' if info.rate != 24000 else ''})\n")
        kernel = Kernel()
        kernel.add_service(client)
        kernel.add_plugin(DemoPlugin(), PLUGIN_NAME)
        log = stack.enter_context(SessionLog(log_path, {
            "service": args.service, "provider": provider, "transport": args.transport, "input": str(input_path),
            "model": client.ai_model_id, "started_at": time.time(),
        }))
        client.record_to(log)
        printer = TranscriptPrinter(codec=cls.codec_class)
        voice = args.voice or PROVIDERS[provider].voice
        tool_results: list[str] = []
        remaining = max(1.0, args.timeout - (time.monotonic() - started))
        try:
            answer = await asyncio.wait_for(
                _converse(client, kernel, session_settings(voice), pcm16, printer, tool_results, log), remaining)
        except asyncio.TimeoutError:
            printer.finish()
            raise DemoError(f"no complete answer within {args.timeout:.0f} s (log so far: {log_path})") from None
        log.flush()
    write_wav(wav_path, answer)
    timing = format_timing(read_log(log_path))
    return DemoResult(printer.lines, wav_path, log_path, timing, tool_results)


def demo_main(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.errors import TransportError

    try:
        result = asyncio.run(run_demo(args))
    except DemoError as exc:
        print(f"sk-realtime demo: error: {exc}", file=sys.stderr)
        return 1
    except TransportError as exc:
        print(f"sk-realtime demo: connection error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sk-realtime demo: interrupted", file=sys.stderr)
        return 130
    print()
    print(result.timing)
    print(f"\nanswer audio: {result.answer_wav}\nsession log:  {result.session_log}"
          f"  (sk-realtime replay {result.session_log} --plot timeline.png)")
    return 0
