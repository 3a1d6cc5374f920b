"""RealtimeClientBase: a realtime session as a Semantic Kernel service with a send and a receive queue.

Rules:
- ``send_buffer`` holds SK events to send; ``start_sending()`` drains it to the transport (encoding with
  the protocol layer). ``receive_buffer`` holds SK events decoded by ``start_listening()``. ``send()`` and
  ``receive()`` are thin conveniences over the two queues.
- Events put on the send queue before a session is open stay there and go out once it opens, after
  the ``session.update`` and the seeded history.
- One supervisor task per session runs both loops. When either ends (service close, network error,
  ``close_session()``), the other is stopped, the transport closed, and the receive queue gets, in
  order: a :class:`SessionEndedEvent` saying why (unless the user closed), then the end marker. Every
  ``receive()`` consumer then stops; the marker stays so later consumers stop too.
- An event that cannot be encoded gives a :class:`SendFailedEvent` on the receive queue; the session
  goes on. ``start_listening()`` hands the transport an :class:`~.inbound.Inbound` as its sink: events
  are decoded and queued in the transport's receive path (no task hop), output audio reaching
  ``audio_output_callback`` (numpy int16) before its event is queued.
- Nothing on the hot path sleeps or polls; observers (function calling) are synchronous and must
  only schedule work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable
from typing import Any, ClassVar

import numpy as np
import orjson
from pydantic import Field, PrivateAttr
from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.function_calling_utils import prepare_settings_for_function_calling
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.connectors.ai.realtime_client_base import RealtimeClientBase as SKRealtimeClientBase
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeEvents
from semantic_kernel.contents.streaming_chat_message_content import StreamingChatMessageContent
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.client import onramp
from semantic_kernel_realtime.client.events import SendFailedEvent, SessionEndedEvent
from semantic_kernel_realtime.client.inbound import EventObserver, Inbound, Subscription
from semantic_kernel_realtime.function_calling.auto_invoke import AutoFunctionCalling
from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol import (
    Decoder,
    EncodeError,
    RealtimeExecutionSettings,
    as_realtime_settings,
    audio_bytes,
    encode_event,
    item_create,
    session_update_event,
    update_settings_from_function_choice,
)
from semantic_kernel_realtime.protocol.history import history_items
from semantic_kernel_realtime.transports.base import Transport
from semantic_kernel_realtime.transports.errors import ConnectionClosedError, TransportError

logger = logging.getLogger("semantic_kernel_realtime.client")

AudioCallback = Callable[[np.ndarray], Coroutine[Any, Any, None] | None]


class _End:
    """The end-of-session marker on the receive queue."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<end of session>"


END = _End()


