"""The approval callback for MCP tool calls: an observer that answers each approval request.

Rules: ``McpApprover(decide, send)`` is an event observer (``client.add_observer(approver,
approver.event_types)``). For each :class:`~semantic_kernel_realtime.events.McpApprovalRequestEvent` it calls
``decide(request)`` (a bool, or an awaitable of one, run as a task so the receive path never waits) and puts
the answer on the send queue with ``send``. A ``decide`` that raises denies the call and is logged; the
session goes on. ``aclose()`` cancels answers still being decided.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from semantic_kernel.contents.realtime_events import RealtimeEvents

from semantic_kernel_realtime.events import MCP_APPROVAL_REQUEST, McpApprovalRequestEvent
from semantic_kernel_realtime.protocol.openai.requests import mcp_approval

logger = logging.getLogger("semantic_kernel_realtime.function_calling")

Decide = Callable[[McpApprovalRequestEvent], "bool | Awaitable[bool]"]


class McpApprover:
    """Answers MCP approval requests with ``decide``'s verdict."""

    event_types = frozenset({MCP_APPROVAL_REQUEST})

    def __init__(self, decide: Decide, send: Callable[[RealtimeEvents], Any]) -> None:
        self._decide = decide
        self._send = send
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, event: RealtimeEvents) -> None:
        if isinstance(event, McpApprovalRequestEvent):
            task = asyncio.get_running_loop().create_task(self._answer(event), name="realtime.mcp_approval")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, request: McpApprovalRequestEvent) -> None:
        try:
            verdict = self._decide(request)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            approve, reason = bool(verdict), None
        except Exception as exc:
            logger.exception("MCP approval callback failed; the call to %s is denied", request.name)
            approve, reason = False, f"approval callback failed: {type(exc).__name__}"
        sent = self._send(mcp_approval(request.approval_request_id, approve, reason=reason))
        if inspect.isawaitable(sent):
            await sent

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
