"""When to ask for the next response after tool calls: sans-I/O bookkeeping per response.

Used for codecs whose service waits to be asked after tool outputs (``Capabilities.response_after_tool_output``).
Rules (such a service refuses a response request while a response is active, and the model should
answer once with every result in view):
- A response's calls are tracked from their completion; outputs are sent as they finish.
- Exactly one response request follows, when the response is done **and** every output of its calls
  has been sent (whichever happens last). A response without calls asks for nothing.
- A response that ends ``cancelled`` (barge-in), ``failed`` or ``incomplete`` asks for nothing; its
  still-running calls are returned so the caller can cancel them (policy in docs/function_calling.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STOPPED_STATUSES = frozenset({"cancelled", "failed", "incomplete"})


@dataclass
class _Response:
    pending: set[str] = field(default_factory=set)
    had_calls: bool = False
    ended: bool = False
    stopped: bool = False
    asked: bool = False


class ResponseSequencer:
    """Tracks calls per response id; tells when to ask for the next response."""

    def __init__(self) -> None:
        self._responses: dict[str, _Response] = {}

    def call_started(self, response_id: str, call_id: str) -> None:
        response = self._responses.setdefault(response_id, _Response())
        response.pending.add(call_id)
        response.had_calls = True

    def output_sent(self, response_id: str, call_id: str) -> bool:
        """Record a sent output; True when this was the last thing a finished response waited for."""
        response = self._responses.get(response_id)
        if response is None:
            return False
        response.pending.discard(call_id)
        return self._ready(response_id, response)

    def response_done(self, response_id: str, status: str | None) -> tuple[bool, list[str]]:
        """Record a response's end: (ask for the next response now?, call ids still running to cancel)."""
        response = self._responses.get(response_id)
        if response is None:
            return False, []
        response.ended = True
        if status in STOPPED_STATUSES:
            response.stopped = True
            running = sorted(response.pending)
            self._responses.pop(response_id, None)
            return False, running
        return self._ready(response_id, response), []

    def is_stopped(self, response_id: str) -> bool:
        response = self._responses.get(response_id)
        return response is None or response.stopped

    @property
    def pending_calls(self) -> int:
        return sum(len(r.pending) for r in self._responses.values())

    def _ready(self, response_id: str, response: _Response) -> bool:
        waiting = response.pending or not response.ended
        if not waiting and response.had_calls and not response.asked and not response.stopped:
            response.asked = True
            self._responses.pop(response_id, None)
            return True
        return False
