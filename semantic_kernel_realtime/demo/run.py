"""The demo: one spoken question, answered by a Semantic Kernel agent through a realtime session.

Flow: start the embedded server (or use the real service), open a realtime client registered as a
kernel service with the demo plugin, stream the question (synthesised offline by default, or any audio
file) into the send queue at real-time pace in 20 ms chunks (then 1 s of silence so server VAD ends the
turn), and consume the receive queue: print the transcript, collect the answer's audio, and stop after
the answer (the ``ResponseDoneEvent`` of a response that asked for no tool). A
:class:`~semantic_kernel_realtime.telemetry.Recorder` attached to the client writes everything that crossed
the wire to the session log; the timing table is computed from that log, as ``sk-realtime replay`` does.
With ``--agents`` the session is a :class:`~semantic_kernel_realtime.agents.RealtimeAgentSession` of the demo's
triage and weather agents (:func:`~.agent.demo_agents`): the run stops after the answer that follows the
weather agent's hand-back.

Providers (``--provider``): ``openai`` (the OpenAI GA protocol: the embedded server's OpenAI paths, OpenAI or
Azure OpenAI) and ``gemini`` (Gemini Live: the embedded server's Gemini path, or Google's service). The
application side is the same for both: the settings, the plugin and the receive loop read only
protocol-neutral events and the codec's signals; the provider picks the connector (:data:`PROVIDERS`).

Rules:
- Every expected failure is a :class:`DemoError`: one line, no traceback. A :class:`UsageError` (the
  input or the environment is wrong: an unreadable or silent file, a missing variable) exits with 2,
  anything else with 1.
- A run writes its log to a file of its own; only a successful run replaces ``session.jsonl`` and
  ``answer.wav``. A failed run leaves its log as ``session.failed.jsonl`` and the last good files as they
  were.
- No speech: when the service has shown no sign of hearing the question by the end of the audio (plus the
  provider's ``no_speech_grace_s``), the run stops at once with "no speech detected in ...". A sign is its
  VAD's speech start, the user's words, a tool call or a response (Gemini Live reports no speech start, so
  there the first sign is the transcript or the answer, and the grace is longer).
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

from semantic_kernel_realtime.agents import RealtimeAgent, RealtimeAgentSession
from semantic_kernel_realtime.demo.agent import INSTRUCTIONS, PLUGIN_NAME, DemoPlugin, demo_agents
from semantic_kernel_realtime.demo.agent import WEATHER_VOICE as AGENTS_WEATHER_VOICE
from semantic_kernel_realtime.demo.arguments import DEFAULT_QUESTION, add_demo_arguments
from semantic_kernel_realtime.demo.audio import (
    CHUNK_BYTES,
    CHUNK_MS,
    QUESTION_VOICE,
    AudioFileError,
    chunks,
    read_audio_file,
    synthesize_speech,
    write_wav,
)
from semantic_kernel_realtime.errors import ConfigurationError
from semantic_kernel_realtime.events import ResponseDoneEvent, SessionEndedEvent, TextDoneEvent
from semantic_kernel_realtime.protocol import RealtimeExecutionSettings
from semantic_kernel_realtime.protocol.base import CallCompleted, ItemText, ResponseStarted, SpeechStarted
from semantic_kernel_realtime.telemetry import Recorder, SessionReplay, TranscriptPrinter, format_timing, read_log

__all__ = ["PROVIDERS", "DemoError", "DemoResult", "Provider", "UsageError", "add_demo_arguments", "demo_main",
           "run_demo"]

TRAILING_SILENCE_S = 1.0
WEBRTC_MISSING = "WebRTC connectors are not available in this build"
LOG_NAME, FAILED_LOG_NAME, ANSWER_NAME = "session.jsonl", "session.failed.jsonl", "answer.wav"
#: Signals that say the service heard the user: its VAD's speech start, the user's words, a call, a response.
HEARD = frozenset({SpeechStarted, ItemText, CallCompleted, ResponseStarted})


@dataclass(frozen=True)
class Provider:
    """One wire protocol the demo speaks: the real services that speak it, the assistant's default voice, the
    transports, and how long after the question's audio the service must have shown it heard speech."""

    services: tuple[str, ...]
    voice: str
    transports: tuple[str, ...] = ("websocket", "webrtc")
    no_speech_grace_s: float = 2.0


