"""Audio between PCM16 24 kHz mono bytes (what the realtime API speaks) and WebRTC media frames.

Rules:
- Outgoing: :class:`PcmAudioTrack` is a ``MediaStreamTrack`` fed with PCM16 mono 24 kHz bytes of any
  chunk size. It hands aiortc one 20 ms frame (s16 mono, 48 kHz by default, the Opus rate) per call
  to ``recv()``, paced against the event loop's monotonic clock; pts count samples from 0 and only grow.
  Frame n is due at ``start + n * 20 ms``; a frame is sent at its due time with whatever is queued
  (silence when nothing is), or as soon as a full frame is queued if that is at most one frame before
  its due time. So audio pushed live goes out on the push, without waiting for the next tick or a timer
  wake-up of its own, and a burst still leaves one frame per 20 ms. ``recv()`` waits on one future that
  ``push()`` or a loop timer resolves; nothing polls.
- :class:`OpusAudioTrack` (what the WebRTC transport sends by default) is the same track at 24 kHz that
  encodes each frame to Opus itself and hands aiortc the packet. aiortc then only packs it: no resampling
  to 48 kHz stereo, no thread-pool hop per frame for its encoder, and no pure-Python audio-level loop
  over every sample (aiortc computes that for frames only). It needs Opus to be the negotiated codec.
- Resampling is libswresample via ``av.AudioResampler`` (a proper low-pass filter, state kept across
  chunks; about 20 µs per 20 ms frame each way, measured). It happens once, when audio is queued or
  received, never on a timer.
- Incoming: :class:`Pcm16Converter` turns decoded frames of any rate/layout (aiortc's Opus decoder
  gives 48 kHz stereo s16) into PCM16 mono 24 kHz bytes.
- No asyncio task is created here; the peer connection's sender task drives ``recv()``.
"""

from __future__ import annotations

import asyncio
import fractions

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

#: The rate, sample width and channel count of audio at the API boundary.
API_SAMPLE_RATE = 24_000
#: The Opus clock rate the outgoing track produces frames at.
TRACK_SAMPLE_RATE = 48_000
FRAME_DURATION = 0.020
_BYTES_PER_SAMPLE = 2
#: Opus settings of :class:`OpusAudioTrack`: mono speech at 24 kHz. "audio" (CELT) costs ~60 µs per
#: 20 ms frame here, a third of aiortc's 48 kHz stereo "voip" encoder (measured with PyAV's libopus).
OPUS_BIT_RATE = 32_000
OPUS_OPTIONS = {"application": "audio", "compression_level": "5"}
#: When the loop falls further behind than this, the clock is re-anchored instead of bursting frames.
_MAX_LAG = 0.1
#: A full frame may leave this long before it is due (one frame: the peer's jitter buffer absorbs it).
_EARLY = FRAME_DURATION
#: Consumed bytes at the head of the buffer are dropped once there are this many.
_COMPACT_AT = 64 * 1024


def _resample_to_bytes(resampler: av.AudioResampler, frame: av.AudioFrame) -> bytes:
    out = resampler.resample(frame)
    if not out:
        return b""
    if len(out) == 1:
        return out[0].to_ndarray().tobytes()
    return b"".join(f.to_ndarray().tobytes() for f in out)


