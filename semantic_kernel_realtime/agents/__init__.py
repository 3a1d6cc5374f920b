"""Realtime agents: :class:`RealtimeAgent` (an SK agent), :class:`RealtimeAgentSession` (agents live on one
client, with handoffs, output guardrails and tool approval), on any provider (docs/agents.md).

The layer sits above ``client`` and ``function_calling``; nothing below imports it.
"""

from semantic_kernel_realtime.agents.agent import RealtimeAgent
from semantic_kernel_realtime.agents.guardrails import OutputGuardrail
from semantic_kernel_realtime.agents.handoffs import HANDOFF_PLUGIN, Handoff
from semantic_kernel_realtime.agents.session import RealtimeAgentSession

__all__ = ["HANDOFF_PLUGIN", "Handoff", "OutputGuardrail", "RealtimeAgent", "RealtimeAgentSession"]
