"""RealtimeClientBase: a realtime session as a Semantic Kernel service with a send and a receive queue.

Rules:
- The client is the long-lived Semantic Kernel service. It owns ``send_buffer`` (SK events to send) and
  ``receive_buffer`` (SK events received) for its whole life, its settings, kernel and observers; the
  state of one connection lives in a :class:`~.connection.Connection` made per connection, which composes
  the connector's codec and transport. ``start_sending()`` / ``start_listening()`` run the current
  connection's loops; ``send()`` and ``receive()`` are thin conveniences over the two queues.
- Events put on the send queue before a session is open stay there and go out once it opens, after
  the opening messages (session configuration, seeded history).
- One supervisor task per session runs the connection (:mod:`.supervisor`); with a ``reconnect`` policy,
  one connection after another (reconnect and replay after a retryable end, recycling before the duration
  cap), the history mirror and function calling carried over. When the session ends (``close_session()``,
  an end that is not retried), the receive queue gets, in order: a :class:`SessionEndedEvent` saying why
  (unless the user closed), then the :data:`~semantic_kernel_realtime.events.END` marker. Every
  ``receive()`` consumer then stops; the marker stays so later consumers stop too, until a new session
  runs (a consumer then skips a marker left over from the earlier one).
- ``receive_buffer`` is a :class:`~.flow.ReceiveQueue` by default: at its limit the transport stops reading
  (backpressure); nothing is dropped. ``open_timeout`` bounds the credentials and the handshake together
  (``ConnectionTimeoutError``); ``close_session()`` returns within ``close_timeout``.
- Output audio reaches ``audio_output_callback`` (numpy int16) before its event is queued. Whatever plays
  it reports the position it played through ``playback`` (:mod:`.playback`), which barge-in truncation
  reads; the client stops it there when the user interrupts, or when the application does (``interrupt()``).
- The kernel is read when a function call runs, so ``update_session(kernel=...)`` (an agent hand-off is
  exactly that) and a kernel added after the session opened both take effect for the next call.
- Nothing on the hot path sleeps or polls; observers are synchronous and must only schedule work.
- ``attach(hooks)`` adds session hooks (:mod:`.hooks`: telemetry, recording) from the next session on.
- Logging (``semantic_kernel_realtime.client``): INFO when a session opens (and when it reopens after an
  end the client did not ask for), when the service confirms its configuration, and when it closes, with
  the cause (WARNING when the service or the network ended it); DEBUG one line per event (see
  ``connection.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, PrivateAttr
from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.connectors.ai.realtime_client_base import RealtimeClientBase as SKRealtimeClientBase
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.chat_message_content import ChatMessageContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvents
from semantic_kernel.contents.streaming_chat_message_content import StreamingChatMessageContent
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.client import onramp
from semantic_kernel_realtime.client.connection import Connection, pcm_event
from semantic_kernel_realtime.client.flow import LeanQueue, ReceiveQueue
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.client.inbound import EventObserver, Subscription
from semantic_kernel_realtime.client.playback import Playback
from semantic_kernel_realtime.client.supervisor import ReconnectPolicy, end_hooks, open_within, supervise
from semantic_kernel_realtime.events import END, SessionEnd, SessionEndedEvent
from semantic_kernel_realtime.function_calling.auto_invoke import AutoFunctionCalling
from semantic_kernel_realtime.function_calling.history import LiveChatHistory
from semantic_kernel_realtime.protocol.base import Codec
from semantic_kernel_realtime.transports.base import Transport

logger = logging.getLogger("semantic_kernel_realtime.client")

AudioCallback = Callable[[np.ndarray], Coroutine[Any, Any, None] | None]

__all__ = ["END", "AudioCallback", "RealtimeClientBase"]


class RealtimeClientBase(ChatCompletionClientBase, SKRealtimeClientBase):
    """Base of every realtime connector: the queues, the session lifecycle, one connection at a time.

    A connector names its wire protocol (``codec_class``) and provides ``_create_transport()``. Use it as
    SK's realtime clients: ``async with client(settings=..., chat_history=..., kernel=...):`` then
    ``send()`` and ``async for event in client.receive()``, or call ``create_session()`` / ``close_session()``.
    """

    SUPPORTS_FUNCTION_CALLING: ClassVar[bool] = True
    #: The wire protocol this connector speaks (set by each connector).
    codec_class: ClassVar[type[Codec] | None] = None

    send_buffer: asyncio.Queue = Field(default_factory=LeanQueue, exclude=True)
    receive_buffer: asyncio.Queue = Field(
        default_factory=ReceiveQueue, exclude=True,
        description="Received events; a ReceiveQueue pauses reading at its limit (backpressure: docs/resilience.md).")
    close_timeout: float = Field(default=2.0, description="Seconds close_session() waits to flush and close.")
    open_timeout: float | None = Field(
        default=10.0, description="Seconds to open a connection: the credentials (a token provider) and the handshake.")
    reconnect: ReconnectPolicy | None = Field(
        default=None, description="Reconnect after a retryable end and recycle before the duration cap (None: never).")
    function_timeout: float | None = Field(default=30.0, description="Seconds a kernel function may run.")
    input_audio_sample_rate: int = Field(
        default=24_000, gt=0,
        description="Rate of the PCM16 mono audio the application sends; converted to the service's rate "
                    "(the codec's capabilities) when they differ.")
    max_concurrent_function_calls: int | None = Field(
        default=8, ge=1, description="Kernel functions that may run at once per session; others wait (None: no cap).")

    _connection: Connection | None = PrivateAttr(default=None)
    _supervisor: asyncio.Task | None = PrivateAttr(default=None)
    _observers: list[Subscription] = PrivateAttr(default_factory=lambda: [])
    _session_settings: PromptExecutionSettings | None = PrivateAttr(default=None)
    _opening_session: dict[str, Any] | None = PrivateAttr(default=None)
    _carried: RealtimeEvents | None = PrivateAttr(default=None)
    _hooks: list[SessionHooks] = PrivateAttr(default_factory=lambda: [])
    _last_end: SessionEndedEvent | None = PrivateAttr(default=None)
    _playback: Playback = PrivateAttr(default_factory=lambda: Playback())
    _closing: bool = PrivateAttr(default=False)
    _reconnecting: bool = PrivateAttr(default=False)
    _close_deadline: float | None = PrivateAttr(default=None)

    # -- to implement ------------------------------------------------------------------------------

    @abstractmethod
    async def _create_transport(self) -> Transport:
        """A new, unopened transport for one connection (credentials fetched here, per connect)."""

    # -- public API ----------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while a session runs."""
        return self._supervisor is not None and not self._supervisor.done()

    @property
    def connection(self) -> Connection | None:
        """The current (or last) connection."""
        return self._connection

    @property
    def transport(self) -> Transport | None:
        return self._connection.transport if self._connection is not None else None

    @property
    def codec(self) -> Codec | None:
        """The current connection's codec (its decoder state remembers calls, items and audio per item)."""
        return self._connection.codec if self._connection is not None else None

    @property
    def decoder(self) -> Any:
        """The current connection's decoder, for codecs that have one (``codec.decoder``)."""
        return getattr(self.codec, "decoder", None)

    @property
    def kernel(self) -> Kernel | None:
        return self._kernel

    @property
    def opening_session(self) -> dict[str, Any] | None:
        """The session configuration the current connection opens with, as the wire carries it.

        ``None`` when it opens with the service's defaults. Set before ``_create_transport()`` runs, so a
        connector can carry the same config elsewhere (WebRTC mints its client secret with it).
        """
        return self._opening_session

    @property
    def session_settings(self) -> PromptExecutionSettings | None:
        """The settings last sent to the service (tools filled in from the kernel)."""
        return self._session_settings

    @property
    def chat_history(self) -> ChatHistory:
        """The live conversation so far as a ``ChatHistory`` (roles kept, ``item_id`` in metadata).

        Each read is a new ``ChatHistory`` over the mirror's own messages (cheap: no per-message work).
        """
        return self._connection.history.chat_history if self._connection is not None else ChatHistory()

    @property
    def playback(self) -> Playback:
        """The playback-position contract: a player reports ``playback.played(samples)`` and registers
        ``playback.on_stop(handler)``; barge-in reads the one and calls the other."""
        return self._playback

    @property
    def function_calling(self) -> AutoFunctionCalling | None:
        """The current connection's auto function calling."""
        return self._connection.functions if self._connection is not None else None

    def add_observer(self, observer: EventObserver, event_types: Iterable[str] | None = None) -> None:
        """Call ``observer(event)`` for each received event before it is queued (must not block).

        ``event_types``: only events of these types (current names; older names map to them); default: every event.
        """
        self._observers.append((frozenset(event_types) if event_types is not None else None, observer))
        if self._connection is not None:
            self._connection.observe(self._observers)

    def attach(self, hooks: SessionHooks) -> None:
        """Attach session hooks (telemetry, a recorder: :mod:`.hooks`), from the next ``create_session()`` on."""
        if hooks not in self._hooks:
            self._hooks.append(hooks)

    def detach(self, hooks: SessionHooks) -> None:
        """Remove hooks added with :meth:`attach` (from the next session on)."""
        if hooks in self._hooks:
            self._hooks.remove(hooks)

    @property
    def hooks(self) -> tuple[SessionHooks, ...]:
        """The hooks attached with :meth:`attach`."""
        return tuple(self._hooks)

    def put_received(self, event: RealtimeEvents) -> None:
        """Receive an event that came outside the message stream (WebRTC track audio).

        It takes the same path as decoded events, in order with them: audio callback, observers, queue.
        """
        if self._connection is None:
            self.receive_buffer.put_nowait(event)
        else:
            self._connection.inbound.event(event)

    async def send(self, event: RealtimeEvents, **kwargs: Any) -> None:
        """Put ``event`` on the send queue (an audio event is written at once when nothing is queued before it)."""
        connection = self.__pydantic_private__["_connection"]  # not self._connection: pydantic's __getattr__ (~1 µs)
        if type(event) is RealtimeAudioEvent and connection is not None and connection.can_send_now():
            await connection.send_now(event)
        else:
            self.send_buffer.put_nowait(event)

    async def send_audio(self, pcm: bytes) -> None:
        """Send one chunk of PCM16 mono audio at ``input_audio_sample_rate``: the fast path for microphone audio.

        The same as ``send(RealtimeAudioEvent(audio=AudioContent(data=pcm, mime_type="audio/pcm")))``, in the
        same order with everything else sent, without building the event: while a session is open and nothing
        is queued before it, the chunk is encoded and written from the caller's task (this awaits only when the
        socket is behind); otherwise it is queued.
        """
        connection = self.__pydantic_private__["_connection"]
        if connection is not None and connection.can_send_now():
            await connection.send_pcm_now(pcm)
        else:
            self.send_buffer.put_nowait(pcm_event(pcm))

    async def receive(  # type: ignore[override]
        self, audio_output_callback: AudioCallback | None = None, **kwargs: Any
    ) -> AsyncGenerator[RealtimeEvents, None]:
        """Yield received events until the session ends (the iteration then stops)."""
        if audio_output_callback is not None:
            self.audio_output_callback = audio_output_callback
        queue = self.receive_buffer
        get = queue.get
        while True:
            event = await get()
            if isinstance(event, SessionEnd):
                if self.is_open:
                    continue  # left over from an earlier session
                queue.put_nowait(event)  # release the next consumer too
                return
            yield event

    async def create_session(
        self,
        chat_history: ChatHistory | None = None,
        settings: PromptExecutionSettings | None = None,
        **kwargs: Any,
    ) -> None:
        """Connect, send the session config and history, and start the supervised connection.

        Raises the typed errors of :mod:`semantic_kernel_realtime.errors` (``AuthenticationError``,
        ``ConnectionFailedError``, ``EncodeError`` for settings that cannot be sent).
        """
        if self.is_open:
            raise RuntimeError("a realtime session is already open on this client; close it first")
        kwargs = {**(self._create_kwargs or {}), **kwargs}
        self._apply_kwargs(kwargs)
        codec_class = self._codec_class()
        settings = settings if settings is not None else self._settings
        chat_history = chat_history if chat_history is not None else self._chat_history
        # Encode what opens the session before connecting: bad settings fail fast, without a connection.
        self._opening_session = None
        if settings is not None or self._kernel is not None:
            self._session_settings = self._prepare(settings)
            self._opening_session = codec_class.session_object(self._session_settings)
        codec = codec_class(model=self.ai_model_id)
        opening = codec.opening(self._opening_session, chat_history)
        hooks = self._session_hooks()
        for hook in hooks:
            hook.started(self)
        previous = self._connection
        self._closing, self._close_deadline = False, None
        try:
            connection = await open_within(self._open_connection(codec, hooks, opening), self.open_timeout)
        except BaseException as exc:
            self._connection = previous
            ended = SessionEndedEvent(cause=f"the session did not open: {type(exc).__name__}: {exc}",
                                      retryable=getattr(exc, "retryable", False), error=exc)
            end_hooks(hooks, ended)
            raise
        logger.info("realtime session opened: %s over %s, model %s%s", codec_class.capabilities.name,
                    type(connection.transport).__name__, self.ai_model_id,
                    f" (the previous session ended: {self._last_end.cause})" if self._last_end is not None else "")
        self._carried = None
        connection.observe(self._observers)
        await self._on_session_start()
        self._supervisor = asyncio.create_task(supervise(self, connection), name=f"{type(self).__name__}.supervisor")

    async def update_session(
        self,
        chat_history: ChatHistory | None = None,
        settings: PromptExecutionSettings | None = None,
        create_response: bool = False,
        **kwargs: Any,
    ) -> None:
        """Send a new session config (tools recomputed from the kernel) and/or more history, in queue order.

        A service that configures sessions only as they open (``capabilities.reconfigurable`` False: Gemini
        Live) refuses new settings with a ``SendFailedEvent`` that says what to do instead, and keeps
        :attr:`session_settings`; a kernel or plugin change sends nothing there (the kernel is read per call).
        """
        self._apply_kwargs(kwargs)
        codec_class = self._codec_class()
        reconfigurable = codec_class.capabilities.reconfigurable
        if settings is not None or (reconfigurable and ("kernel" in kwargs or "plugins" in kwargs)):
            prepared = self._prepare(settings if settings is not None else self._session_settings)
            if reconfigurable:
                self._session_settings = prepared
            await self.send(codec_class.session_update(prepared))
        for event in codec_class.history(chat_history):
            await self.send(event)
        if create_response:
            await self.send(codec_class.response_request())

    async def interrupt(self, item_id: str | None = None) -> None:
        """Stop the assistant now, as when the user barges in: cancel the response being generated, stop the
        player and cut the audio not heard from the conversation (:meth:`.playback.BargeIn.interrupt`).

        ``item_id``: an assistant item to cut even when none of its audio arrived yet (e.g. one whose words
        came first). Does nothing without an open session.
        """
        if self._connection is not None and self.is_open:
            self._connection.barge_in.interrupt(item_id)

    async def request_response(self) -> None:
        """Ask the model to respond now (queued after what is already on the send queue)."""
        await self.send(self._codec_class().response_request())

    async def close_session(self) -> None:
        """Flush what is queued (up to ``close_timeout``), close the connection, end ``receive()``."""
        supervisor, connection = self._supervisor, self._connection
        if supervisor is None or supervisor.done() or connection is None:
            return
        connection.closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        self._closing, self._close_deadline = True, deadline
        if self._reconnecting:  # between connections (a backoff, a connect): nothing to flush or close
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
            return
        if self.send_buffer.qsize():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.send_buffer.join(), self.close_timeout)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.transport.close(), max(0.1, deadline - loop.time()))
        done, _ = await asyncio.wait({supervisor}, timeout=max(0.1, deadline - loop.time()))
        if not done:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor

    async def start_sending(self) -> None:
        """Drain the send queue to the service until the connection ends."""
        await self._require_connection().send_loop()

    async def start_listening(self) -> None:
        """Turn everything the service sends into SK events on the receive queue until the connection ends."""
        await self._require_connection().listen_loop()

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
        return self.codec_class.settings_class if self.codec_class is not None else PromptExecutionSettings

    def _update_function_choice_settings_callback(self) -> Callable[..., None]:
        return self._codec_class().update_settings_from_function_choice

    def _reset_function_choice_settings(self, settings: PromptExecutionSettings) -> None:
        if hasattr(settings, "tool_choice"):
            settings.tool_choice = None
        if hasattr(settings, "tools"):
            settings.tools = None

    # -- internals -----------------------------------------------------------------------------------

    async def _on_session_start(self) -> None:
        """Called once a connection is open, before its loops start (a hook for subclasses)."""

    def _session_hooks(self) -> tuple[SessionHooks, ...]:
        """The hooks of the session about to start (connectors add the telemetry Semantic Kernel's switches ask for)."""
        return tuple(self._hooks)

    async def _open_connection(self, codec: Codec, hooks: tuple[SessionHooks, ...], opening: list[str],
                               resent: tuple[RealtimeEvents, ...] = (), history: LiveChatHistory | None = None,
                               functions: AutoFunctionCalling | None = None) -> Connection:
        connection = Connection(self, await self._create_transport(), codec, hooks, history=history,
                                functions=functions)
        self._connection = connection  # track audio may arrive while it opens
        await connection.open(opening, self._carried, resent)
        return connection

    async def _open_next(self, previous: Connection, history: LiveChatHistory, functions: AutoFunctionCalling,
                         resent: list[RealtimeEvents]) -> tuple[Connection, int, bool]:
        """A connection continuing the session of ``previous`` (see :mod:`.supervisor`): it, the items replayed,
        and whether the service resumed the session itself."""
        codec_class = self._codec_class()
        if self._session_settings is not None:
            self._session_settings = self._prepare(self._session_settings)  # tools: the kernel as it is now
            self._opening_session = codec_class.session_object(self._session_settings)
        codec = codec_class(model=self.ai_model_id)
        conversation = history.chat_history
        opening, resumed = codec.reopening(self._opening_session, conversation, previous.codec)
        try:
            connection = await open_within(
                self._open_connection(codec, previous.hooks, opening, tuple(resent), history, functions),
                self.open_timeout)
        except BaseException:
            self._connection = previous
            raise
        self._carried = None
        connection.observe(self._observers)
        return connection, 0 if resumed else len(conversation.messages), resumed

    def _prepare(self, settings: PromptExecutionSettings | None) -> PromptExecutionSettings:
        return self._codec_class().prepare_settings(settings, self._kernel)

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

    def _codec_class(self) -> type[Codec]:
        if self.codec_class is None:
            raise TypeError(f"{type(self).__name__} names no wire protocol: set its codec_class")
        return self.codec_class

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("no open session: call create_session() or use `async with client(...)`")
        return self._connection

