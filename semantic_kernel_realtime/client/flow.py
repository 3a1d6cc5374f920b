"""The receive queue's limit: what waits for the application is bounded, by backpressure, never by dropping.

Rules:
- :class:`ReceiveQueue` is the client's ``receive_buffer``: an ``asyncio.Queue`` that never refuses an event
  (``put_nowait`` always succeeds: the receive path must not lose what it decoded), and counts what it holds:
  events, and the bytes of audio they carry. When either reaches its limit (``max_events``,
  ``max_bytes``), it asks the current connection's transport to stop reading (``pause_reading``: over a
  WebSocket the socket is no longer read, so TCP backpressure reaches the server); once the application
  has taken it down to half of both limits, reading resumes (``resume_reading``). Events already read when
  reading paused are still queued, so the queue may go past its limit by what one read of the socket holds.
- Events the receive path holds back for an ``async`` audio callback (its backlog, in order) count against
  the same limit (:meth:`ReceiveQueue.hold` / :meth:`ReceiveQueue.release`).
- Counting is O(1) per event and allocates nothing: one type test and, for audio, the length of its bytes,
  on put and on get.
- A transport without flow control (no ``pause_reading``) is never paused; a limit of ``None`` is no limit.
- Reading stays paused across connections while the queue is full: a new connection attached to a full
  queue starts paused.
- Both client queues are a :class:`LeanQueue` (a ReceiveQueue is one): an unbounded queue never has
  a waiting putter, so it keeps no putter deque; the send queue's item deque is made by its first put; the
  ``join()`` event (a :class:`LazyEvent`) makes its waiter deque only when something waits. Each deque is
  ~760 bytes: with many sessions per process, memory per session that nothing uses.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime.protocol._build import audio_size

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_EVENTS", "LazyEvent", "LeanQueue", "ReceiveQueue"]

#: Events the receive queue holds before reading pauses.
DEFAULT_MAX_EVENTS = 1000
#: Bytes of audio (PCM) the receive queue holds before reading pauses: about 87 s of PCM16 mono at 24 kHz.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class LazyEvent(asyncio.Event):
    """An ``asyncio.Event`` that makes its waiter deque on the first :meth:`wait` (most are never awaited)."""

    def __init__(self) -> None:  # asyncio.Event's own __init__ makes the deque (3.10's only checks ``loop``)
        self._waiters: Any = ()
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        if type(self._waiters) is tuple:
            self._waiters = deque()
        return await super().wait()


class LeanQueue(asyncio.Queue):
    """An unbounded ``asyncio.Queue`` without the deques it never uses (see the module rules)."""

    def __init__(self) -> None:
        super().__init__()
        # Unbounded: full() is always False, so put() never waits and no putter is ever queued; asyncio only
        # tests this for emptiness and pops from it while it is non-empty.
        self._putters: Any = ()
        self._finished = LazyEvent()
        self._finished.set()

    def _init(self, maxsize: int) -> None:
        self._queue: Any = ()  # made by the first put (audio usually goes out directly, never queued)

    def _put(self, item: Any) -> None:
        queue = self._queue
        if type(queue) is tuple:
            queue = self._queue = deque()
        queue.append(item)


class ReceiveQueue(LeanQueue):
    """An unbounded ``asyncio.Queue`` that pauses the transport feeding it at its limit (see the module rules).

    Args:
        max_events: events held before reading pauses (``None``: no limit).
        max_bytes: bytes of audio held before reading pauses (``None``: no limit).
    """

    def __init__(self, max_events: int | None = DEFAULT_MAX_EVENTS, max_bytes: int | None = DEFAULT_MAX_BYTES
                 ) -> None:
        super().__init__()
        self._events = 0  # queued plus held
        self._bytes = 0
        self._flow: Any = None  # the transport to pause (pause_reading / resume_reading)
        #: True while the transport is paused by this queue.
        self.paused = False
        self.set_limits(max_events, max_bytes)

    def set_limits(self, max_events: int | None, max_bytes: int | None) -> None:
        """Change the limits (they apply from the next event on)."""
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._high_events = max_events if max_events is not None else 1 << 62
        self._high_bytes = max_bytes if max_bytes is not None else 1 << 62
        self._low_events = self._high_events // 2
        self._low_bytes = self._high_bytes // 2

    @property
    def held_bytes(self) -> int:
        """Bytes of audio in the queue (and held for it)."""
        return self._bytes

    @property
    def held_events(self) -> int:
        """Events in the queue (and held for it)."""
        return self._events

    # -- the transport that feeds it --------------------------------------------------------------------

    def attach(self, transport: Any) -> None:
        """Pause ``transport`` at the limit from now on (a transport without ``pause_reading`` is ignored);
        it starts paused when the queue is full already."""
        if getattr(transport, "pause_reading", None) is None:
            return
        self._flow = transport
        if self._events >= self._high_events or self._bytes >= self._high_bytes:
            self.paused = True
            transport.pause_reading()
        else:
            self.paused = False

    def detach(self, transport: Any) -> None:
        """Stop pausing ``transport`` (its connection ended)."""
        if self._flow is transport:
            self._flow = None
            self.paused = False

    # -- what the receive path holds back for the queue ---------------------------------------------------

    def hold(self, event: Any) -> None:
        """Count ``event`` against the limit while it waits outside the queue (it will be put later)."""
        self._count(event)

    def release(self, event: Any) -> None:
        """``event`` no longer waits outside the queue (it was put, or dropped by its owner)."""
        self._uncount(event)

    # -- asyncio.Queue's storage hooks ------------------------------------------------------------------

    def _init(self, maxsize: int) -> None:
        self._queue = deque()  # every session receives: made up front, no test per put

    # _count / _uncount inlined: these run once per received event.
    def _put(self, item: Any) -> None:
        self._queue.append(item)
        events = self._events = self._events + 1
        if type(item) is RealtimeAudioEvent:
            self._bytes += audio_size(item)  # sized again on _get (a length: no per-session deque of sizes)
        if (events >= self._high_events or self._bytes >= self._high_bytes) and not self.paused:
            self._pause()

    def _get(self) -> Any:
        item = self._queue.popleft()
        events = self._events = self._events - 1
        if type(item) is RealtimeAudioEvent:
            self._bytes -= audio_size(item)
        if self.paused and events <= self._low_events and self._bytes <= self._low_bytes:
            self._resume()
        return item

    def _pause(self) -> None:
        flow = self._flow
        if flow is not None:
            self.paused = True
            flow.pause_reading()

    def _resume(self) -> None:
        self.paused = False
        flow = self._flow
        if flow is not None:
            flow.resume_reading()

    def _count(self, item: Any) -> None:
        self._events += 1
        if type(item) is RealtimeAudioEvent:
            self._bytes += audio_size(item)
        if not self.paused and (self._events >= self._high_events or self._bytes >= self._high_bytes):
            self._pause()

    def _uncount(self, item: Any) -> None:
        self._events -= 1
        if type(item) is RealtimeAudioEvent:
            self._bytes -= audio_size(item)
        if self.paused and self._events <= self._low_events and self._bytes <= self._low_bytes:
            self._resume()