class RealtimeClientBase(ChatCompletionClientBase, SKRealtimeClientBase):
    """Base of every realtime connector: queues, loops, supervisor and session lifecycle.

    Subclasses provide ``_create_transport()`` (and may override ``_on_session_start``). Use it as SK's
    realtime clients: ``async with client(settings=..., chat_history=..., kernel=...):`` then ``send()``
    and ``async for event in client.receive()``, or call ``create_session()`` / ``close_session()``.
    """

    SUPPORTS_FUNCTION_CALLING: ClassVar[bool] = True

    send_buffer: asyncio.Queue = Field(default_factory=asyncio.Queue, exclude=True)
    receive_buffer: asyncio.Queue = Field(default_factory=asyncio.Queue, exclude=True)
    close_timeout: float = Field(default=2.0, description="Seconds close_session() waits to flush and close.")
    function_timeout: float | None = Field(default=30.0, description="Seconds a kernel function may run.")

    _transport: Transport | None = PrivateAttr(default=None)
    _decoder: Decoder | None = PrivateAttr(default=None)
    _inbound: Inbound | None = PrivateAttr(default=None)
    _opening_session: dict[str, Any] | None = PrivateAttr(default=None)
    _supervisor: asyncio.Task | None = PrivateAttr(default=None)
    _closing: bool = PrivateAttr(default=False)
    _observers: list[Subscription] = PrivateAttr(default_factory=lambda: [])
    _session_settings: RealtimeExecutionSettings | None = PrivateAttr(default=None)
    _unsent: RealtimeEvents | None = PrivateAttr(default=None)
    _session_observers: list[Subscription] = PrivateAttr(default_factory=lambda: [])
    _functions: AutoFunctionCalling | None = PrivateAttr(default=None)
    _history: LiveChatHistory | None = PrivateAttr(default=None)

    # -- to implement ------------------------------------------------------------------------------

    @abstractmethod
    async def _create_transport(self) -> Transport:
        """A new, unopened transport for one session (credentials fetched here, per connect)."""

    # -- public API ----------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while a session runs."""
        return self._supervisor is not None and not self._supervisor.done()

    @property
    def transport(self) -> Transport | None:
        return self._transport

    @property
    def decoder(self) -> Decoder | None:
        """The session's decoder (its ``state`` remembers calls, items and audio per item)."""
        return self._decoder

    @property
    def kernel(self) -> Kernel | None:
        return self._kernel

    @property
    def opening_session(self) -> dict[str, Any] | None:
        """The GA session object of the ``session.update`` the current session opens with.

        ``None`` when it opens with the service's defaults. Set before ``_create_transport()`` runs, so a
        connector can carry the same config elsewhere (WebRTC mints its client secret with it).
        """
        return self._opening_session

    @property
    def session_settings(self) -> RealtimeExecutionSettings | None:
        """The settings last sent in a ``session.update`` (tools filled in from the kernel)."""
        return self._session_settings

    @property
    def chat_history(self) -> ChatHistory:
        """The live conversation so far as a ``ChatHistory`` (roles kept, ``item_id`` in metadata)."""
        return self._history.chat_history if self._history is not None else ChatHistory()

    @property
    def function_calling(self) -> AutoFunctionCalling | None:
        """The session's auto function calling (present when the session has a kernel)."""
        return self._functions

    def add_observer(self, observer: EventObserver, event_types: Iterable[str] | None = None) -> None:
        """Call ``observer(event)`` for each received event before it is queued (must not block).

        ``event_types``: only events of these GA types (beta names map to them); default: every event.
        """
        self._observers.append((frozenset(event_types) if event_types is not None else None, observer))
        if self._inbound is not None:
            self._inbound.subscribe([*self._session_observers, *self._observers])

    def put_received(self, event: RealtimeEvents) -> None:
        """Receive an event that came outside the JSON stream (WebRTC track audio).

        It takes the same path as decoded events, in order with them: audio callback, observers, queue.
        """
        if self._inbound is None:
            self.receive_buffer.put_nowait(event)
        else:
            self._inbound.event(event)

    async def send(self, event: RealtimeEvents, **kwargs: Any) -> None:
        """Put ``event`` on the send queue."""
        self.send_buffer.put_nowait(event)

    async def receive(  # type: ignore[override]
        self, audio_output_callback: AudioCallback | None = None, **kwargs: Any
    ) -> AsyncGenerator[RealtimeEvents, None]:
        """Yield received events until the session ends (the iteration then stops)."""
        if audio_output_callback is not None:
            self.audio_output_callback = audio_output_callback
        get = self.receive_buffer.get
        while True:
            event = await get()
            if event is END:
                self.receive_buffer.put_nowait(END)  # release the next consumer too
                return
            yield event

    async def create_session(
        self,
        chat_history: ChatHistory | None = None,
        settings: PromptExecutionSettings | None = None,
        **kwargs: Any,
    ) -> None:
        """Connect, send the session config and history, and start the supervised loops.

        Raises the transport's typed errors (``AuthenticationError``, ``ConnectionFailedError``).
        """
        if self.is_open:
            raise RuntimeError("a realtime session is already open on this client; close it first")
        kwargs = {**(self._create_kwargs or {}), **kwargs}
        self._apply_kwargs(kwargs)
        settings = settings if settings is not None else self._settings
        chat_history = chat_history if chat_history is not None else self._chat_history
        self._drain_end_markers()
        # Encode what opens the session before connecting: bad settings fail fast, without a connection.
        first = [self._session_update(settings)] if settings is not None or self._kernel is not None else []
        self._opening_session = first[0]["session"] if first else None
        first += [item_create(item) for item in history_items(chat_history, self._session_settings)]
        self._decoder = decoder = Decoder()
        self._inbound = Inbound(decoder.decode_message, self.receive_buffer.put_nowait,
                                lambda: self.audio_output_callback)
        transport = await self._create_transport()
        await transport.open()
        self._transport = transport
        self._closing = False
        try:
            for event in first:
                await transport.send_text(orjson.dumps(event).decode())
            if self._unsent is not None:
                await self._send_one(transport, self._unsent)
                self._unsent = None
        except BaseException:
            await transport.close()
            raise
        await self._on_session_start()
        self._supervisor = asyncio.create_task(self._supervise(transport), name=f"{type(self).__name__}.supervisor")

    async def update_session(
        self,
        chat_history: ChatHistory | None = None,
        settings: PromptExecutionSettings | None = None,
        create_response: bool = False,
        **kwargs: Any,
    ) -> None:
        """Send a new session config (tools recomputed from the kernel) and/or more history, in queue order."""
        self._apply_kwargs(kwargs)
        if settings is not None or "kernel" in kwargs or "plugins" in kwargs:
            await self.send(RealtimeEvent(service_type="session.update",
                                          service_event=self._session_update(settings)))
        for item in history_items(chat_history, self._session_settings):
            await self.send(RealtimeEvent(service_type="conversation.item.create", service_event={"item": item}))
        if create_response:
            await self.send(RealtimeEvent(service_type="response.create"))

    async def close_session(self) -> None:
        """Flush what is queued (up to ``close_timeout``), close the connection, end ``receive()``."""
        supervisor = self._supervisor
        if supervisor is None or supervisor.done():
            return
        self._closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        if self.send_buffer.qsize():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.send_buffer.join(), self.close_timeout)
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._transport.close(), max(0.1, deadline - loop.time()))
        done, _ = await asyncio.wait({supervisor}, timeout=max(0.1, deadline - loop.time()))
        if not done:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor

    async def start_sending(self) -> None:
        """Drain the send queue to the transport until the connection ends."""
        transport = self._require_transport()
        queue = self.send_buffer
        while True:
            event = await queue.get()
            try:
                await self._send_one(transport, event)
            except EncodeError as exc:
                logger.warning("event not sent: %s", exc)
                self.receive_buffer.put_nowait(SendFailedEvent(service_event=event, error=exc, message=str(exc)))
            except TransportError:
                self._unsent = event  # sent first by the next session
                raise
            finally:
                queue.task_done()

    async def start_listening(self) -> None:
        """Decode everything the transport receives onto the receive queue until the connection ends."""
        transport = self._require_transport()
        inbound = self._inbound
        if inbound is None:
            raise RuntimeError("no open session")
        inbound.subscribe([*self._session_observers, *self._observers])
        try:
            await transport.listen(inbound.message)
        finally:
            await inbound.finish()

    # -- chat-completion onramp (SK's ChatCompletionClientBase API) ---------------------------------

    async def _inner_get_chat_message_contents(
        self, chat_history: ChatHistory, settings: PromptExecutionSettings
    ) -> list[ChatMessageContent]:
        return [await onramp.chat_message(self, chat_history, settings)]

    async def _inner_get_streaming_chat_message_contents(  # type: ignore[override]
        self, chat_history: ChatHistory, settings: PromptExecutionSettings, function_invoke_attempt: int = 0
    ) -> AsyncGenerator[list[StreamingChatMessageContent], Any]:
        async for messages in onramp.streaming_chat_messages(self, chat_history, settings, function_invoke_attempt):
            yield messages

    def get_prompt_execution_settings_class(self) -> type[PromptExecutionSettings]:
        return RealtimeExecutionSettings

    def _update_function_choice_settings_callback(self) -> Callable[..., None]:
        return update_settings_from_function_choice

    def _reset_function_choice_settings(self, settings: PromptExecutionSettings) -> None:
        if hasattr(settings, "tool_choice"):
            settings.tool_choice = None
        if hasattr(settings, "tools"):
            settings.tools = None

    # -- internals -----------------------------------------------------------------------------------

    async def _on_session_start(self) -> None:
        """Once the connection is open: attach the history mirror and, with a kernel, function calling."""
        decoder = self._require_decoder()
        self._history = LiveChatHistory(lambda: decoder.state.item_order)
        self._session_observers = [(LiveChatHistory.EVENT_TYPES, self._history.observe)]
        self._functions = None
        if self._kernel is not None:
            self._functions = AutoFunctionCalling(
                self._kernel, lambda: self._session_settings, send=self.send_buffer.put_nowait,
                emit=self.receive_buffer.put_nowait, timeout=self.function_timeout,
            )
            self._session_observers.append((AutoFunctionCalling.EVENT_TYPES, self._functions.observe))

    async def _on_session_end(self) -> None:
        """Called by the supervisor after both loops stopped, before the end marker is queued."""
        if self._functions is not None:
            await self._functions.aclose()

    async def _send_one(self, transport: Transport, event: RealtimeEvents) -> None:
        if transport.carries_audio and type(event) is RealtimeAudioEvent:
            await transport.send_audio(audio_bytes(event.audio))
            return
        await transport.send_text(orjson.dumps(encode_event(event, model=self.ai_model_id)).decode())

    async def _supervise(self, transport: Transport) -> None:
        loops = [
            asyncio.create_task(self.start_sending(), name="realtime.send"),
            asyncio.create_task(self.start_listening(), name="realtime.listen"),
        ]
        reason: SessionEndedEvent | None = None
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_COMPLETED)
            if not self._closing:
                reason = _ending_event(next(iter(done)))
        finally:
            for task in loops:
                task.cancel()
            with contextlib.suppress(Exception):
                await transport.close()
            await asyncio.gather(*loops, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._on_session_end()
            if reason is not None:
                logger.warning("realtime session ended: %s", reason.reason)
                self.receive_buffer.put_nowait(reason)
            self.receive_buffer.put_nowait(END)

    def _session_update(self, settings: PromptExecutionSettings | None) -> dict[str, Any]:
        base = settings if settings is not None else self._session_settings
        prepared = as_realtime_settings(base)
        if self._kernel is not None and prepared.function_choice_behavior is not None:
            prepared = prepare_settings_for_function_calling(  # type: ignore[assignment]
                prepared, RealtimeExecutionSettings, update_settings_from_function_choice, kernel=self._kernel
            )
        self._session_settings = prepared
        return session_update_event(prepared)

    def _apply_kwargs(self, kwargs: dict[str, Any]) -> None:
        if kwargs.get("kernel") is not None:
            self._kernel = kwargs["kernel"]
        plugins = kwargs.get("plugins")
        if plugins:
            if self._kernel is None:
                self._kernel = Kernel()
            if isinstance(plugins, list):
                plugins = {type(p).__name__: p for p in plugins}
            self._kernel.add_plugins(plugins)

    def _drain_end_markers(self) -> None:
        """Drop what a previous session left on the receive queue's tail (its end marker)."""
        queue = self.receive_buffer
        kept = []
        while not queue.empty():
            event = queue.get_nowait()
            if event is not END:
                kept.append(event)
        for event in kept:
            queue.put_nowait(event)

    def _require_transport(self) -> Transport:
        if self._transport is None:
            raise RuntimeError("no open session: call create_session() or use `async with client(...)`")
        return self._transport

    def _require_decoder(self) -> Decoder:
        if self._decoder is None:
            raise RuntimeError("no open session")
        return self._decoder


def _ending_event(task: asyncio.Task) -> SessionEndedEvent:
    if task.cancelled():
        return SessionEndedEvent(reason="the session was cancelled")
    exc = task.exception()
    if isinstance(exc, ConnectionClosedError):
        return SessionEndedEvent(reason=str(exc), clean=exc.clean, error=exc)
    if exc is not None:
        return SessionEndedEvent(reason=f"{type(exc).__name__}: {exc}", error=exc)
    return SessionEndedEvent(reason="the session loop stopped")
