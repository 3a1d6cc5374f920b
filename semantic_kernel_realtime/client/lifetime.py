"""How long a connection may live, and when it is quiet enough to be replaced: the recycling clock.

Rules:
- A :class:`Lifetime` observes one connection's signals (:attr:`Lifetime.SIGNALS`): the service's own
  word on its duration cap (:class:`SessionExpiring`: the session's ``expires_at`` (OpenAI),
  Gemini's ``goAway``), and what makes a moment busy: a response running (``ResponseStarted`` until its
  ``ResponseEnded``/``ResponseInterrupted``) or the user speaking (``SpeechStarted`` until
  ``SpeechStopped``).
- :attr:`Lifetime.deadline` is the loop time at which the connection should be replaced: ``margin``
  seconds before the cap (``None``: the service named no cap). ``expires_at`` is on the service's clock
  (seconds since the epoch) and is read against this machine's; ``time_left`` counts from when it
  arrived.
- :attr:`Lifetime.quiet` is set whenever no response runs and nobody speaks: the supervisor waits for the
  deadline, then for quiet, and recycles then (so between turns, never mid-response).
- :attr:`Lifetime.response_cut`: a response of the conversation was running or asked for (an out-of-band
  response is not counted) and had not yet given the assistant's final words (:class:`ItemText`); when the
  connection ends then, the next one asks for it again. A response whose words were all given and whose
  end alone was lost is not asked again: the replayed conversation already holds its answer.
- :attr:`Lifetime.confirmed`: the service confirmed the session (``SessionConfigured``); a connection that
  dies before that counts as a failed reconnect attempt.
- Each signal costs O(1); the clock never polls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from semantic_kernel_realtime.client.flow import LazyEvent
from semantic_kernel_realtime.protocol.base import (
    ItemText,
    ResponseEnded,
    ResponseInterrupted,
    ResponseStarted,
    SessionConfigured,
    SessionExpiring,
    Signal,
    SpeechStarted,
    SpeechStopped,
)

__all__ = ["Lifetime"]


class Lifetime:
    """One connection's cap and quiet moments (see the module rules)."""

    SIGNALS = frozenset({SessionExpiring, ResponseStarted, ResponseEnded, ResponseInterrupted, SpeechStarted,
                         SpeechStopped, SessionConfigured, ItemText})

    __slots__ = ("margin", "deadline", "expired", "confirmed", "requested", "quiet", "_responses", "_speaking",
                 "_answered", "_clock", "_changed")

    def __init__(self, margin: float, clock: Callable[[], float] | None = None) -> None:
        self.margin = margin
        #: Loop time at which to recycle (``None``: no cap known).
        self.deadline: float | None = None
        #: True once the service said the session ended at its cap (the close that follows is planned).
        self.expired = False
        #: True once the service confirmed the session's configuration (the connection is established).
        self.confirmed = False
        #: True from a response request sent until a response starts (the connection sets it).
        self.requested = False
        #: Set while no response runs and nobody speaks.
        self.quiet = LazyEvent()
        self.quiet.set()
        self._responses: dict[str | None, None] = {}
        self._speaking = False
        #: True once the running responses gave the assistant's final words (their end alone may be lost).
        self._answered = False
        self._clock = clock or asyncio.get_running_loop().time
        #: Set when the deadline changes (the supervisor re-arms its timer).
        self._changed = LazyEvent()

    @property
    def changed(self) -> asyncio.Event:
        """Set when :attr:`deadline` changes (cleared by the waiter)."""
        return self._changed

    def observe(self, signal: Signal) -> None:
        handler = _HANDLERS.get(type(signal))
        if handler is not None:
            handler(self, signal)

    def _expiring(self, signal: SessionExpiring) -> None:
        if signal.expired:
            self.expired = True
            return
        now = self._clock()
        if signal.expires_at is not None:
            deadline = now + (signal.expires_at - time.time()) - self.margin
        elif signal.time_left is not None:
            deadline = now + signal.time_left - self.margin
        else:
            return
        if self.deadline is None or deadline < self.deadline:
            self.deadline = deadline
            self._changed.set()

    def _configured(self, signal: SessionConfigured) -> None:
        self.confirmed = True

    def _started(self, signal: ResponseStarted) -> None:
        self.requested = False
        self._answered = False
        if signal.in_conversation:
            self._responses[signal.response_id] = None
            self.quiet.clear()

    @property
    def response_cut(self) -> bool:
        """True when a response of the conversation was running, or asked for and not started yet."""
        return self.requested or (bool(self._responses) and not self._answered)

    def _item_text(self, signal: ItemText) -> None:
        if signal.role == "assistant" and self._responses:
            self._answered = True

    def _ended(self, signal: Any) -> None:
        self._responses.pop(signal.response_id, None)
        if signal.response_id is None:
            self._responses.clear()
        self._settle()

    def _speech_started(self, signal: SpeechStarted) -> None:
        self._speaking = True
        self.quiet.clear()

    def _speech_stopped(self, signal: SpeechStopped) -> None:
        self._speaking = False
        self._settle()

    def _settle(self) -> None:
        if not self._responses and not self._speaking:
            self.quiet.set()


_HANDLERS: dict[type, Callable[[Lifetime, Any], None]] = {
    SessionExpiring: Lifetime._expiring, ResponseStarted: Lifetime._started, ResponseEnded: Lifetime._ended,
    ResponseInterrupted: Lifetime._ended, SpeechStarted: Lifetime._speech_started,
    SpeechStopped: Lifetime._speech_stopped, SessionConfigured: Lifetime._configured, ItemText: Lifetime._item_text,
}