#: ``--provider`` (``demo.arguments.PROVIDER_NAMES``) -> what it allows. ``local`` (the embedded server) serves
#: every provider. Gemini Live reports no speech start: the first sign it heard the question is its transcript or
#: answer, after recognition, hence the longer grace.
PROVIDERS = {
    "openai": Provider(services=("local", "openai", "azure"), voice="marin"),
    "gemini": Provider(services=("local", "google"), voice="Puck", transports=("websocket",), no_speech_grace_s=10.0),
}


class DemoError(Exception):
    """An expected failure, reported as one line without a traceback (exit status 1)."""

    exit_status = 1


class UsageError(DemoError):
    """The input or the environment is wrong; the message says what to fix (exit status 2)."""

    exit_status = 2


@dataclass
class DemoResult:
    transcript: list[str]
    answer_wav: Path
    session_log: Path
    timing: str
    tool_results: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Question:
    pcm16: bytes
    source: str  # what the "no speech detected in ..." line names
    description: str


def provider_of(args: argparse.Namespace) -> str:
    """The provider the arguments ask for (``--service google`` implies gemini); a bad pair is a UsageError."""
    provider = getattr(args, "provider", None) or ("gemini" if args.service == "google" else "openai")
    allowed = PROVIDERS[provider]
    if args.service not in allowed.services:
        raise UsageError(f"--provider {provider} runs on --service {' or '.join(allowed.services)}, "
                         f"not {args.service}")
    if args.transport not in allowed.transports:
        raise UsageError(f"--provider {provider} speaks over {' or '.join(allowed.transports)} only; "
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
            raise UsageError(f"{WEBRTC_MISSING}; use --transport websocket") from None
    elif service == "azure":
        from semantic_kernel_realtime.connectors.azure import AzureRealtimeWebsocket as cls
    else:
        from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebsocket as cls
    return cls


def make_client(cls: type, service: str, base_url: str | None = None) -> Any:
    """A client of ``cls`` for ``service``; a real service's settings come from the environment, and the
    connector names what is missing."""
    client_cls = cls
    try:
        if service == "local":
            return client_cls(api_key="offline-demo", base_url=base_url)
        return client_cls()
    except ConfigurationError as exc:
        raise UsageError(f"{exc} (needed for --service {service})") from None


def load_question(path: Path | None) -> Question:
    """The question as PCM16 24 kHz mono: ``path`` read and converted, or the default one synthesised."""
    if path is None:
        try:
            pcm16 = synthesize_speech(DEFAULT_QUESTION, voice=QUESTION_VOICE)
        except AudioFileError as exc:
            raise UsageError(f"{exc}; or pass --input AUDIO") from None
        return Question(pcm16, "the synthesised question",
                        f'"{DEFAULT_QUESTION}" synthesised offline (eSpeak NG, {len(pcm16) / 48000:.1f} s)')
    try:
        pcm16, info = read_audio_file(path)
    except AudioFileError as exc:
        raise UsageError(str(exc)) from None
    native = (info.codec, info.rate, info.channels) == ("pcm_s16le", 24000, 1)
    return Question(pcm16, str(path), f"{path.resolve()} ({len(pcm16) / 48000:.1f} s, {info.describe()}"
                                      f"{'' if native else ', converted to PCM16 24 kHz mono'})")


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


async def _receive_answer(client: Any, events: Any, printer: TranscriptPrinter, tool_results: list[str],
                          heard: asyncio.Event) -> bytes:
    """Consume ``events`` (the receive queue, or an agent session's events) until the answer is done (over
    WebRTC: until its audio has played)."""
    answer = bytearray()
    media = bool(getattr(client.transport, "carries_audio", False))
    signals = client.codec_class.signals
    answered = playing = False
    async for event in events:
        printer.handle(event)
        if not heard.is_set() and (isinstance(event, (TextDoneEvent, ResponseDoneEvent))
                                   or any(type(signal) in HEARD for signal in signals(event))):
            heard.set()
        etype = event.service_type
        if isinstance(event, RealtimeAudioEvent):
            if media and not playing:
                continue  # the WebRTC track carries silence between answers
            answer += event.audio.data or b""
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
                return bytes(answer)
            answered = True  # WebRTC: the audio track still plays; wait for its end
        elif etype == "output_audio_buffer.stopped":
            playing = False
            if answered:
                return bytes(answer)
    raise DemoError("the session ended before the answer was done")


async def _speech_was_heard(sender: asyncio.Task[None], heard: asyncio.Event, grace_s: float) -> bool:
    """Once the whole question (and its trailing silence) is sent: whether the service showed it heard speech
    within ``grace_s``."""
    await asyncio.wait({sender})
    try:
        await asyncio.wait_for(heard.wait(), grace_s)
    except asyncio.TimeoutError:
        return False
    return True


async def _converse(client: Any, kernel: Kernel, settings: Any, question: Question, printer: TranscriptPrinter,
                    tool_results: list[str], grace_s: float, agent: RealtimeAgent | None = None) -> bytes:
    heard = asyncio.Event()
    session: Any = client(settings=settings, kernel=kernel) if agent is None else RealtimeAgentSession(agent, client)
    async with session:
        events = client.receive() if agent is None else session.events()
        sender = asyncio.create_task(_stream_audio(client, question.pcm16), name="demo.audio_in")
        receiver = asyncio.create_task(_receive_answer(client, events, printer, tool_results, heard),
                                       name="demo.receive")
        watch = asyncio.create_task(_speech_was_heard(sender, heard, grace_s), name="demo.no_speech")
        tasks = (sender, receiver, watch)
        try:
            await asyncio.wait({receiver, watch}, return_when=asyncio.FIRST_COMPLETED)
            if not receiver.done() and not watch.result():
                raise UsageError(f"no speech detected in {question.source} (the voice activity detector heard "
                                 f"nothing: is it silent or very quiet?)")
            answer = await receiver
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    printer.finish()
    return answer


async def _session(args: argparse.Namespace, provider: str, question: Question, cls: type, run_log: Path,
                   printer: TranscriptPrinter, tool_results: list[str], started: float) -> bytes:
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
        print(f"input: {question.description}\n")
        kernel = Kernel()
        kernel.add_service(client)
        kernel.add_plugin(DemoPlugin(), PLUGIN_NAME)
        recorder = stack.enter_context(Recorder(run_log, meta={
            "service": args.service, "transport": args.transport, "input": question.source,
            "model": client.ai_model_id, "started_at": time.time(),
        }))
        client.attach(recorder)
        settings = session_settings(args.voice or PROVIDERS[provider].voice)
        agent = None
        if getattr(args, "agents", False):
            agent = demo_agents(settings, args.voice or PROVIDERS[provider].voice,
                                None if provider == "gemini" else AGENTS_WEATHER_VOICE)
        remaining = max(1.0, args.timeout - (time.monotonic() - started))
        try:
            return await asyncio.wait_for(
                _converse(client, kernel, settings, question, printer, tool_results,
                          PROVIDERS[provider].no_speech_grace_s, agent),
                remaining)
        except asyncio.TimeoutError:
            printer.finish()
            raise DemoError(f"no complete answer within {args.timeout:g} s") from None


async def run_demo(args: argparse.Namespace) -> DemoResult:
    started = time.monotonic()
    provider = provider_of(args)
    question = load_question(args.input)
    cls = connector_class(args.service, args.transport, provider)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {out}: {exc.strerror}") from None
    run_log = out / f".session-{os.getpid()}.jsonl.part"
    printer = TranscriptPrinter(codec=cls.codec_class)
    tool_results: list[str] = []
    try:
        answer = await _session(args, provider, question, cls, run_log, printer, tool_results, started)
    except Exception as exc:
        if not run_log.exists():
            raise
        failed = out / FAILED_LOG_NAME
        os.replace(run_log, failed)
        if isinstance(exc, DemoError):
            raise type(exc)(f"{exc} (this run's log: {failed})") from None
        raise
    except BaseException:  # interrupted: nothing of this run replaces the last good files
        run_log.unlink(missing_ok=True)
        raise
    wav_path, log_path = out / ANSWER_NAME, out / LOG_NAME
    write_wav(out / f".answer-{os.getpid()}.wav.part", answer)
    os.replace(out / f".answer-{os.getpid()}.wav.part", wav_path)
    os.replace(run_log, log_path)
    timing = format_timing(SessionReplay(read_log(log_path)).turns())
    return DemoResult(printer.lines, wav_path, log_path, timing, tool_results)


def demo_main(args: argparse.Namespace) -> int:
    from semantic_kernel_realtime.errors import TransportError

    try:
        result = asyncio.run(run_demo(args))
    except DemoError as exc:
        print(f"sk-realtime demo: error: {exc}", file=sys.stderr)
        return exc.exit_status
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
