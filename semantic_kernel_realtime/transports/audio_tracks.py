"""Audio between PCM16 24 kHz mono bytes (what the realtime API speaks) and WebRTC media frames.

Rules:
- Outgoing: :class:`PcmAudioTrack` is a ``MediaStreamTrack`` fed with PCM16 mono 24 kHz bytes of any
  chunk size. It hands aiortc one 20 ms frame (960 samples, s16 mono, 48 kHz, the Opus rate) per call
  to ``recv()``, paced against the event loop's monotonic clock with a single ``asyncio.sleep`` until
  the next frame is due; pts count samples from 0 and only grow. Nothing queued means silence.
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
FRAME_SAMPLES = int(TRACK_SAMPLE_RATE * FRAME_DURATION)  # 960
_BYTES_PER_SAMPLE = 2
_FRAME_BYTES = FRAME_SAMPLES * _BYTES_PER_SAMPLE
_TIME_BASE = fractions.Fraction(1, TRACK_SAMPLE_RATE)
_SILENCE = bytes(_FRAME_BYTES)
#: When the loop falls further behind than this, the clock is re-anchored instead of bursting frames.
_MAX_LAG = 0.1
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

    def __init__(self, *, max_buffer_seconds: float | None = None) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._read = 0  # bytes of _buffer already sent
        self._odd_byte = b""  # half a sample left over from the previous push
        self._resampler = self._new_resampler()
        self._max_bytes = (
            None if max_buffer_seconds is None else int(max_buffer_seconds * TRACK_SAMPLE_RATE) * _BYTES_PER_SAMPLE
        )
        self._start: float | None = None
        self._pts = 0
        self.frames_sent = 0
        self.audio_frames_sent = 0  # frames that carried queued audio rather than pure silence

    @staticmethod
    def _new_resampler() -> av.AudioResampler:
        return av.AudioResampler(format="s16", layout="mono", rate=TRACK_SAMPLE_RATE)

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
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        frame.sample_rate = API_SAMPLE_RATE
        frame.planes[0].update(pcm16)
        self._buffer += _resample_to_bytes(self._resampler, frame)
        if self._max_bytes is not None:
            excess = len(self._buffer) - self._read - self._max_bytes
            if excess > 0:
                self._read += excess - excess % _BYTES_PER_SAMPLE

    def clear(self) -> None:
        """Drop all queued, not yet sent audio (the resampler's filter state too)."""
        self._buffer = bytearray()
        self._read = 0
        self._odd_byte = b""
        self._resampler = self._new_resampler()

    @property
    def buffered_seconds(self) -> float:
        """Seconds of queued audio not yet handed to the encoder."""
        return (len(self._buffer) - self._read) / (_BYTES_PER_SAMPLE * TRACK_SAMPLE_RATE)

    # -- MediaStreamTrack ---------------------------------------------------------------------------
    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
            self._pts = 0
        else:
            self._pts += FRAME_SAMPLES
            delay = self._start + self._pts / TRACK_SAMPLE_RATE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                if self.readyState != "live":
                    raise MediaStreamError
            elif delay < -_MAX_LAG:
                # The loop stalled: re-anchor so we do not burst a backlog of frames at the peer.
                self._start -= delay
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(self._take_frame_bytes())
        frame.sample_rate = TRACK_SAMPLE_RATE
        frame.time_base = _TIME_BASE
        frame.pts = self._pts
        self.frames_sent += 1
        return frame

    def _take_frame_bytes(self) -> bytes:
        available = len(self._buffer) - self._read
        if available <= 0:
            return _SILENCE
        self.audio_frames_sent += 1
        start = self._read
        if available >= _FRAME_BYTES:
            chunk = bytes(self._buffer[start : start + _FRAME_BYTES])
            self._read += _FRAME_BYTES
        else:  # the tail of an utterance: pad with silence, the clock does not wait
            chunk = bytes(self._buffer[start:]) + bytes(_FRAME_BYTES - available)
            self._read = len(self._buffer)
        if self._read >= _COMPACT_AT or self._read == len(self._buffer):
            del self._buffer[: self._read]
            self._read = 0
        return chunk


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
