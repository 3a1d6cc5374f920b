"""Kernel auto function calling for realtime sessions, off the receive loop.

Rules:
- The client calls :meth:`AutoFunctionCalling.observe` for every received event; it only *schedules*:
  a completed call (``response.function_call_arguments.done``) starts an asyncio task, so audio,
  transcripts and barge-in keep flowing while a tool runs.
- A call runs through ``kernel.invoke_function_call`` with the session's function choice behavior, so
  auto-function-invocation filters and the allowed-function list apply. With no behavior configured it
  fails closed: the call is answered with an explanatory output and nothing runs. With a behavior that
  does not auto-invoke, calls are left to the application (they are on the receive queue).
- Results of any type are serialised by the protocol layer; an exception or the timeout becomes an
  error output the model can speak about. Each result is sent as ``function_call_output`` and put on
  the receive queue as a ``RealtimeFunctionResultEvent``.
- ``response.create`` follows per :mod:`.sequencing`. Cancelled responses (barge-in): running calls are
  cancelled and answered with a "cancelled" output; no response is requested for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.function_result_content import FunctionResultContent
from semantic_kernel.contents.realtime_events import (
    RealtimeEvent,
    RealtimeEvents,
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
)
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.function_calling.sequencing import ResponseSequencer

logger = logging.getLogger("semantic_kernel_realtime.function_calling")

CALL_DONE = "response.function_call_arguments.done"
NOT_INVOKED = (
    "The function was not invoked: this session has no function choice behavior configured, so no "
    "function may run (fail closed). Tell the user the tool is unavailable."
)
CANCELLED = "The function call was cancelled because the user interrupted the response."


class AutoFunctionCalling:
    """Runs kernel functions for the model's calls and sequences the follow-up response.

    :meth:`observe` acts on :attr:`EVENT_TYPES` only; the client shows it no other events.

    Args:
        kernel: where the functions live.
        settings: returns the session's current settings (their ``function_choice_behavior`` decides).
        send: puts an event on the client's send queue (must not block).
        emit: puts an event on the client's receive queue (must not block).
        timeout: seconds a function may run before it is answered with a timeout error (None: no limit).
    """

    #: The GA event types :meth:`observe` acts on.
    EVENT_TYPES = frozenset({CALL_DONE, "response.done"})

    def __init__(
        self,
        kernel: Kernel,
        settings: Callable[[], PromptExecutionSettings | None],
        send: Callable[[RealtimeEvents], None],
        emit: Callable[[RealtimeEvents], None],
        timeout: float | None = 30.0,
    ) -> None:
        self.kernel = kernel
        self._settings = settings
        self._send = send
        self._emit = emit
        self.timeout = timeout
        self.sequencer = ResponseSequencer()
        self._tasks: dict[str, tuple[asyncio.Task[None], FunctionCallContent]] = {}
        self._seen: set[str] = set()

    # -- observer ------------------------------------------------------------------------------------

    def observe(self, event: RealtimeEvents) -> None:
        """Called by the client for each received event, before it is queued. Never blocks."""
        etype = event.service_type
        if etype == CALL_DONE and isinstance(event, RealtimeFunctionCallEvent):
            self._on_call(event.function_call)
        elif etype == "response.done":
            self._on_response_done(event)

    async def aclose(self) -> None:
        """Cancel running calls (the session ended) and wait for them to stop."""
        tasks = [task for task, _ in self._tasks.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    @property
    def running(self) -> int:
        return len(self._tasks)

    # -- internals -----------------------------------------------------------------------------------

    def _on_call(self, call: FunctionCallContent) -> None:
        call_id = call.call_id or ""
        if not call_id or call_id in self._seen:
            return
        self._seen.add(call_id)
        settings = self._settings()
        behavior = settings.function_choice_behavior if settings is not None else None
        if behavior is not None and not behavior.auto_invoke_kernel_functions:
            return  # the application answers this call itself
        response_id = _response_id(call)
        self.sequencer.call_started(response_id, call_id)
        if behavior is None:
            logger.warning("function call %s not invoked: no function choice behavior configured", call.name)
            self._answer(call, _result(call, NOT_INVOKED))
            return
        task = asyncio.create_task(self._run(call, behavior), name=f"realtime.tool.{call.name}")
        self._tasks[call_id] = (task, call)

    async def _run(self, call: FunctionCallContent, behavior: Any) -> None:
        call_id = call.call_id or ""
        try:
            history = ChatHistory()
            invocation = self.kernel.invoke_function_call(call, history, function_behavior=behavior)
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
        if self.sequencer.is_stopped(_response_id(call)):
            return  # its response was cancelled meanwhile and the call already answered
        self._answer(call, result)

    def _answer(self, call: FunctionCallContent, result: FunctionResultContent) -> None:
        result.call_id = call.call_id
        result.metadata = {**(result.metadata or {}), "call_id": call.call_id, "item_id": call.id}
        event = RealtimeFunctionResultEvent(service_type="conversation.item.create", function_result=result)
        self._send(event)
        self._emit(event)
        if self.sequencer.output_sent(_response_id(call), call.call_id or ""):
            self._send(RealtimeEvent(service_type="response.create"))

    def _on_response_done(self, event: RealtimeEvent) -> None:
        response = event.service_event.get("response") if isinstance(event.service_event, dict) else None
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            return
        create, running = self.sequencer.response_done(response["id"], response.get("status"))
        for call_id in running:
            entry = self._tasks.pop(call_id, None)
            if entry is not None:
                task, call = entry
                task.cancel()
                self._answer(call, _result(call, CANCELLED))
        if create:
            self._send(RealtimeEvent(service_type="response.create"))


def _response_id(call: FunctionCallContent) -> str:
    return str((call.metadata or {}).get("response_id") or "")


def _result(call: FunctionCallContent, value: Any) -> FunctionResultContent:
    return FunctionResultContent.from_function_call_content_and_result(function_call_content=call, result=value)


def _last_result(history: ChatHistory) -> FunctionResultContent | None:
    for message in reversed(history.messages):
        for item in message.items:
            if isinstance(item, FunctionResultContent):
                return item
    return None
