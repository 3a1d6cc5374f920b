"""WebRTC transport on aiortc: JSON text over the ``oai-events`` data channel, audio as an Opus track.

Rules:
- One ``RTCPeerConnection`` with one sendrecv audio transceiver and the ``oai-events`` data channel.
  ICE servers are whatever the caller configures; none by default (no public STUN is contacted).
- ``open()``: offer -> local description (aiortc gathers every candidate there; we still wait for
  gathering "complete" on its event) -> ``signalling.exchange`` -> remote description -> wait for the
  channel's "open" event. Events are waited on, never polled.
- Text received on the channel goes straight from aiortc's "message" event to the ``listen()`` sink
  (kept in order until ``listen()`` starts). When the channel or the peer connection ends, whoever
  ended it, ``listen()`` raises :class:`ConnectionClosedError`.
- Outgoing audio: :class:`OpusAudioTrack` fed by ``send_audio()``, which encodes Opus itself; the offer
  then lists Opus only. A caller-supplied track (frames) is encoded by aiortc with any negotiated codec.
  Incoming audio: one reader task converts the remote track's frames to PCM16 mono 24 kHz and hands
  them to ``audio_receiver``; it ends when the track ends.
- ``send_text()`` waits while more than ``max_buffered_bytes`` are queued on the data channel (until
  aiortc's "bufferedamountlow" event, at half of it), so a fast sender cannot grow memory without bound.
- ``close()`` is idempotent: stops tracks, closes the peer connection and awaits the reader task, within
  ``close_timeout`` (what is still running then is left to finish on its own).
- Flow control: :meth:`pause_reading` holds data-channel messages in the inbox and stops taking frames
  from the remote track, in order, until :meth:`resume_reading`. Neither SCTP in aiortc nor RTP lets a
  receiver slow the sender, so what the service sends meanwhile waits in aiortc's own buffers (the service
  sends in real time: about 48 KB of audio a second); nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Sequence

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from semantic_kernel_realtime.errors import (
    ConnectionClosedError,
    ConnectionFailedError,
    TransportError,
)
from semantic_kernel_realtime.transports.audio_tracks import OpusAudioTrack, Pcm16Converter, PcmAudioTrack
from semantic_kernel_realtime.transports.base import AudioReceiver, Inbox, MessageSink
from semantic_kernel_realtime.transports.signalling import Signalling

__all__ = ["WebRTCTransport"]

logger = logging.getLogger(__name__)


class WebRTCTransport:
    """A :class:`~semantic_kernel_realtime.transports.base.Transport` over an aiortc peer connection.

    Args:
        signalling: delivers the SDP offer and returns the answer (see ``transports.signalling``).
        audio_receiver: called with each chunk of received audio as PCM16 mono 24 kHz bytes
            (sync or async). Runs on the reader task; keep it quick.
        audio_track: an outgoing ``MediaStreamTrack`` (e.g. a microphone) used instead of the built-in
            queue track; ``send_audio()``/``clear_audio()`` are then unavailable.
        ice_servers: ``RTCIceServer`` list; default none.
        channel_label: the data channel's label.
        open_timeout: seconds ``open()`` waits for the data channel after signalling.
        max_buffer_seconds: bound on queued outgoing audio (oldest dropped beyond it); ``None``: unbounded.
        max_buffered_bytes: data-channel bytes queued before ``send_text()`` waits for them to drain.
        close_timeout: seconds ``close()`` waits for the peer connection and the reader to stop.
    """

    carries_audio = True

    def __init__(
        self,
        signalling: Signalling,
        *,
        audio_receiver: AudioReceiver | None = None,
        audio_track: MediaStreamTrack | None = None,
        ice_servers: Sequence[RTCIceServer] | None = None,
        channel_label: str = "oai-events",
        open_timeout: float = 15.0,
        max_buffer_seconds: float | None = None,
        max_buffered_bytes: int = 1 << 20,
        close_timeout: float = 2.0,
    ) -> None:
        self._signalling = signalling
        self._audio_receiver = audio_receiver
        self._ice_servers = list(ice_servers or [])
        self._channel_label = channel_label
        self._open_timeout = open_timeout
        self._user_track = audio_track
        self._track: MediaStreamTrack = audio_track or OpusAudioTrack(max_buffer_seconds=max_buffer_seconds)
        self._pc: RTCPeerConnection | None = None
        self._channel = None
        self._inbox = Inbox()
        self._ended = asyncio.Event()
        self._max_buffered = max_buffered_bytes
        self._drained = asyncio.Event()  # the channel's queue fell to half of max_buffered_bytes
        self._channel_open = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closed: ConnectionClosedError | None = None  # set once the connection has ended
        self._close_started = False
        self._close_done = asyncio.Event()
        self._close_timeout = close_timeout
        self._reading = asyncio.Event()  # cleared while paused: the audio reader waits
        self._reading.set()

    # -- introspection ------------------------------------------------------------------------------
    @property
    def peer_connection(self) -> RTCPeerConnection | None:
        return self._pc

    @property
    def signalling(self) -> Signalling:
        """How the offer was delivered (``HttpSdpSignalling.call_id``: the call's id once it is answered)."""
        return self._signalling

    @property
    def audio_track(self) -> MediaStreamTrack:
        """The outgoing track (the built-in :class:`OpusAudioTrack` unless one was supplied)."""
        return self._track

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # -- lifecycle ----------------------------------------------------------------------------------
    async def open(self) -> None:
        if self._pc is not None:
            raise TransportError("WebRTCTransport.open() called twice")
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice_servers))
        pc.on("connectionstatechange", self._on_connection_state)
        pc.on("track", self._on_track)
        transceiver = pc.addTransceiver(self._track, direction="sendrecv")
        if isinstance(self._track, OpusAudioTrack):  # its packets are Opus: no other codec may be chosen
            transceiver.setCodecPreferences(
                [codec for codec in RTCRtpSender.getCapabilities("audio").codecs if codec.mimeType == "audio/opus"])
        channel = self._channel = pc.createDataChannel(self._channel_label)
        channel.on("open", self._channel_open.set)
        channel.on("message", self._on_message)
        channel.on("close", self._on_channel_close)
        channel.bufferedAmountLowThreshold = self._max_buffered // 2
        channel.on("bufferedamountlow", self._drained.set)
        try:
            gathered = asyncio.Event()
            pc.on("icegatheringstatechange", lambda: pc.iceGatheringState == "complete" and gathered.set())
            await pc.setLocalDescription(await pc.createOffer())
            if pc.iceGatheringState != "complete":
                await gathered.wait()
            answer_sdp = await self._signalling.exchange(pc.localDescription.sdp)
            if self._closed is not None:
                raise self._closed
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
            except Exception as exc:  # aiortc raises ValueError/InvalidStateError/... on a bad answer
                raise ConnectionFailedError(f"the SDP answer was rejected: {type(exc).__name__}: {exc}") from None
            try:
                await asyncio.wait_for(self._channel_open.wait(), self._open_timeout)
            except asyncio.TimeoutError:
                raise ConnectionFailedError(
                    f"the data channel did not open within {self._open_timeout:g} s "
                    f"(connection state: {pc.connectionState})"
                ) from None
            if channel.readyState != "open":  # the event was set by a failure, not by "open"
                raise ConnectionFailedError(f"the connection ended while opening (state: {pc.connectionState})")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._close_started:
            await self._close_done.wait()
            return
        self._close_started = True
        try:
            self._mark_closed("the connection was closed locally", clean=True)
            self._inbox.resume()
            self._reading.set()
            self._track.stop()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop(), self._close_timeout)
        finally:
            self._close_done.set()

    async def _stop(self) -> None:
        if self._pc is not None:
            await self._pc.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    def pause_reading(self) -> None:
        """Hold data-channel messages and stop taking audio frames until :meth:`resume_reading`."""
        self._inbox.pause()
        self._reading.clear()

    def resume_reading(self) -> None:
        """Hand on what was held, in order, and take audio frames again."""
        self._reading.set()
        self._inbox.resume()

    # -- text ---------------------------------------------------------------------------------------
    async def send_text(self, message: str) -> None:
        if self._closed is not None:
            raise ConnectionClosedError(str(self._closed), clean=self._closed.clean)
        if self._channel is None or self._channel.readyState != "open":
            raise TransportError("send_text() before open()")
        while self._channel.bufferedAmount > self._max_buffered:  # backpressure: wait for SCTP to drain it
            self._drained.clear()
            await self._drained.wait()
            if self._closed is not None:
                raise ConnectionClosedError(str(self._closed), clean=self._closed.clean)
        try:
            self._channel.send(message)
        except Exception as exc:  # InvalidStateError when the channel closed under us
            raise ConnectionClosedError(f"the data channel is closed ({type(exc).__name__})") from None

    async def listen(self, on_message: MessageSink) -> None:
        await self._inbox.listen(on_message, self._ended.wait)
        assert self._closed is not None
        raise ConnectionClosedError(str(self._closed), clean=self._closed.clean)

    # -- audio --------------------------------------------------------------------------------------
    async def send_audio(self, pcm16: bytes) -> None:
        """Queue PCM16 mono 24 kHz audio (any chunk size) on the outgoing track."""
        self._queue_track().push(pcm16)

    async def clear_audio(self) -> None:
        """Drop queued outgoing audio that has not been sent yet (barge-in)."""
        self._queue_track().clear()

    def _queue_track(self) -> PcmAudioTrack:
        if self._closed is not None:
            raise ConnectionClosedError(str(self._closed), clean=self._closed.clean)
        if self._user_track is not None:
            raise TransportError("send_audio()/clear_audio() are unavailable: a caller-supplied audio track is used")
        assert isinstance(self._track, PcmAudioTrack)
        return self._track

    # -- callbacks (run on the event loop, never block) ----------------------------------------------
    def _on_message(self, message: str | bytes) -> None:
        error = self._inbox.deliver(message)
        if error is not None:  # listen() raises it
            self._mark_closed(f"the message handler raised {type(error).__name__}", clean=False)

    def _on_channel_close(self) -> None:
        self._mark_closed("the data channel was closed", clean=True)

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState if self._pc is not None else "closed"
        if state == "failed":
            self._mark_closed("the peer connection failed (ICE or DTLS)", clean=False)
        elif state == "closed":
            self._mark_closed("the peer connection was closed", clean=True)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind != "audio" or self._reader is not None:
            return
        self._reader = asyncio.get_running_loop().create_task(
            self._read_audio(track), name="WebRTCTransport.read_audio"
        )

    def _mark_closed(self, why: str, *, clean: bool) -> None:
        if self._closed is not None:
            return
        self._closed = ConnectionClosedError(why, clean=clean)
        self._ended.set()
        self._drained.set()  # release a send_text() waiting for the channel to drain
        self._channel_open.set()  # wake open() if it is still waiting

    # -- the one reader task ------------------------------------------------------------------------
    async def _read_audio(self, track: MediaStreamTrack) -> None:
        converter = Pcm16Converter()
        receiver = self._audio_receiver
        reading = self._reading
        while True:
            if not reading.is_set():
                await reading.wait()
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if receiver is None:
                continue  # keep draining so aiortc's frame queue does not grow
            pcm = converter.convert(frame)
            if not pcm:
                continue
            try:
                result = receiver(pcm)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("audio_receiver raised; the audio chunk is dropped")
