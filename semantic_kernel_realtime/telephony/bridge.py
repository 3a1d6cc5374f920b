"""The provider-neutral half of a phone bridge: one call's media WebSocket <-> one realtime client.

Rules:
- Framework-neutral: :meth:`PhoneBridge.run` takes the provider socket's incoming text messages as an async
  iterable and a coroutine function that sends one text message (aiohttp: ``ws.send_str``; websockets:
  ``ws.send``; Starlette/FastAPI: ``ws.send_text``). Nothing here imports a web framework.
- The session is the application's: it opens the client (settings, kernel, any connector or provider) and
  hands it over. While :meth:`run` runs, the bridge owns the client's ``audio_output_callback`` and a
  playback stop handler, and is the one consumer of ``client.receive()``: every event other than output
  audio goes to ``on_event`` (plain or ``async def``). Both are removed when :meth:`run` returns.
- Audio formats are decided once per direction (:func:`converter`): identical formats pass through
  untouched (G.711 mu-law from Twilio to a session using ``audio/pcmu``), otherwise G.711 is decoded or
  encoded and the rate converted by the package's one :class:`~semantic_kernel_realtime.audio.Resampler`.
- Output audio is taken in the client's receive path (the audio callback is synchronous: no task hop),
  converted and queued for one writer task that sends in order. When the client stops playback (barge-in:
  the caller spoke over the assistant) the queue is dropped and the provider's clear message goes first.
  The playback position barge-in truncates at is what the provider reports played (Twilio's marks,
  :meth:`PhoneBridge._played_through`); a provider without marks (ACS) leaves the client's real-time
  estimate in charge.
- Lifetime: the caller hanging up (the provider's stop message, or its socket ending) closes the session;
  the session ending (the application closed it, the service ended it) plays the ``goodbye`` audio, if any,
  waits until it has played and returns: the application then closes the socket (returning from its
  handler does), which ends the call's media stream. :attr:`PhoneBridge.ended_by` says which side ended.
- A malformed provider message (not JSON, not an object, a field of the wrong type, bad base64) is
  logged and skipped; the call goes on.
- Per 20 ms frame: one JSON parse, one base64 decode or encode, at most one G.711 and one resampler call,
  O(1) bookkeeping; nothing sleeps or polls.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any, ClassVar

import numpy as np
import orjson
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents

from semantic_kernel_realtime import g711
from semantic_kernel_realtime.audio import PCM, FormatConverter
from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.client.inbound import WireAudio
from semantic_kernel_realtime.errors import ConfigurationError
from semantic_kernel_realtime.protocol import pcm_audio_event

logger = logging.getLogger("semantic_kernel_realtime.telephony")

#: An audio format on one side of the bridge: (encoding, sample rate); encodings: "pcm16", "pcmu", "pcma".
AudioFormat = tuple[str, int]
PCMU_8K: AudioFormat = ("pcmu", g711.RATE)

Send = Callable[[str], Awaitable[Any]]
EventHandler = Callable[[RealtimeEvents], Any]

#: the session formats the OpenAI GA wire names (``audio.input.format.type``); other codecs: PCM16
_SESSION_ENCODINGS = {"audio/pcmu": "pcmu", "audio/pcma": "pcma"}
_MIME_OF = {encoding: mime for mime, encoding in _SESSION_ENCODINGS.items()}


def converter(src: AudioFormat, dst: AudioFormat) -> Callable[[bytes], bytes] | None:
    """What turns audio of ``src`` into ``dst``; ``None`` when they are the same (passthrough)."""
    if src == dst:
        return None
    return FormatConverter(_MIME_OF.get(src[0], PCM), src[1], _MIME_OF.get(dst[0], PCM), dst[1])


def session_formats(client: RealtimeClientBase) -> tuple[AudioFormat, AudioFormat]:
    """The audio the client's session takes from the application and gives it: (input, output).

    G.711 when the session's opening configuration names ``audio/pcmu`` / ``audio/pcma`` (the service then
    takes and sends it as is), else PCM16 at the client's ``input_audio_sample_rate`` and at the codec's
    output rate.
    """
    codec = client.codec_class
    if codec is None:
        raise TypeError(f"{type(client).__name__} names no wire protocol (codec_class)")
    audio = (client.opening_session or {}).get("audio")
    formats: list[AudioFormat] = []
    for side, rate in (("input", client.input_audio_sample_rate), ("output", codec.capabilities.output_sample_rate)):
        fmt = audio.get(side, {}).get("format") if isinstance(audio, dict) else None
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        encoding = _SESSION_ENCODINGS.get(kind) if isinstance(kind, str) else None
        formats.append((encoding, g711.RATE) if encoding else ("pcm16", rate))
    if formats[0][0] != "pcm16" and client.input_audio_sample_rate != codec.capabilities.input_sample_rate:
        raise ConfigurationError(
            f"the session takes {formats[0][0]} audio as is: leave the client's input_audio_sample_rate at "
            f"{codec.capabilities.input_sample_rate} (it is {client.input_audio_sample_rate}), or it would "
            "resample G.711 bytes as PCM16")
    return formats[0], formats[1]


class PhoneBridge:
    """One call: a provider's media WebSocket on one side, a realtime client's open session on the other.

    Subclasses (one per provider) name the phone's :data:`AudioFormat`, fill :attr:`HANDLERS` (message
    kind -> handler) and build the provider's outgoing messages.

    Args:
        client: a realtime client whose session is open (any connector).
        on_event: called with every received event except output audio (plain or ``async def``).
        goodbye: PCM16 mono audio played to the caller when the session ends, before the bridge returns.
        goodbye_sample_rate: the rate of ``goodbye``.
        close_timeout: seconds the bridge waits for the goodbye to play and for the session to close.
    """

    #: message kind -> handler; a handler returning True means the caller hung up
    HANDLERS: ClassVar[dict[str, Callable[[Any, dict], bool | None]]] = {}
    #: the field naming a message's kind
    KIND: ClassVar[str] = "event"
    #: whether the provider reports what it played (marks); else the client estimates it in real time
    REPORTS_PLAYBACK: ClassVar[bool] = False

    def __init__(self, client: RealtimeClientBase, *, on_event: EventHandler | None = None,
                 goodbye: bytes | None = None, goodbye_sample_rate: int = 24_000, close_timeout: float = 10.0,
                 phone_format: AudioFormat = PCMU_8K) -> None:
        self.client = client
        self.on_event = on_event
        self.goodbye = goodbye
        self.goodbye_sample_rate = goodbye_sample_rate
        self.close_timeout = close_timeout
        #: "caller" (hung up), "session" (ended), or None while the call runs
        self.ended_by: str | None = None
        self._session_in, self._session_out = session_formats(client)
        #: what the audio sent to the client is labelled: G.711 by its MIME type (the client then passes it
        #: through), PCM16 as the client's input rate
        self._session_in_mime = _MIME_OF.get(self._session_in[0], "audio/pcm")
        self.phone_format = phone_format
        self._queue: deque[str] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._send: Send | None = None
        self._given = 0  # bytes of the session's output audio handed to the phone
        self._reported = 0  # of which reported played to the client's playback
        self.frames_in = 0
        self.frames_out = 0

    @property
    def phone_format(self) -> AudioFormat:
        return self._phone_format

    @phone_format.setter
    def phone_format(self, fmt: AudioFormat) -> None:
        """Set the phone's format (a provider may say it in its first message); rebuilds the converters."""
        self._phone_format = fmt
        self._to_session = converter(fmt, self._session_in)
        self._to_phone = converter(self._session_out, fmt)

    @property
    def passthrough(self) -> tuple[bool, bool]:
        """Whether the caller's audio reaches the session untouched, and the session's reaches the caller."""
        return self._to_session is None, self._to_phone is None

    # -- to implement ----------------------------------------------------------------------------------

    def _media(self, payload: str) -> None:
        """Queue the provider's messages that carry ``payload`` (base64 audio in the phone's format)."""
        raise NotImplementedError

    def _clear(self) -> str:
        """The provider's message that drops the audio it has not played yet."""
        raise NotImplementedError

    async def _until_played(self, seconds: float) -> None:
        """Return once the audio queued so far (``seconds`` of it just added) has played (default: its duration)."""
        await asyncio.sleep(seconds)

    def _ready(self) -> bool:
        """Whether outgoing messages can be sent yet (Twilio: once it named the stream)."""
        return True

    # -- the call --------------------------------------------------------------------------------------

    async def run(self, messages: AsyncIterable[str | bytes], send: Send) -> str:
        """Bridge the call until either side ends it; returns who did (:attr:`ended_by`)."""
        client = self.client
        if not client.is_open:
            raise RuntimeError("open the client's session before bridging a call to it")
        self._send = send
        previous_callback = client.audio_output_callback
        client.audio_output_callback = WireAudio(self._play)  # the session's format as it came: mu-law passes through
        client.playback.on_stop(self._stop_playback)
        if self.REPORTS_PLAYBACK:
            client.playback.played(0)  # positions are reported from now on, not estimated
        loop = asyncio.get_running_loop()
        writer = loop.create_task(self._write(), name="telephony.writer")
        reader = loop.create_task(self._read(messages), name="telephony.reader")
        session = loop.create_task(self._consume(), name="telephony.session")
        try:
            await asyncio.wait({reader, session}, return_when=asyncio.FIRST_COMPLETED)
            if session.done():
                self.ended_by = "session"
                if self.goodbye:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._say_goodbye(), self.close_timeout)
            else:
                self.ended_by = "caller"
                logger.info("the caller hung up: closing the realtime session")
                await client.close_session()
                await asyncio.wait({session}, timeout=self.close_timeout)
            with contextlib.suppress(asyncio.TimeoutError):  # what is still queued has a moment to go out
                await asyncio.wait_for(self._idle.wait(), self.close_timeout)
        finally:
            for task in (reader, session, writer):
                task.cancel()
            await asyncio.gather(reader, session, writer, return_exceptions=True)
            client.playback.remove_stop_handler(self._stop_playback)
            client.audio_output_callback = previous_callback
        return self.ended_by

    async def _read(self, messages: AsyncIterable[str | bytes]) -> None:
        handlers = self.HANDLERS
        kind_field = self.KIND
        async for raw in messages:
            try:
                message = orjson.loads(raw)
                handler = handlers.get(message.get(kind_field))
                if handler is not None and handler(self, message):
                    return
            except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:  # base64 errors too
                logger.warning("ignored a malformed media-stream message (%s: %s): %.80r", type(exc).__name__,
                               exc, raw)

    async def _consume(self) -> None:
        on_event = self.on_event
        async for event in self.client.receive():
            if on_event is None or type(event) is RealtimeAudioEvent:
                continue
            try:
                result = on_event(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("the bridge's on_event handler failed on a %s event", event.service_type)

    # -- audio -----------------------------------------------------------------------------------------

    def _caller_audio(self, data: bytes) -> None:
        """Audio from the caller, in the phone's format: onto the client's send queue."""
        self.frames_in += 1
        convert = self._to_session
        if convert is not None:
            data = convert(data)
            if not data:
                return
        self.client.send_buffer.put_nowait(pcm_audio_event("input_audio_buffer.append", data, self._session_in_mime))

    def _play(self, samples: np.ndarray) -> None:
        """The client's audio callback: the session's output audio (int16 view of its bytes) to the phone."""
        data = samples.tobytes()
        self._given += len(data)
        convert = self._to_phone
        if convert is not None:
            data = convert(data)
            if not data:
                return
        self.frames_out += 1
        self._media(base64.b64encode(data).decode("ascii"))

    def _played_through(self, given: int) -> None:
        """The phone has played the session's output audio up to ``given`` bytes: tell the client's playback."""
        samples = given // 2 - self._reported // 2
        if samples > 0:
            self._reported = given
            self.client.playback.played(samples)

    def _stop_playback(self) -> None:
        """Barge-in: drop what is queued, tell the phone to drop what it holds; what was dropped is not played."""
        self._queue.clear()
        self._reported = self._given
        self._forget_unplayed()
        self._put(self._clear())

    def _forget_unplayed(self) -> None:
        """Forget the positions of audio the phone was told to drop (marks)."""

    async def _say_goodbye(self) -> None:
        pcm = self.goodbye or b""
        convert = converter(("pcm16", self.goodbye_sample_rate), self.phone_format)
        data = convert(pcm) if convert is not None else pcm
        self._media(base64.b64encode(data).decode("ascii"))
        await self._until_played(len(pcm) / 2 / self.goodbye_sample_rate)

    # -- sending -----------------------------------------------------------------------------------------

    def _put(self, message: str) -> None:
        self._queue.append(message)
        self._idle.clear()
        self._wake.set()

    def _ready_now(self) -> None:
        """Outgoing messages may go now (the provider named the stream)."""
        self._wake.set()

    async def _write(self) -> None:
        queue = self._queue
        send = self._send
        assert send is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._ready():
                continue
            try:
                while queue:
                    await send(queue.popleft())
            except Exception as exc:  # the provider's socket closed under us: the call is over
                logger.info("the media stream socket stopped taking messages: %s: %s", type(exc).__name__, exc)
                queue.clear()
                self._idle.set()
                return
            self._idle.set()

    @staticmethod
    def _json(message: dict[str, Any]) -> str:
        return orjson.dumps(message).decode()
