"""Handoffs: how an agent hands the conversation to another, as ordinary functions on the wire.

Rules:
- Each handoff of an agent is a kernel function ``transfer_to_<agent name>`` in the plugin
  :data:`HANDOFF_PLUGIN` of the agent's session kernel, with one optional string parameter ``reason`` (the
  handoff's input: a reason, a summary). The model calls it like any tool; what it does is the session's
  (:meth:`~.session.RealtimeAgentSession.hand_off`).
- A :class:`Handoff` adds a description and a callback ``on_handoff(from_agent, to_agent, reason)`` (plain or
  ``async``) run before the new agent takes over; a bare agent in ``handoffs`` is a ``Handoff`` of it.
- The note a non-reconfigurable service gets as the handoff's output (:func:`handoff_note`) carries the new
  agent's instructions and the line ``Tools you may call now: a, b.`` (a real model reads the same words).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from semantic_kernel.functions import KernelFunctionFromMethod, KernelPlugin, kernel_function

if TYPE_CHECKING:
    from semantic_kernel_realtime.agents.agent import RealtimeAgent

__all__ = ["HANDOFF_PLUGIN", "Handoff", "as_handoff", "handoff_function", "handoff_note", "tool_name"]

HANDOFF_PLUGIN = "handoffs"
_NAME = re.compile(r"[^0-9A-Za-z_]")

OnHandoff = Callable[[Any, Any, str | None], "Awaitable[None] | None"]


@dataclass(frozen=True)
class Handoff:
    """A handoff to ``agent``: ``description`` tells the model when to use it (default: the agent's)."""

    agent: RealtimeAgent
    description: str | None = None
    on_handoff: OnHandoff | None = None

    @property
    def function_name(self) -> str:
        return tool_name(self.agent.name)


def tool_name(agent_name: str) -> str:
    """``transfer_to_<agent name>`` with characters a function name may not hold replaced by ``_``."""
    return "transfer_to_" + _NAME.sub("_", agent_name).lower()


def as_handoff(target: Any) -> Handoff:
    return target if isinstance(target, Handoff) else Handoff(agent=target)


def handoff_function(handoff: Handoff,
                     run: Callable[[Handoff, str | None], Awaitable[str]]) -> KernelFunctionFromMethod:
    """The ``transfer_to_<agent>`` kernel function; calling it awaits ``run(handoff, reason)``."""
    target = handoff.agent
    description = handoff.description or (
        f"Hand the conversation to the {target.name} agent" + (f": {target.description}" if target.description
                                                                else "."))

    async def transfer(reason: Annotated[str | None, "Why, or a summary for the next agent"] = None) -> str:
        return await run(handoff, reason)

    method = kernel_function(transfer, name=handoff.function_name, description=description)
    return KernelFunctionFromMethod(method=method, plugin_name=HANDOFF_PLUGIN)


def handoff_plugin(functions: Iterable[KernelFunctionFromMethod]) -> KernelPlugin:
    return KernelPlugin(name=HANDOFF_PLUGIN, functions=list(functions))


def handoff_note(agent: RealtimeAgent, instructions: str | None, tools: Iterable[str]) -> str:
    """The handoff output a service that cannot be reconfigured gets: who speaks now, with which tools."""
    return (f"Transferred to {agent.name}. You are now the {agent.name} agent. "
            f"Your instructions: {instructions or ''}\n{tools_line(tools)}")


def tools_line(tools: Iterable[str]) -> str:
    return f"Tools you may call now: {', '.join(tools)}."
