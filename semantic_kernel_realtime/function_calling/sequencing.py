"""When to ask for the next response after tool calls: sans-I/O bookkeeping, so no tool answer is lost.

Used for codecs whose service waits to be asked after tool outputs (``Capabilities.response_after_tool_output``).
Such a service refuses a response request while a response of the conversation is active, and the model
should answer once with every result in view. Rules:

- A calling response's calls are tracked from their completion; outputs are sent as they finish.
- The calls of one response are *ready* when that response is done **and** every output has been sent.
- A result is *answered* by the first conversation response that starts after its output entered the
  conversation (the service confirmed the item). Such a response, whoever asked for it (the user's
  speech, the application, this client), answers every ready result it saw: no request follows for them.
- One request is sent for everything ready and unanswered, and only when no conversation response is
  active (nor one the service told us of: a refusal with ``conversation_already_has_active_response``),
  and none of our requests is outstanding. Otherwise it waits for the active response to end, and asks
  then only if that response did not see the outputs.
- A request carries an id; the response that starts next answers what it covered. If the service refuses
  it because a response is active, what it covered waits again for that response to end; any other
  refusal gives up on it (asking again would fail the same way).
- Out-of-band responses (not in the conversation) neither block a request nor answer a result.
- A calling response that ends ``cancelled`` (barge-in), ``failed`` or ``incomplete`` asks for nothing; its
  still-running calls are returned so the caller can cancel them (policy in docs/function_calling.md).
- Calls answered with a refusal (a per-turn limit) ask for a response that may call no tool.
- When the connection is lost mid-session (:meth:`ResponseSequencer.connection_lost`), its responses are
  over: what a lost calling response or a request that no response started for covered becomes ready
  again, still-running calls wait for their outputs, and nothing is asked until
  :meth:`ResponseSequencer.reconnected` (the next connection has replayed the conversation): then one
  request for everything ready. A request whose response had started is answered, even if the connection
  was lost before that response ended (whether a cut answer is asked again is the session's call: it knows
  whether the answer's words were given, ``client/lifetime.py``).

Every operation is O(1) in the conversation's length (O(calls) of the responses involved).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

STOPPED_STATUSES = frozenset({"cancelled", "failed", "incomplete"})
#: The service's error code for a response request made while another response is active.
ACTIVE_RESPONSE = "conversation_already_has_active_response"

_request_ids = itertools.count(1)


@dataclass
class _Calls:
    """One calling response's calls."""

    calls: list[str] = field(default_factory=list)
    pending: set[str] = field(default_factory=set)  # outputs not sent yet
    ended: bool = False
    refused: bool = False  # some call was refused: the answer must not call tools again


@dataclass(frozen=True)
class Ask:
    """Send one response request now, tagged ``request_id``; ``allow_tools`` False forbids tool calls."""

    request_id: str
    allow_tools: bool = True


@dataclass
class _Request:
    request_id: str
    covered: list[_Calls]
    response_id: str | None = None  # the response that started while it was outstanding


