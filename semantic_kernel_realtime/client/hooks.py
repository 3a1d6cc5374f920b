"""Session hooks: what attaches to every session of a client (telemetry, recording), through one small interface.

Rules:
- ``client.attach(hooks)`` adds a :class:`SessionHooks` to the client and ``client.detach(hooks)`` removes it;
  either takes effect at the next ``create_session()`` (a session reads the hooks when it starts).
- Every method is called on the event loop, synchronously, and must only record or schedule: never block,
  never await. The base class's methods do nothing; a hook overrides what it needs. A per-event method that
  raises does not end the session: an ``ObserverErrorEvent`` naming the hook and the cause is queued.
- A hook declares what it wants, read once per connection, so what no hook wants costs nothing on the hot
  paths: ``signal_types`` (signal classes for :meth:`~SessionHooks.signal`), ``event_types`` (received
  event types for :meth:`~SessionHooks.received`; ``None``: every event), ``wants_sent``
  (:meth:`~SessionHooks.sent`) and ``wants_messages`` (:meth:`~SessionHooks.message_received`).
- Order for one session: :meth:`~SessionHooks.started` (before connecting), :meth:`~SessionHooks.opened`
  for each connection (its transport open, its opening messages not yet sent), then the per-event
  methods, and :meth:`~SessionHooks.ended` exactly once (the session ended, or failed to open).
- Received: :meth:`~SessionHooks.message_received` gets each raw message before it is decoded;
  :meth:`~SessionHooks.signal` each signal after function calling and the history mirror reacted;
  :meth:`~SessionHooks.received` each event after the signals and before the application's observers.
- Sent: :meth:`~SessionHooks.sent` ``(event, message)`` once the transport took it: ``event`` is the SK
  event (``None`` for an opening message), ``message`` the wire text (``None`` for audio sent as media).
- :meth:`~SessionHooks.call_scope` wraps the run of one kernel function call, inside the call's own task:
  telemetry makes its tool span current there, so Semantic Kernel's function span becomes its child
  (the receive path, where calls are scheduled, runs in the transport's read callback: the context
  there is not the call's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semantic_kernel.contents.function_call_content import FunctionCallContent
    from semantic_kernel.contents.realtime_events import RealtimeEvents

    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.client.connection import Connection
    from semantic_kernel_realtime.events import SessionEndedEvent
    from semantic_kernel_realtime.protocol.base import Signal

__all__ = ["SessionHooks", "call_scopes"]


class SessionHooks:
    """Base of what attaches to a client's sessions; every method does nothing (see the module rules)."""

    #: The signal classes :meth:`signal` is called for.
    signal_types: frozenset[type] = frozenset()
    #: The received event types :meth:`received` is called for (current names); ``None``: every event.
    event_types: frozenset[str] | None = frozenset()
    #: True to have :meth:`sent` called for everything sent.
    wants_sent: bool = False
    #: True to have :meth:`message_received` called with each raw received message.
    wants_messages: bool = False

    def started(self, client: RealtimeClientBase) -> None:
        """A session of ``client`` starts (nothing is connected yet)."""

    def opened(self, connection: Connection) -> None:
        """A connection of the session opened (a second one in the same session is a reconnect)."""

    def message_received(self, message: str | bytes) -> None:
        """A raw message arrived, before it is decoded (``wants_messages``)."""

    def received(self, event: RealtimeEvents) -> None:
        """An event of the wanted ``event_types`` was received, before it is queued."""

    def signal(self, signal: Signal) -> None:
        """A signal of the wanted ``signal_types`` was derived from a received event."""

    def sent(self, event: RealtimeEvents | None, message: str | None) -> None:
        """Something was sent (``wants_sent``): the event (``None``: an opening message) and its wire text
        (``None``: audio sent as media)."""

    def call_scope(self, call: FunctionCallContent) -> AbstractContextManager[Any] | None:
        """A context the kernel function for ``call`` runs in (``None``: none)."""
        return None

    def ended(self, ended: SessionEndedEvent | None) -> None:
        """The session ended: why (``None``: the client closed it)."""


def call_scopes(hooks: tuple[SessionHooks, ...]) -> Callable[[FunctionCallContent], AbstractContextManager[Any]] | None:
    """One ``call_scope`` for function calling that enters every hook's scope (``None`` when no hook has one)."""
    wanting = tuple(hook for hook in hooks if type(hook).call_scope is not SessionHooks.call_scope)
    if not wanting:
        return None

    @contextmanager
    def scope(call: FunctionCallContent) -> Iterator[None]:
        with ExitStack() as stack:
            for hook in wanting:
                entered = hook.call_scope(call)
                if entered is not None:
                    stack.enter_context(entered)
            yield

    return scope
