"""Simulated phone providers for the telephony tests, and the application that bridges them.

- :class:`App` is the application: an aiohttp server on 127.0.0.1 whose WebSocket endpoint opens a realtime
  session on the embedded server and runs a bridge for each connection (what a real deployment does).
- :class:`TwilioPeer` / :class:`AcsPeer` play the provider: they connect to the app with the ``websockets``
  client, stream the caller's audio as the provider would, and record what the app sends back. Playback is
  simulated: the test says how much of the received audio has "played" (Twilio: marks are echoed only up to
  there; ACS: nothing is reported, the client estimates).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import av
import numpy as np
import websockets
from aiohttp import WSMsgType, web
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import g711
from semantic_kernel_realtime.server import ResponseRequest, TextDelta
from tests.shared import audio_fixture

FRAME_MS = 20


def caller_speech_mulaw() -> bytes:
    """``whats-the-weather.g711-alaw-8k.wav`` as the phone network would carry it to Twilio: mu-law 8 kHz."""
    return g711.mulaw_encode(read_8k("whats-the-weather.g711-alaw-8k.wav"))


def read_8k(name: str) -> np.ndarray:
    """A shared audio fixture decoded to PCM16 mono 8 kHz (PyAV: the file is A-law, which ``wave`` cannot read)."""
    path = audio_fixture(name)
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                  for out in resampler.resample(frame)]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16)


async def text_messages(ws: web.WebSocketResponse) -> AsyncIterator[str]:
    """An aiohttp WebSocket's text messages, until it closes: what a bridge's ``run`` reads."""
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            yield message.data
        elif message.type == WSMsgType.ERROR:
            return


class App:
    """The application: ``/call`` upgrades, ``session(ws)`` runs the bridge for that connection."""

    def __init__(self, session: Callable[[web.WebSocketResponse], Any]) -> None:
        self._session = session
        self.app = web.Application()
        self.app.router.add_get("/call", self._handle)
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.done = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            await self._session(ws)
        finally:
            self.done.set()
        await ws.close()
        return ws

    async def __aenter__(self) -> App:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/call"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


class TwilioPeer:
    """Twilio's side of a Media Streams WebSocket: sends ``connected``/``start``/``media``/``stop``, records what
    comes back, echoes marks once the audio before them has "played" (``play_all`` or ``played_ms``)."""

    def __init__(self, url: str, *, play_all: bool = True) -> None:
        self.url = url
        self.play_all = play_all
        self.received: list[dict[str, Any]] = []
        self.audio = bytearray()  # every media payload received, in order (mu-law 8 kHz: 8 bytes a millisecond)
        self.playhead = 0  # bytes of ``audio`` played (a clear jumps it to the end: the rest was dropped)
        self.cleared_at: tuple[int, int] | None = None  # (playhead, bytes received) when ``clear`` came
        self.echoed: list[str] = []
        self.stream_sid = "MZ" + "0" * 32
        self.cleared = asyncio.Event()
        self.closed = asyncio.Event()  # the app closed the socket
        self._pending_marks: list[tuple[str, int]] = []  # (name, bytes of audio before it)
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._sequence = 0

    async def __aenter__(self) -> TwilioPeer:
        self._ws = await websockets.connect(self.url)
        self._reader = asyncio.create_task(self._read())
        await self._event("connected", protocol="Call", version="1.0.0")
        await self._event("start", streamSid=self.stream_sid, start={
            "accountSid": "AC" + "0" * 32, "streamSid": self.stream_sid, "callSid": "CA" + "1" * 32,
            "tracks": ["inbound"], "customParameters": {"caller": "+15550100"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}})
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _event(self, name: str, **fields: Any) -> None:
        self._sequence += 1
        await self._ws.send(json.dumps({"event": name, "sequenceNumber": str(self._sequence), **fields}))

    async def speak(self, mulaw: bytes, *, silence_ms: int = 800) -> None:
        """Stream ``mulaw`` then ``silence_ms`` of silence in 20 ms media messages (as fast as the socket takes)."""
        mulaw = mulaw + g711.mulaw_encode(np.zeros(silence_ms * 8, dtype=np.int16))
        for chunk, offset in enumerate(range(0, len(mulaw), 160)):
            await self._event("media", streamSid=self.stream_sid, media={
                "track": "inbound", "chunk": str(chunk + 1), "timestamp": str(chunk * FRAME_MS),
                "payload": base64.b64encode(mulaw[offset:offset + 160]).decode()})

    async def hang_up(self) -> None:
        await self._event("stop", streamSid=self.stream_sid, stop={"accountSid": "AC" + "0" * 32,
                                                                    "callSid": "CA" + "1" * 32})

    async def play(self, ms: float) -> None:
        """The caller's phone plays ``ms`` more of the received audio: echo the marks it passed."""
        self.playhead = min(len(self.audio), self.playhead + int(ms * 8))
        await self._echo_played()

    async def _echo_played(self) -> None:
        if self.play_all:
            self.playhead = len(self.audio)
        while self._pending_marks and self._pending_marks[0][1] <= self.playhead:
            name, _ = self._pending_marks.pop(0)
            self.echoed.append(name)
            await self._event("mark", streamSid=self.stream_sid, mark={"name": name})

    async def _read(self) -> None:
        try:
            await self._read_messages()
        finally:
            self.closed.set()

    async def _read_messages(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            self.received.append(message)
            assert message.get("streamSid") == self.stream_sid, message
            kind = message["event"]
            if kind == "media":
                self.audio += base64.b64decode(message["media"]["payload"])
            elif kind == "mark":
                self._pending_marks.append((message["mark"]["name"], len(self.audio)))
                await self._echo_played()
            elif kind == "clear":
                # Twilio drops what it has not played and echoes the marks still pending (never played)
                self.cleared_at = (self.playhead, len(self.audio))
                self.playhead = len(self.audio)
                pending, self._pending_marks = self._pending_marks, []
                for name, _ in pending:
                    await self._event("mark", streamSid=self.stream_sid, mark={"name": name})
                self.cleared.set()

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["event"] == kind]


