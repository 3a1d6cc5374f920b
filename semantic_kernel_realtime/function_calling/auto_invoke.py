"""Kernel auto function calling for realtime sessions, off the receive loop, for any codec.

Rules:
- The connection shows :meth:`AutoFunctionCalling.observe` the protocol-neutral signals in
  :attr:`~AutoFunctionCalling.SIGNALS`; it only *schedules*: a :class:`CallCompleted` starts an asyncio
  task, so audio, transcripts and barge-in keep flowing while a tool runs. A synchronous kernel function
  runs in a worker thread (:mod:`.offload`); at most ``max_concurrent_calls`` calls run at once per
  session, the others wait their turn (none is dropped).
- The kernel is read when a call arrives (``kernel()``), never captured: ``update_session(kernel=...)``
  takes effect for the next call, and a session opened without a kernel auto-invokes once one is added.
  With no kernel, calls are left to the application (they are on the receive queue).
- A call runs through ``kernel.invoke_function_call`` with the session's function choice behavior, so
  auto-function-invocation filters and the allowed-function list apply. It runs inside ``call_scope(call)``
  (the session hooks' scopes: telemetry makes its tool span current there, once the call has its slot, so
  the function's own span and the thread a synchronous function runs in see it). With no behavior configured it
  fails closed: the call is answered with an explanatory output and nothing runs. With a behavior that
  does not auto-invoke, calls are left to the application, and so are the calls of an out-of-band
  response (they are not in the conversation).
- ``maximum_auto_invoke_attempts`` counts rounds (responses whose calls run) per user turn (a turn starts
  when a user message enters the conversation, or once a response of the conversation ended without
  calling a tool: the model answered. The second matters where the user's words never show as an item,
  e.g. Gemini Live without input transcription). Calls beyond it do not run: each is answered with an
  error output, and, where the client asks for responses, the next response is asked for without tools,
  which ends a model's calling loop (a service that continues by itself gets the error outputs only).
- Results of any type are serialised by the codec; an exception or the timeout becomes an error output
  the model can speak about. Each result is sent (the codec's function-result event) and put on the
  receive queue as a ``RealtimeFunctionResultEvent``.
- What follows the outputs depends on the codec's capabilities: where the client must ask for the next
  response, :mod:`.sequencing` decides when (each result answered exactly once, no request the service
  would refuse); otherwise the service continues by itself. A response that ends
  ``cancelled``/``failed``/``incomplete`` (barge-in), or a :class:`CallsCancelled`, cancels the running
  calls; they are answered with a "cancelled" output (only where the service asked for outputs of
  stopped responses: the request-a-response protocols) and no response is requested for them.
- It belongs to the session, not to one connection: when the connection is lost and the client reconnects,
  running calls go on (:meth:`AutoFunctionCalling.connection_lost`); their outputs go on the send queue,
  which the next connection sends after replaying the conversation, and the response that answers them is
  asked for once that connection is open (:meth:`AutoFunctionCalling.reconnected`). A call already seen is
  never run again (the replayed conversation brings no new call). :meth:`~AutoFunctionCalling.aclose`
  (the session ended) cancels running calls and waits for them at most ``timeout`` seconds; a call that
  ignores its cancellation is left to finish on its own, and its result is discarded.
- A failure inside a call's task that is not the function's own (the function's errors are outputs)
  becomes an :class:`~semantic_kernel_realtime.events.ObserverErrorEvent` on the receive queue; the
  session goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvents
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.events import ObserverErrorEvent
from semantic_kernel_realtime.function_calling.offload import offloading_view
from semantic_kernel_realtime.function_calling.sequencing import Ask, ResponseSequencer
from semantic_kernel_realtime.protocol.base import (
    CallCompleted,
    CallsCancelled,
    Codec,
    ItemAdded,
    ResponseEnded,
    ResponseStarted,
    ServiceError,
    Signal,
)

logger = logging.getLogger("semantic_kernel_realtime.function_calling")

NOT_INVOKED = (
    "The function was not invoked: this session has no function choice behavior configured, so no "
    "function may run (fail closed). Tell the user the tool is unavailable."
)
CANCELLED = "The function call was cancelled because the user interrupted the response."
LIMIT_REACHED = (
    "Error: the function was not invoked: this turn reached its limit of {limit} round(s) of automatic "
    "function calls (maximum_auto_invoke_attempts). Answer the user with what you have, without tools."
)
#: Concurrent calls per session when the client does not say.
DEFAULT_MAX_CONCURRENT_CALLS = 8


class AutoFunctionCalling:
    """Runs kernel functions for the model's calls and sequences what follows their outputs.

    Args:
        kernel: returns the kernel to run calls on now (``None``: the application answers calls).
        settings: returns the session's current settings (their ``function_choice_behavior`` decides).
        codec: the connection's codec class (its function-result and response-request events, capabilities).
        send: puts an event on the client's send queue (must not block).
        emit: puts an event on the client's receive queue (must not block).
        timeout: seconds a function may run before it is answered with a timeout error (None: no limit).
        call_scope: a context each kernel function runs in, inside its task (telemetry's tool span).
        max_concurrent_calls: calls that may run at once (None: no limit); the others wait.
    """

    #: The signal types :meth:`observe` acts on.
    SIGNALS = frozenset({CallCompleted, CallsCancelled, ResponseStarted, ResponseEnded, ItemAdded, ServiceError})

    __slots__ = ("_kernel", "_settings", "_codec", "_send", "_emit", "timeout", "_call_scope", "max_concurrent_calls",
                 "sequencer", "_slots", "_executor", "_tasks", "_seen", "_out_of_band", "_rounds", "_round_responses",
                 "_closed")

    def __init__(
        self,
        kernel: Callable[[], Kernel | None],
        settings: Callable[[], PromptExecutionSettings | None],
        codec: type[Codec],
        send: Callable[[RealtimeEvents], None],
        emit: Callable[[RealtimeEvents], None],
        timeout: float | None = 30.0,
        call_scope: Callable[[FunctionCallContent], AbstractContextManager[Any]] | None = None,
        max_concurrent_calls: int | None = DEFAULT_MAX_CONCURRENT_CALLS,
    ) -> None:
        self._kernel = kernel
        self._settings = settings
        self._codec = codec
        self._send = send
        self._emit = emit
        self.timeout = timeout
        self._call_scope = call_scope if call_scope is not None else _no_scope
        self.max_concurrent_calls = max_concurrent_calls
        self.sequencer = ResponseSequencer() if codec.capabilities.response_after_tool_output else None
        self._slots: asyncio.Semaphore | None = None  # made with the first call
        self._executor: ThreadPoolExecutor | None = None
        self._tasks: dict[str, tuple[asyncio.Task[None], FunctionCallContent, str]] = {}
        # sets kept as dicts (keys only): an empty dict is a quarter of an empty set, per idle session
        self._seen: dict[str, None] = {}
        self._out_of_band: dict[str, None] = {}
        self._rounds = 0  # rounds of calls run in this user turn
        self._round_responses: dict[str, None] = {}
        self._closed = False

    @property
    def kernel(self) -> Kernel | None:
        """The kernel calls run on now."""
        return self._kernel()

    # -- observer ------------------------------------------------------------------------------------

    def observe(self, signal: Signal) -> None:
        """Called by the connection for each signal, before its event is queued. Never blocks."""
        handler = _HANDLERS.get(type(signal))
        if handler is not None:
            handler(self, signal)

    async def aclose(self, timeout: float | None = None) -> None:
        """Cancel running and waiting calls (the session ended) and wait for them to stop, at most ``timeout``
        seconds (``None``: as long as they take); results that come later are discarded."""
        self._closed = True
        tasks = [task for task, _, _ in self._tasks.values()]
        for task in tasks:
            task.cancel()
        self._tasks.clear()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)  # a running thread finishes on its own
            self._executor = None

    def connection_lost(self) -> None:
        """The connection ended and the session goes on: running calls go on (see the module rules)."""
        self._out_of_band.clear()
        if self.sequencer is not None:
            self.sequencer.connection_lost()

    def reconnected(self) -> bool:
        """The next connection has replayed the conversation: ask for the response that answers the outputs
        waiting for one; True when a request was sent."""
        if self.sequencer is None:
            return False
        ask = self.sequencer.reconnected()
        self._ask(ask)
        return ask is not None

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` ran (the session ended)."""
        return self._closed

    @property
    def running(self) -> int:
        """Calls running or waiting for a free slot."""
        return len(self._tasks)

    # -- internals -----------------------------------------------------------------------------------

    def _on_call(self, signal: CallCompleted) -> None:
        call = signal.call
        call_id = call.call_id or ""
        if not call_id or call_id in self._seen:
            return
        response_id = signal.response_id or ""
        if response_id in self._out_of_band:
            return  # not in the conversation: the application answers it
        kernel = self._kernel()
        if kernel is None:
            return  # no kernel: the application answers this call itself
        settings = self._settings()
        behavior = settings.function_choice_behavior if settings is not None else None
        if behavior is not None and not behavior.auto_invoke_kernel_functions:
            return  # the application answers this call itself
        self._seen[call_id] = None
        if self.sequencer is not None:
            self.sequencer.call_started(response_id, call_id)
        if behavior is None:
            logger.warning("function call %s not invoked: no function choice behavior configured", call.name)
            self._answer(call, response_id, _result(call, NOT_INVOKED))
            return
        if response_id not in self._round_responses:
            self._round_responses[response_id] = None
            self._rounds += 1
        limit = behavior.maximum_auto_invoke_attempts
        if self._rounds > limit:
            logger.warning("function call %s not invoked: %d round(s) of calls this turn already", call.name, limit)
            if self.sequencer is not None:
                self.sequencer.refused(response_id)
            self._answer(call, response_id, _result(call, LIMIT_REACHED.format(limit=limit)))
            return
        task = asyncio.create_task(self._run(kernel, call, response_id, behavior), name=f"realtime.tool.{call.name}")
        self._tasks[call_id] = (task, call, response_id)

    async def _run(self, kernel: Kernel, call: FunctionCallContent, response_id: str, behavior: Any) -> None:
        call_id = call.call_id or ""
        try:
            if not self.max_concurrent_calls:
                result = await self._invoke(kernel, call, behavior)
            else:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(self.max_concurrent_calls)
                async with self._slots:
                    result = await self._invoke(kernel, call, behavior)
        except asyncio.CancelledError:
            self._tasks.pop(call_id, None)
            raise
        self._tasks.pop(call_id, None)
        if self.sequencer is not None and self.sequencer.is_stopped(response_id):
            return  # its response was cancelled meanwhile and the call already answered
        self._answer(call, response_id, result)

    async def _invoke(self, kernel: Kernel, call: FunctionCallContent, behavior: Any) -> FunctionResultContent:
        try:
            history = ChatHistory()
            view = offloading_view(kernel, self._threads())
            with self._call_scope(call):
                await asyncio.wait_for(view.invoke_function_call(call, history, function_behavior=behavior),
                                       self.timeout)
            return _last_result(history) or _result(call, "The function returned no result.")
        except asyncio.TimeoutError:
            logger.warning("function %s timed out after %s s", call.name, self.timeout)
            return _result(call, f"Error: the function {call.name} did not finish within {self.timeout} seconds.")
        except Exception as exc:  # the kernel normally turns errors into results; this is the backstop
            logger.exception("function %s failed", call.name)
            return _result(call, f"Error: the function {call.name} failed: {type(exc).__name__}: {exc}")

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_concurrent_calls or DEFAULT_MAX_CONCURRENT_CALLS,
                                                thread_name_prefix="realtime-tool")
        return self._executor

    def _answer(self, call: FunctionCallContent, response_id: str, result: FunctionResultContent) -> None:
        if self._closed:
            return  # the session ended: nothing is sent any more
        try:
            result.call_id = call.call_id
            result.metadata = {**(result.metadata or {}), "call_id": call.call_id, "item_id": call.id}
            event = self._codec.function_result(result)
        except Exception as exc:  # a result Semantic Kernel cannot hold: answer with the error instead
            self._failed(f"function calling could not answer call {call.call_id} of {call.name}", exc)
            event = self._codec.function_result(_result(call, f"Error: the result could not be sent: {exc}"))
        self._send(event)
        self._emit(event)
        if self.sequencer is not None:
            self._ask(self.sequencer.output_sent(response_id, call.call_id or ""))

    def _ask(self, ask: Ask | None) -> None:
        if ask is not None:
            self._send(self._codec.response_request(event_id=ask.request_id, allow_tools=ask.allow_tools))

    def _failed(self, where: str, exc: BaseException) -> None:
        logger.error("%s: %s: %s", where, type(exc).__name__, exc)
        self._emit(ObserverErrorEvent(cause=f"{where}: {type(exc).__name__}: {exc}", error=exc))

    def _on_response_started(self, signal: ResponseStarted) -> None:
        if not signal.in_conversation:
            self._out_of_band[signal.response_id] = None
        if self.sequencer is not None:
            self.sequencer.response_started(signal.response_id, signal.in_conversation)

    def _on_response_ended(self, signal: ResponseEnded) -> None:
        if signal.response_id is None:
            return
        if signal.response_id in self._out_of_band:
            del self._out_of_band[signal.response_id]
        elif signal.response_id not in self._round_responses:
            self._new_turn()  # the model answered without calling a tool: this turn's calling is over
        if self.sequencer is None:
            return
        ask, running = self.sequencer.response_done(signal.response_id, signal.status)
        for call_id in running:
            entry = self._tasks.pop(call_id, None)
            if entry is not None:
                task, call, response_id = entry
                task.cancel()
                self._answer(call, response_id, _result(call, CANCELLED))
        self._ask(ask)

    def _on_item(self, signal: ItemAdded) -> None:
        item = signal.item
        if signal.update_only:
            return
        if item.kind == "function_call_output":
            if self.sequencer is not None and item.call_id:
                self.sequencer.output_added(item.call_id)
        elif item.kind == "message" and item.role == "user":
            self._new_turn()

    def _new_turn(self) -> None:
        self._rounds = 0
        if self._round_responses:
            self._round_responses.clear()

    def _on_error(self, signal: ServiceError) -> None:
        if self.sequencer is not None and signal.event_id is not None:
            self._ask(self.sequencer.request_refused(signal.event_id, signal.code))

    def _on_cancelled(self, signal: CallsCancelled) -> None:
        for call_id in signal.call_ids:
            entry = self._tasks.pop(call_id, None)
            if entry is not None:
                entry[0].cancel()


_HANDLERS: dict[type, Callable[[AutoFunctionCalling, Any], None]] = {
    CallCompleted: AutoFunctionCalling._on_call, ResponseEnded: AutoFunctionCalling._on_response_ended,
    CallsCancelled: AutoFunctionCalling._on_cancelled, ResponseStarted: AutoFunctionCalling._on_response_started,
    ItemAdded: AutoFunctionCalling._on_item, ServiceError: AutoFunctionCalling._on_error,
}


def _no_scope(call: FunctionCallContent) -> AbstractContextManager[Any]:
    return nullcontext()


def _result(call: FunctionCallContent, value: Any) -> FunctionResultContent:
    return FunctionResultContent.from_function_call_content_and_result(function_call_content=call, result=value)


def _last_result(history: ChatHistory) -> FunctionResultContent | None:
    for message in reversed(history.messages):
        for item in message.items:
            if isinstance(item, FunctionResultContent):
                return item
    return None