class ResponseSequencer:
    """Tracks calls per response id and the responses of the conversation; says when to ask, and with what."""

    __slots__ = ("_responses", "_ready", "_active", "_blocked", "_in_conversation", "_request", "_held")

    def __init__(self) -> None:
        self._responses: dict[str, _Calls] = {}  # calling response id -> calls, until ready
        self._ready: dict[int, _Calls] = {}  # ready and not yet answered (by id())
        self._active: dict[str, None] = {}  # conversation responses started and not ended (a dict: smaller idle)
        self._blocked = False  # the service said a response is active (one we may not have seen start)
        self._in_conversation: dict[str, None] = {}  # call ids whose output the service added
        self._request: _Request | None = None  # our outstanding request
        self._held = False  # the connection was lost: ask nothing until reconnected()

    # -- calls and outputs -------------------------------------------------------------------------------

    def call_started(self, response_id: str, call_id: str) -> None:
        calls = self._responses.get(response_id)
        if calls is None:
            calls = self._responses[response_id] = _Calls(ended=not response_id)  # no id: nothing to wait for
        calls.calls.append(call_id)
        calls.pending.add(call_id)

    def refused(self, response_id: str) -> None:
        """A call of ``response_id`` was answered with a refusal: the answer must not call tools."""
        calls = self._responses.get(response_id)
        if calls is not None:
            calls.refused = True

    def output_sent(self, response_id: str, call_id: str) -> Ask | None:
        """Record a sent output; an :class:`Ask` when a request should go out now."""
        calls = self._responses.get(response_id)
        if calls is None:
            return None
        calls.pending.discard(call_id)
        return self._settle(response_id, calls)

    def output_added(self, call_id: str) -> None:
        """The service added the output of ``call_id`` to the conversation."""
        self._in_conversation[call_id] = None

    # -- responses --------------------------------------------------------------------------------------

    def response_started(self, response_id: str, in_conversation: bool = True) -> None:
        if not in_conversation:
            return
        self._active[response_id] = None
        request = self._request
        if request is not None and request.response_id is None:
            request.response_id = response_id  # the answer to our request (unless it is refused)
        for key, calls in list(self._ready.items()):
            if self._seen(calls):
                del self._ready[key]
                self._forget(calls)

    def response_done(self, response_id: str, status: str | None) -> tuple[Ask | None, list[str]]:
        """Record a response's end: (a request to send now, call ids still running to cancel)."""
        if response_id in self._active:
            del self._active[response_id]
            self._blocked = False
        elif self._blocked:
            self._blocked = False  # the response we were told of but had not seen start
        request = self._request
        if request is not None and request.response_id == response_id:
            self._request = None  # answered: what it covered was in view of this response
            for calls in request.covered:
                self._forget(calls)
        running: list[str] = []
        calls = self._responses.get(response_id)
        if calls is not None:
            calls.ended = True
            if status in STOPPED_STATUSES:
                running = sorted(calls.pending)
                self._responses.pop(response_id, None)
                self._forget(calls)
            else:
                self._settle(response_id, calls, ask=False)
        return self._next_request(), running

    def request_refused(self, request_id: str | None, code: str | None) -> Ask | None:
        """The service refused a request with an error naming ``request_id``."""
        request = self._request
        if request is None or request_id != request.request_id:
            return None
        self._request = None
        if code == ACTIVE_RESPONSE:
            self._blocked = True
            for calls in request.covered:
                if not self._seen(calls):
                    self._ready[id(calls)] = calls
        else:
            for calls in request.covered:
                self._forget(calls)
        return self._next_request()

    def connection_lost(self) -> None:
        """The connection ended and the session goes on: its responses are over (see the module rules)."""
        self._held = True
        self._active.clear()
        self._blocked = False
        request, self._request = self._request, None
        if request is not None:
            for calls in request.covered:
                if request.response_id is None:
                    self._ready[id(calls)] = calls  # asked, never started: ask again
                else:
                    self._forget(calls)  # a response started with the outputs in view: it answered them
        for response_id, calls in list(self._responses.items()):
            calls.ended = True
            if not calls.pending:
                del self._responses[response_id]
                if calls.calls:
                    self._ready[id(calls)] = calls
        self._in_conversation.clear()  # the next connection's service confirms the replayed outputs again

    def reconnected(self) -> Ask | None:
        """The next connection has replayed the conversation: a request for everything ready, if any."""
        self._held = False
        return self._next_request()

    def is_stopped(self, response_id: str) -> bool:
        """True when ``response_id``'s calls are no longer tracked: it was stopped (its calls are answered)."""
        return response_id not in self._responses

    @property
    def pending_calls(self) -> int:
        return sum(len(c.pending) for c in self._responses.values())

    @property
    def waiting(self) -> int:
        """Ready calls groups waiting for a response that sees them."""
        return len(self._ready) + (len(self._request.covered) if self._request is not None else 0)

    # -- internals --------------------------------------------------------------------------------------

    def _settle(self, response_id: str, calls: _Calls, ask: bool = True) -> Ask | None:
        if calls.pending or not calls.ended:
            return None
        self._responses.pop(response_id, None)
        if calls.calls:
            self._ready[id(calls)] = calls
        return self._next_request() if ask else None

    def _next_request(self) -> Ask | None:
        if not self._ready or self._request is not None or self._active or self._blocked or self._held:
            return None
        covered = list(self._ready.values())
        self._ready.clear()
        self._request = _Request(f"event_skr_next_{next(_request_ids)}", covered)
        return Ask(self._request.request_id, allow_tools=not any(calls.refused for calls in covered))

    def _seen(self, calls: _Calls) -> bool:
        return all(call_id in self._in_conversation for call_id in calls.calls)

    def _forget(self, calls: _Calls) -> None:
        for call_id in calls.calls:
            self._in_conversation.pop(call_id, None)
