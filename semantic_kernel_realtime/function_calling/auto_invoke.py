"""Kernel auto function calling for realtime sessions, off the receive loop, for any codec.

Rules:
- The connection shows :meth:`AutoFunctionCalling.observe` the protocol-neutral signals in
  :attr:`~AutoFunctionCalling.SIGNALS`; it only *schedules*: a :class:`CallCompleted` starts an asyncio
  task, so audio, transcripts and barge-in keep flowing while a tool runs.
- The kernel is read when a call arrives (``kernel()``), never captured: ``update_session(kernel=...)``
  takes effect for the next call, and a session opened without a kernel auto-invokes once one is added.
  With no kernel, calls are left to the application (they are on the receive queue).
- A call runs through ``kernel.invoke_function_call`` with the session's function choice behavior, so
  auto-function-invocation filters and the allowed-function list apply. With no behavior configured it
  fails closed: the call is answered with an explanatory output and nothing runs. With a behavior that
  does not auto-invoke, calls are left to the application.
- Results of any type are serialised by the codec; an exception or the timeout becomes an error output
  the model can speak about. Each result is sent (the codec's function-result event) and put on the
  receive queue as a ``RealtimeFunctionResultEvent``.
- What follows the outputs depends on the codec's capabilities: where the client must ask for the next
  response, exactly one request follows per response's calls (:mod:`.sequencing`); otherwise the service
  continues by itself. A response that ends ``cancelled``/``failed``/``incomplete`` (barge-in), or a
  :class:`CallsCancelled`, cancels the running calls; they are answered with a "cancelled" output (only
  where the service asked for outputs of stopped responses: the request-a-response protocols) and no
  response is requested for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import RealtimeEvents
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.function_calling.sequencing import ResponseSequencer
from semantic_kernel_realtime.protocol.base import CallCompleted, CallsCancelled, Codec, ResponseEnded, Signal

logger = logging.getLogger("semantic_kernel_realtime.function_calling")

NOT_INVOKED = (
    "The function was not invoked: this session has no function choice behavior configured, so no "
    "function may run (fail closed). Tell the user the tool is unavailable."
)
CANCELLED = "The function call was cancelled because the user interrupted the response."


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
    """

    #: The signal types :meth:`observe` acts on.
    SIGNALS = frozenset({CallCompleted, ResponseEnded, CallsCancelled})

    def __init__(
        self,
        kernel: Callable[[], Kernel | None],
        settings: Callable[[], PromptExecutionSettings | None],
        codec: type[Codec],
        send: Callable[[RealtimeEvents], None],
        emit: Callable[[RealtimeEvents], None],
        timeout: float | None = 30.0,
        call_scope: Callable[[FunctionCallContent], AbstractContextManager[Any]] | None = None,
    ) -> None:
        self._kernel = kernel
        self._settings = settings
        self._codec = codec
        self._send = send
        self._emit = emit
        self.timeout = timeout
        self._call_scope = call_scope if call_scope is not None else _no_scope
        self.sequencer = ResponseSequencer() if codec.capabilities.response_after_tool_output else None
        self._tasks: dict[str, tuple[asyncio.Task[None], FunctionCallContent, str]] = {}
        self._seen: set[str] = set()
        self._handlers: dict[type, Callable[[Any], None]] = {
            CallCompleted: self._on_call, ResponseEnded: self._on_response_ended, CallsCancelled: self._on_cancelled,
        }

    @property
    def kernel(self) -> Kernel | None:
        """The kernel calls run on now."""
        return self._kernel()

    # -- observer ------------------------------------------------------------------------------------

    def observe(self, signal: Signal) -> None:
        """Called by the connection for each signal, before its event is queued. Never blocks."""
        handler = self._handlers.get(type(signal))
        if handler is not None:
            handler(signal)

    async def aclose(self) -> None:
        """Cancel running calls (the session ended) and wait for them to stop."""
        tasks = [task for task, _, _ in self._tasks.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    @property
    def running(self) -> int:
        return len(self._tasks)

    # -- internals -----------------------------------------------------------------------------------

    def _on_call(self, signal: CallCompleted) -> None:
        call = signal.call
        call_id = call.call_id or ""
        if not call_id or call_id in self._seen:
            return
        kernel = self._kernel()
        if kernel is None:
            return  # no kernel: the application answers this call itself
        settings = self._settings()
        behavior = settings.function_choice_behavior if settings is not None else None
        if behavior is not None and not behavior.auto_invoke_kernel_functions:
            return  # the application answers this call itself
        self._seen.add(call_id)
        response_id = signal.response_id or ""
        if self.sequencer is not None:
            self.sequencer.call_started(response_id, call_id)
        if behavior is None:
            logger.warning("function call %s not invoked: no function choice behavior configured", call.name)
            self._answer(call, response_id, _result(call, NOT_INVOKED))
            return
        task = asyncio.create_task(self._run(kernel, call, response_id, behavior), name=f"realtime.tool.{call.name}")
        self._tasks[call_id] = (task, call, response_id)

    async def _run(self, kernel: Kernel, call: FunctionCallContent, response_id: str, behavior: Any) -> None:
        call_id = call.call_id or ""
        try:
            history = ChatHistory()
            invocation = kernel.invoke_function_call(call, history, function_behavior=behavior)
            with self._call_scope(call):
                await asyncio.wait_for(invocation, self.timeout)
            result = _last_result(history) or _result(call, "The function returned no result.")
        except asyncio.TimeoutError:
            logger.warning("function %s timed out after %s s", call.name, self.timeout)
            result = _result(call, f"Error: the function {call.name} did not finish within {self.timeout} seconds.")
        except asyncio.CancelledError:
            self._tasks.pop(call_id, None)
            raise
        except Exception as exc:  # the kernel normally turns errors into results; this is the backstop
            logger.exception("function %s failed", call.name)
            result = _result(call, f"Error: the function {call.name} failed: {type(exc).__name__}: {exc}")
        self._tasks.pop(call_id, None)
        if self.sequencer is not None and self.sequencer.is_stopped(response_id):
            return  # its response was cancelled meanwhile and the call already answered
        self._answer(call, response_id, result)

    def _answer(self, call: FunctionCallContent, response_id: str, result: FunctionResultContent) -> None:
        result.call_id = call.call_id
        result.metadata = {**(result.metadata or {}), "call_id": call.call_id, "item_id": call.id}
        event = self._codec.function_result(result)
        self._send(event)
        self._emit(event)
        if self.sequencer is not None and self.sequencer.output_sent(response_id, call.call_id or ""):
            self._send(self._codec.response_request())

    def _on_response_ended(self, signal: ResponseEnded) -> None:
        if self.sequencer is None or signal.response_id is None:
            return
        create, running = self.sequencer.response_done(signal.response_id, signal.status)
        for call_id in running:
            entry = self._tasks.pop(call_id, None)
            if entry is not None:
                task, call, response_id = entry
                task.cancel()
                self._answer(call, response_id, _result(call, CANCELLED))
        if create:
            self._send(self._codec.response_request())

    def _on_cancelled(self, signal: CallsCancelled) -> None:
        for call_id in signal.call_ids:
            entry = self._tasks.pop(call_id, None)
            if entry is not None:
                entry[0].cancel()


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