class PcmAudioTrack(MediaStreamTrack):
    """Outgoing audio track fed with PCM16 mono 24 kHz bytes; emits timed 20 ms 48 kHz frames.

    ``push()`` queues audio (any chunk size, even an odd number of bytes), ``clear()`` drops whatever
    has not been sent yet (barge-in), ``buffered_seconds`` tells how much is still queued.
    ``max_buffer_seconds`` bounds the queue: older audio is dropped when it is exceeded (``None``: no bound).
    """

    kind = "audio"

    def __init__(self, *, max_buffer_seconds: float | None = None, sample_rate: int = TRACK_SAMPLE_RATE) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self._frame_samples = int(sample_rate * FRAME_DURATION)
        self._frame_bytes = self._frame_samples * _BYTES_PER_SAMPLE
        self._silence = bytes(self._frame_bytes)
        self._time_base = fractions.Fraction(1, sample_rate)
        self._buffer = bytearray()
        self._read = 0  # bytes of _buffer already sent
        self._odd_byte = b""  # half a sample left over from the previous push
        self._resampler = self._new_resampler()
        self._max_bytes = (
            None if max_buffer_seconds is None else int(max_buffer_seconds * sample_rate) * _BYTES_PER_SAMPLE
        )
        self._start: float | None = None
        self._pts = 0
        self._waiter: asyncio.Future[None] | None = None  # resolved by push() or by the due-time timer
        self.frames_sent = 0
        self.audio_frames_sent = 0  # frames that carried queued audio rather than pure silence

    def _new_resampler(self) -> av.AudioResampler | None:
        if self.sample_rate == API_SAMPLE_RATE:
            return None  # the API's own rate: queued bytes go out as they are
        return av.AudioResampler(format="s16", layout="mono", rate=self.sample_rate)

    # -- feeding ------------------------------------------------------------------------------------
    def push(self, pcm16: bytes) -> None:
        """Queue PCM16 little-endian mono 24 kHz audio for sending."""
        if self._odd_byte:
            pcm16 = self._odd_byte + pcm16
            self._odd_byte = b""
        if len(pcm16) % 2:
            self._odd_byte = pcm16[-1:]
            pcm16 = pcm16[:-1]
        samples = len(pcm16) // _BYTES_PER_SAMPLE
        if not samples:
            return
        if self._resampler is None:
            self._buffer += pcm16
        else:
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            frame.sample_rate = API_SAMPLE_RATE
            frame.planes[0].update(pcm16)
            self._buffer += _resample_to_bytes(self._resampler, frame)
        if self._max_bytes is not None:
            excess = len(self._buffer) - self._read - self._max_bytes
            if excess > 0:
                self._read += excess - excess % _BYTES_PER_SAMPLE
        if self._waiter is not None and self._has_frame():
            _wake(self._waiter)

    def clear(self) -> None:
        """Drop all queued, not yet sent audio (the resampler's filter state too)."""
        self._buffer = bytearray()
        self._read = 0
        self._odd_byte = b""
        self._resampler = self._new_resampler()

    @property
    def buffered_seconds(self) -> float:
        """Seconds of queued audio not yet handed to the encoder."""
        return (len(self._buffer) - self._read) / (_BYTES_PER_SAMPLE * self.sample_rate)

    # -- MediaStreamTrack ---------------------------------------------------------------------------
    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
            self._pts = 0
        else:
            self._pts += self._frame_samples
            await self._until_sendable(loop, self._start + self._pts / self.sample_rate)
        frame = av.AudioFrame(format="s16", layout="mono", samples=self._frame_samples)
        frame.planes[0].update(self._take_frame_bytes())
        frame.sample_rate = self.sample_rate
        frame.time_base = self._time_base
        frame.pts = self._pts
        self.frames_sent += 1
        return frame

    def stop(self) -> None:
        super().stop()
        if self._waiter is not None:
            _wake(self._waiter)

    def _has_frame(self) -> bool:
        return len(self._buffer) - self._read >= self._frame_bytes

    async def _until_sendable(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        while True:
            now = loop.time()
            if now >= due:
                if now - due > _MAX_LAG:  # the loop stalled: re-anchor rather than burst a backlog at the peer
                    self._start += now - due  # type: ignore[operator]
                return
            full = self._has_frame()
            if full and now >= due - _EARLY:
                return
            waiter = self._waiter = loop.create_future()
            timer = loop.call_at(due - _EARLY if full else due, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            if self.readyState != "live":
                raise MediaStreamError

    def _take_frame_bytes(self) -> bytes:
        available = len(self._buffer) - self._read
        frame_bytes = self._frame_bytes
        if available <= 0:
            return self._silence
        self.audio_frames_sent += 1
        start = self._read
        if available >= frame_bytes:
            chunk = bytes(self._buffer[start : start + frame_bytes])
            self._read += frame_bytes
        else:  # the tail of an utterance: pad with silence, the clock does not wait
            chunk = bytes(self._buffer[start:]) + bytes(frame_bytes - available)
            self._read = len(self._buffer)
        if self._read >= _COMPACT_AT or self._read == len(self._buffer):
            del self._buffer[: self._read]
            self._read = 0
        return chunk


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class OpusAudioTrack(PcmAudioTrack):
    """A :class:`PcmAudioTrack` at 24 kHz whose ``recv()`` returns Opus packets it encoded itself.

    Encoding inline (~60 µs per 20 ms frame) costs less than the thread-pool round trip aiortc makes for
    every frame it encodes. The peer connection must send Opus (the WebRTC transport offers only Opus
    when it uses this track).
    """

    def __init__(self, *, max_buffer_seconds: float | None = None, bit_rate: int = OPUS_BIT_RATE) -> None:
        super().__init__(max_buffer_seconds=max_buffer_seconds, sample_rate=API_SAMPLE_RATE)
        encoder = av.CodecContext.create("libopus", "w")
        encoder.bit_rate = bit_rate
        encoder.format = "s16"
        encoder.layout = "mono"
        encoder.sample_rate = API_SAMPLE_RATE
        encoder.time_base = self._time_base
        encoder.options = dict(OPUS_OPTIONS)
        self._encoder = encoder

    async def recv(self) -> av.Packet:  # type: ignore[override]
        while True:
            frame = await super().recv()
            packets = self._encoder.encode(frame)
            if packets:  # exactly one: our frames are libopus's frame size (20 ms); tested
                packet = packets[0]
                packet.pts = frame.pts  # our sample clock, not the encoder's (offset by its lookahead)
                packet.time_base = self._time_base
                return packet


class Pcm16Converter:
    """Converts decoded audio frames (any rate, layout, sample format) to PCM16 mono 24 kHz bytes."""

    def __init__(self, rate: int = API_SAMPLE_RATE) -> None:
        self._rate = rate
        self._resampler: av.AudioResampler | None = None
        self._input_key: tuple[str, str, int] | None = None

    def convert(self, frame: av.AudioFrame) -> bytes:
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key != self._input_key:  # first frame, or the decoder changed format: start a fresh filter
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self._rate)
            self._input_key = key
        frame.pts = None  # packet loss makes gaps in pts; the stream of samples is what we want
        assert self._resampler is not None
        return _resample_to_bytes(self._resampler, frame)
