"""RealtimeAgent: a Semantic Kernel agent that talks through a realtime service.

Rules:
- A :class:`RealtimeAgent` is a ``ChatCompletionAgent`` (so it sits in SK's agent ecosystem): with a realtime
  client as its ``service``, ``get_response`` / ``invoke`` / ``invoke_stream`` answer text through the
  client's chat-completion onramp (a short text-only session per request; SK's own loop runs the tools),
  keeping the conversation in a ``ChatHistoryAgentThread``.
- What only a live session reads (:class:`~.session.RealtimeAgentSession`): ``voice`` and ``settings`` (the
  session settings: turn detection, transcription...), ``handoffs`` (the agents, or :class:`~.handoffs.Handoff`
  objects, it may hand over to: each becomes a ``transfer_to_<agent>`` function), ``output_guardrails``
  (:class:`~.guardrails.OutputGuardrail`) with ``fallback_line``, and ``needs_approval`` (function names,
  ``plugin-function`` or bare, whose calls wait for the application's approval).
- ``handoffs`` may be set after construction (agents that hand back to each other form a cycle).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field
from semantic_kernel.agents import ChatCompletionAgent
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings

from semantic_kernel_realtime.agents.guardrails import OutputGuardrail

__all__ = ["RealtimeAgent"]

_SESSION_FIELDS = ("voice", "settings", "handoffs", "output_guardrails", "fallback_line", "needs_approval")


class RealtimeAgent(ChatCompletionAgent):
    """An agent for realtime sessions (voice, handoffs, guardrails, approvals) and SK's text agent API."""

    voice: str | None = None
    settings: PromptExecutionSettings | None = Field(default=None, exclude=True)
    handoffs: list[Any] = Field(default_factory=list, exclude=True)
    output_guardrails: list[OutputGuardrail] = Field(default_factory=list, exclude=True)
    fallback_line: str | None = None
    needs_approval: frozenset[str] = frozenset()

    def __init__(self, *, voice: str | None = None, settings: PromptExecutionSettings | None = None,
                 handoffs: Iterable[Any] = (), output_guardrails: Iterable[OutputGuardrail] = (),
                 fallback_line: str | None = None, needs_approval: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.voice = voice
        self.settings = settings
        self.handoffs = list(handoffs)
        self.output_guardrails = list(output_guardrails)
        self.fallback_line = fallback_line
        self.needs_approval = frozenset(needs_approval)

    def requires_approval(self, fully_qualified_name: str) -> bool:
        """Whether a call of this function (``plugin-function``) waits for the application's approval."""
        bare = fully_qualified_name.rpartition("-")[2]
        return fully_qualified_name in self.needs_approval or bare in self.needs_approval

    def __hash__(self) -> int:
        return hash(self.id)

    def __eq__(self, other: object) -> bool:
        return self is other
