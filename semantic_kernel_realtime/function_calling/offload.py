"""Synchronous kernel functions run in worker threads, so a plain ``def`` tool never blocks the event loop.

Semantic Kernel's ``KernelFunctionFromMethod`` calls a plain ``def`` directly on the event loop: a tool
that takes 2 s would stop audio and events for 2 s. Rules:

- Only a ``KernelFunctionFromMethod`` whose method is not ``async def`` (nor an async generator) moves; an
  async function runs exactly as Semantic Kernel runs it.
- The caller's kernel is not modified. A call runs on a shallow view of it (:func:`offloading_view`: the
  same plugins, services and filters) whose auto-function-invocation filter list has one more filter,
  the outermost. That filter first puts the caller's own kernel back on the context, so every other
  filter and the function see it, then swaps in a twin of the function whose method runs the original in
  the executor (with the caller's context variables, e.g. tracing) and awaits the result. Argument
  parsing, the filters of both kinds and the result are Semantic Kernel's own code.
- A thread cannot be interrupted: a cancelled or timed-out call leaves its thread to finish, and its
  result is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from functools import partial
from typing import Any

from semantic_kernel.functions.kernel_function import KernelFunction
from semantic_kernel.functions.kernel_function_from_method import KernelFunctionFromMethod
from semantic_kernel.kernel import Kernel


def runs_on_the_loop(function: KernelFunction) -> bool:
    """True when Semantic Kernel would call ``function``'s body synchronously on the event loop."""
    if not isinstance(function, KernelFunctionFromMethod):
        return False
    method = function.method
    call = None if inspect.isroutine(method) else type(method).__call__  # a callable object's own method
    return not (inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
                or (call is not None and inspect.iscoroutinefunction(call)))


def threaded_twin(function: KernelFunction, executor: Executor) -> KernelFunction | None:
    """A copy of ``function`` whose synchronous body runs in ``executor``; ``None`` when it is not synchronous."""
    if not runs_on_the_loop(function):
        return None
    method = function.method  # type: ignore[attr-defined]

    async def in_a_thread(**kwargs: Any) -> Any:
        context = contextvars.copy_context()
        result = await asyncio.get_running_loop().run_in_executor(executor, partial(context.run, _call, method, kwargs))
        if inspect.isawaitable(result):  # a plain def that returned a coroutine: it belongs to the loop
            result = await result
        return result

    return function.model_copy(update={"method": in_a_thread})


def offloading_view(kernel: Kernel, executor: Executor) -> Kernel:
    """A shallow view of ``kernel`` whose auto-invoked synchronous functions run in ``executor``."""

    async def offload(context: Any, next: Callable[[Any], Coroutine[Any, Any, None]]) -> None:
        context.kernel = kernel
        twin = threaded_twin(context.function, executor)
        if twin is not None:
            context.function = twin
        await next(context)

    filters = [*kernel.auto_function_invocation_filters, (id(offload), offload)]  # last = outermost
    return kernel.model_copy(update={"auto_function_invocation_filters": filters})


def _call(method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    result = method(**kwargs)
    if inspect.isgenerator(result):  # SK lists a generator's items; do it here, off the loop
        return list(result)
    return result