class AcsPeer:
    """ACS's side of a bidirectional media-streaming WebSocket: ``AudioMetadata`` then ``AudioData`` frames of
    PCM16 mono at ``rate``; records the ``AudioData`` and ``StopAudio`` that come back (ACS reports no playback)."""

    def __init__(self, url: str, rate: int = 16000) -> None:
        self.url = url
        self.rate = rate
        self.received: list[dict[str, Any]] = []
        self.audio = bytearray()  # PCM16 at ``rate``
        self.first_audio_at: float | None = None  # loop time of the first AudioData received
        self.stopped = asyncio.Event()
        self.stopped_at: int | None = None  # bytes of audio received when StopAudio came
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AcsPeer:
        self._ws = await websockets.connect(self.url)
        self._reader = asyncio.create_task(self._read())
        await self._ws.send(json.dumps({"kind": "AudioMetadata", "audioMetadata": {
            "subscriptionId": "a1b2c3", "encoding": "PCM", "sampleRate": self.rate, "channels": 1,
            "length": self.rate // 1000 * FRAME_MS * 2}}))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hang_up()
        if self._reader is not None:
            self._reader.cancel()

    async def hang_up(self) -> None:
        """ACS ends the stream by closing the socket."""
        await self._ws.close()

    async def speak(self, pcm: bytes, *, silence_ms: int = 800) -> None:
        """Stream PCM16 at ``rate``, then silence, in 20 ms ``AudioData`` frames."""
        pcm = pcm + bytes(silence_ms * self.rate // 1000 * 2)
        frame = self.rate // 1000 * FRAME_MS * 2
        for offset in range(0, len(pcm), frame):
            chunk = pcm[offset:offset + frame]
            await self._ws.send(json.dumps({"kind": "AudioData", "audioData": {
                "timestamp": "2026-01-01T00:00:00.000Z", "participantRawID": "4:+15550100",
                "data": base64.b64encode(chunk).decode(), "silent": not any(chunk)}}))

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            self.received.append(message)
            if message["Kind"] == "AudioData":
                if self.first_audio_at is None:
                    self.first_audio_at = asyncio.get_running_loop().time()
                self.audio += base64.b64decode(message["AudioData"]["Data"])
            elif message["Kind"] == "StopAudio":
                self.stopped_at = len(self.audio)
                self.stopped.set()

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["Kind"] == kind]


def caller_speech_pcm(rate: int) -> bytes:
    """The caller's question (the A-law fixture) as PCM16 at ``rate``."""
    from semantic_kernel_realtime.audio import Resampler

    resampler = Resampler(8000, rate)
    pcm = read_8k("whats-the-weather.g711-alaw-8k.wav").tobytes()
    return resampler.convert(pcm) + resampler.flush()


class Weather:
    def __init__(self) -> None:
        self.asked: list[str] = []

    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "city and region"]) -> str:
        self.asked.append(location)
        return "sunny and eighteen degrees"


class Call:
    """What the app saw of one call: the bridge, the client, the events the bridge handed on."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.changed = asyncio.Event()
        self.bridge: Any = None
        self.client: Any = None
        self.opened = asyncio.Event()
        self.service_audio: list[bytes] = []  # output audio as the service sent it
        self.first_audio_at: float | None = None  # loop time the client received the first of it
        self.first_part_at: float | None = None  # loop time of the first content part, which comes before it

    def on_part(self, event: Any) -> None:
        if self.first_part_at is None:
            self.first_part_at = asyncio.get_running_loop().time()

    def on_audio(self, event: Any) -> None:
        if self.first_audio_at is None:
            self.first_audio_at = asyncio.get_running_loop().time()
        self.service_audio.append(base64.b64decode(event.service_event["delta"]))

    def on_event(self, event: Any) -> None:
        self.events.append(event)
        self.changed.set()

    def of_type(self, service_type: str) -> list[Any]:
        return [e for e in self.events if e.service_type == service_type]

    async def until(self, condition: Any, timeout: float = 30.0) -> Any:
        async def wait() -> Any:
            while not (result := condition()):
                self.changed.clear()
                await self.changed.wait()
            return result

        return await asyncio.wait_for(wait(), timeout)


ANSWER = "I can tell you all about the weather in Paris."
ANSWER_MS = 2990  # the stand-in voice says it in this long


class Answer:
    name = "answer"

    async def respond(self, request: ResponseRequest):
        users = [i for i in request.items if i.get("type") == "message" and i.get("role") == "user"]
        if users and any(c.get("type") == "input_audio" for c in users[-1].get("content") or ()):
            yield TextDelta("Yes?")
        else:
            for index, word in enumerate(ANSWER.split(" ")):
                yield TextDelta(word if index == 0 else " " + word)


def bridge_app(server: Any, call: Call, settings: Any, bridge: Callable[..., Any], kernel: Any = None,
               **options: Any) -> App:
    """The application: each connection opens a session on ``server`` and runs ``bridge(client, ...)`` for it."""
    from semantic_kernel_realtime import OpenAIRealtimeWebsocket

    async def session(ws: web.WebSocketResponse) -> None:
        client = OpenAIRealtimeWebsocket(api_key="x", base_url=server.base_url)
        async with client(settings=settings, kernel=kernel):
            call.client = client
            client.add_observer(call.on_part, ["response.content_part.added"])
            client.add_observer(call.on_audio, ["response.output_audio.delta"])
            call.bridge = bridge(client, on_event=call.on_event, **options)
            call.opened.set()
            await call.bridge.run(text_messages(ws), ws.send_str)

    return App(session)
