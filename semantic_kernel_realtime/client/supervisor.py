"""The session supervisor: runs one connection after another for as long as the session lasts.

Rules:
- One supervisor task per session (``client/base.py`` starts it). It runs the current
  :class:`~.connection.Connection` until it ends; then, when the client's :class:`ReconnectPolicy` is on
  and the end is retryable (``SessionEndedEvent.retryable``: a network error, a 1001/1011 close, the
  service's duration cap), it opens another connection for the same session. Refused credentials
  (``AuthenticationError``), a normal close by the service (1000) and a refusal close are never retried.
- Each try is announced on the receive queue with a :class:`~semantic_kernel_realtime.events.ReconnectingEvent`
  (cause, attempt, the backoff delay about to be waited); a new connection that opened with a
  :class:`~semantic_kernel_realtime.events.ReconnectedEvent`. When the policy gives up (attempts spent,
  or an end that is not retryable, the refusal of a new connection included), the receive queue gets the
  :class:`~semantic_kernel_realtime.events.SessionEndedEvent` with its cause, ``retryable`` and
  ``attempts``, then the end marker.
- A new connection replays the session (the codec's ``reopening``): the configuration (recomputed from
  the current settings and kernel: the tools), then the conversation from the session's live mirror,
  items keeping their ids; then the items the last connection sent that its service never confirmed,
  then the event whose send failed, then the send queue in order (what was queued during the gap). The
  mirror and auto function calling belong to the session and go on: running calls keep running, their
  outputs go out after the replay, and the response they wait for is asked once the replay is sent; a
  call is never run twice (the replayed conversation brings no new call). A call whose arguments never
  completed (its response was cut) is dropped from the mirror: the new connection never hears of it. A
  response that was running or asked for when the connection ended is asked for again once (unless the
  calls' own follow-up request already asks).
- Recycling: when the service names a duration cap (:class:`~.lifetime.Lifetime`), the supervisor moves
  to a fresh connection ``recycle_margin`` seconds before it, at the first quiet moment (no response
  running, nobody speaking), with the same replay; it is announced as a reconnect with ``recycle=True``.
- Opening a connection (the credentials, a token provider included, and the handshake) is bounded by the
  client's ``open_timeout``: :class:`~semantic_kernel_realtime.errors.ConnectionTimeoutError` past it.
- The end marker always reaches the receive queue, before anything that could wait (calls that ignore
  their cancellation are waited for only what is left of ``close_timeout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from semantic_kernel.contents.function_call_content import FunctionCallContent

from semantic_kernel_realtime.client.connection import Connection
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.errors import AuthenticationError, ConnectionTimeoutError
from semantic_kernel_realtime.events import END, ReconnectedEvent, ReconnectingEvent, SessionEndedEvent
from semantic_kernel_realtime.protocol.base import ItemRemoved

if TYPE_CHECKING:
    from semantic_kernel_realtime.client.base import RealtimeClientBase

logger = logging.getLogger("semantic_kernel_realtime.client")

__all__ = ["ReconnectPolicy", "end_hooks", "open_within", "supervise"]


@dataclass(frozen=True)
class ReconnectPolicy:
    """When and how often a session reconnects after a retryable end (``reconnect=None`` on the client: never).

    Args:
        max_attempts: tries after each loss before giving up (0: never reconnect, but still recycle).
        initial_delay: seconds before the first try (0: at once).
        max_delay: the longest wait between tries.
        multiplier: each wait is this times the previous one (exponential backoff).
        jitter: each wait is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
        recycle: move to a fresh connection before the service's duration cap (see the module rules).
        recycle_margin: seconds before the cap from which a quiet moment is taken for that.
    """

    max_attempts: int = 5
    initial_delay: float = 0.25
    max_delay: float = 8.0
    multiplier: float = 2.0
    jitter: float = 0.2
    recycle: bool = True
    recycle_margin: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (from 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        if self.jitter:
            base *= 1.0 + random.uniform(-self.jitter, self.jitter)  # noqa: S311 (not cryptography)
        return max(0.0, base)


async def open_within(opener: Awaitable[Any], timeout: float | None) -> Any:
    """Await ``opener`` (credentials, then the handshake) at most ``timeout`` seconds; past it a
    :class:`ConnectionTimeoutError`."""
    if timeout is None:
        return await opener
    try:
        return await asyncio.wait_for(opener, timeout)
    except asyncio.TimeoutError:
        raise ConnectionTimeoutError(f"the connection did not open within {timeout:g} s "
                                     f"(credentials and handshake)") from None


async def supervise(client: RealtimeClientBase, connection: Connection) -> None:
    """Run ``connection``, then its successors (see the module rules), until the session ends."""
    ended: SessionEndedEvent | None = None
    loop = asyncio.get_running_loop()
    functions = connection.functions
    tried = 0  # attempts since the last connection the service confirmed
    try:
        while True:
            ended = await _run(client, connection)
            if connection.lifetime.confirmed:
                tried = 0
            client._carried = connection.unsent
            policy = client.reconnect
            if client._closing:
                ended = None
                break
            recycle = connection.recycling
            if not recycle and (ended is None or policy is None or policy.max_attempts <= 0 or not ended.retryable):
                break
            cause = "recycling the connection before the session's duration cap" if recycle else (
                ended.cause if ended is not None else "the connection ended")
            client._reconnecting = True
            try:
                successor, ended, tried = await _reconnect(client, connection, cause, recycle, policy, tried)
            finally:
                client._reconnecting = False
            if successor is None:
                break
            connection = successor
            if client._closing:  # closed while the new connection opened
                ended = None
                with contextlib.suppress(Exception):
                    await connection.transport.close()
                break
    finally:
        if client._closing:
            ended = None
        client._last_end = ended
        if ended is None:
            logger.info("realtime session closed by the client")
        else:
            logger.log(logging.INFO if ended.clean else logging.WARNING, "realtime session ended: %s", ended.cause)
            client.receive_buffer.put_nowait(ended)
        end_hooks(connection.hooks, ended)
        client.receive_buffer.put_nowait(END)
        left = max(0.0, (client._close_deadline or loop.time()) - loop.time())
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await functions.aclose(timeout=left)


async def _run(client: RealtimeClientBase, connection: Connection) -> SessionEndedEvent | None:
    """Run the connection; when the policy recycles, end it at its first quiet moment after the deadline."""
    policy = client.reconnect
    if policy is None or not policy.recycle:
        return await connection.run()  # nothing to watch: in this task (no task of its own per session)
    running = asyncio.ensure_future(connection.run())
    watcher = asyncio.ensure_future(_recycle_when_due(connection))
    try:
        done, _ = await asyncio.wait({running, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if watcher in done and not running.done():
            connection.recycling = True
            connection.closing = True
            with contextlib.suppress(Exception):
                await connection.transport.close()
        return await running
    finally:
        watcher.cancel()
        if not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


async def _recycle_when_due(connection: Connection) -> None:
    lifetime = connection.lifetime
    loop = asyncio.get_running_loop()
    while True:
        lifetime.changed.clear()
        deadline = lifetime.deadline
        if deadline is None:
            await lifetime.changed.wait()
            continue
        wait = deadline - loop.time()
        if wait > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(lifetime.changed.wait(), wait)
            if lifetime.changed.is_set():
                continue
        await lifetime.quiet.wait()
        if not connection.functions.running:
            return
        await asyncio.sleep(0.05)  # a call is running: its output, then the response it asks, come first


async def _reconnect(client: RealtimeClientBase, previous: Connection, cause: str, recycle: bool,
                     policy: ReconnectPolicy | None, tried: int
                     ) -> tuple[Connection | None, SessionEndedEvent | None, int]:
    """Open the next connection: (it, None, attempts so far), or (None, the end, attempts) when the policy gives
    up. ``tried``: attempts already made since the service last confirmed a connection (one that opened and
    died before the service confirmed the session counts as a failed attempt)."""
    history, functions = previous.history, previous.functions
    functions.connection_lost()
    _drop_unfinished_calls(history)
    resent = previous.unconfirmed()
    attempts = max(1, policy.max_attempts if policy is not None else 1)
    error: BaseException | None = None
    if tried >= attempts:
        return None, SessionEndedEvent(cause=f"gave up reconnecting after {tried} attempts: {cause}",
                                       retryable=True, attempts=tried), tried
    for attempt in range(tried + 1, attempts + 1):
        delay = 0.0 if recycle and attempt == 1 else (policy.delay(attempt) if policy is not None else 0.0)
        client.receive_buffer.put_nowait(ReconnectingEvent(cause=cause, attempt=attempt, delay=delay,
                                                           recycle=recycle, error=error))
        logger.info("realtime session reconnecting (attempt %d, in %.2f s): %s", attempt, delay, cause)
        if delay:
            await asyncio.sleep(delay)
        try:
            connection, replayed, resumed = await client._open_next(previous, history, functions, resent)
        except AuthenticationError as exc:
            return None, SessionEndedEvent(cause=f"the service refused the credentials on reconnecting: {exc}",
                                           retryable=False, error=exc, attempts=attempt), attempt
        except Exception as exc:  # noqa: BLE001 (every failure to open is judged by its retryable flag)
            if not getattr(exc, "retryable", False):
                return None, SessionEndedEvent(cause=f"reconnecting failed: {type(exc).__name__}: {exc}",
                                               retryable=False, error=exc, attempts=attempt), attempt
            error = exc
            cause = f"{type(exc).__name__}: {exc}"
            continue
        client.receive_buffer.put_nowait(ReconnectedEvent(cause=cause, attempt=attempt, replayed_items=replayed,
                                                          resumed=resumed, recycle=recycle))
        logger.info("realtime session reconnected (attempt %d): %d items replayed", attempt, replayed)
        if not functions.reconnected() and previous.lifetime.response_cut:
            # the response being given (or asked for) when the connection ended: ask for it again
            client.send_buffer.put_nowait(type(connection.codec).response_request())
        return connection, None, attempt
    return None, SessionEndedEvent(cause=f"gave up reconnecting after {attempts} attempts: {cause}",
                                   retryable=True, error=error, attempts=attempts), attempts


def _drop_unfinished_calls(history: Any) -> None:
    """Calls whose arguments never completed (their response was cut) leave the mirror: nothing ran them."""
    for message in history.chat_history.messages:
        content = message.items[0] if message.items else None
        if isinstance(content, FunctionCallContent) and not content.arguments:
            item_id = (message.metadata or {}).get("item_id")
            if item_id:
                history.observe(ItemRemoved(item_id=item_id))


def end_hooks(hooks: Iterable[SessionHooks], ended: SessionEndedEvent | None) -> None:
    """Tell each hook the session ended; a failing hook is logged and never keeps the end marker from the queue."""
    for hook in hooks:
        try:
            hook.ended(ended)
        except Exception:
            logger.exception("session hook %r failed at the end of the session", hook)
