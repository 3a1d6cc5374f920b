"""Wire event type names of the OpenAI Realtime GA protocol, and the beta names we still read.

Rules: GA names are primary. ``BETA_TO_GA`` maps the older (beta, shut down in 2026) server event names
to their GA equivalents so recordings decode to the same Semantic Kernel events; a decoded event keeps
its wire name in ``service_type``. ``CLIENT_EVENT_TYPES`` and ``SERVER_EVENT_TYPES`` are the GA client and
server events the ``openai`` package knows (a test checks both against its unions). A client event type
outside ``CLIENT_EVENT_TYPES`` that is well formed (:func:`is_event_type`) and not a server event may
still be sent raw: the service may know it before the package does.
"""

from __future__ import annotations

import re

CLIENT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "output_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "conversation.item.delete",
        "response.create",
        "response.cancel",
    }
)

SERVER_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "conversation.created", "conversation.item.added", "conversation.item.created", "conversation.item.deleted",
        "conversation.item.done", "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.delta", "conversation.item.input_audio_transcription.failed",
        "conversation.item.input_audio_transcription.segment", "conversation.item.retrieved",
        "conversation.item.truncated", "error", "input_audio_buffer.cleared", "input_audio_buffer.committed",
        "input_audio_buffer.dtmf_event_received", "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped", "input_audio_buffer.timeout_triggered", "mcp_list_tools.completed",
        "mcp_list_tools.failed", "mcp_list_tools.in_progress", "output_audio_buffer.cleared",
        "output_audio_buffer.started", "output_audio_buffer.stopped", "rate_limits.updated",
        "response.content_part.added", "response.content_part.done", "response.created", "response.done",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.mcp_call.completed", "response.mcp_call.failed", "response.mcp_call.in_progress",
        "response.mcp_call_arguments.delta", "response.mcp_call_arguments.done", "response.output_audio.delta",
        "response.output_audio.done", "response.output_audio_transcript.delta",
        "response.output_audio_transcript.done", "response.output_item.added", "response.output_item.done",
        "response.output_text.delta", "response.output_text.done", "session.created", "session.updated",
    }
)

_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def is_event_type(name: object) -> bool:
    """Whether ``name`` is shaped like a GA event type (``scope.action``: lower-case words and dots)."""
    return type(name) is str and _EVENT_TYPE.fullmatch(name) is not None


BETA_TO_GA: dict[str, str] = {
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
    "conversation.item.created": "conversation.item.added",
    "output_audio_buffer.audio_started": "output_audio_buffer.started",
    "output_audio_buffer.audio_stopped": "output_audio_buffer.stopped",
    "output_audio_buffer.audio_cleared": "output_audio_buffer.cleared",
}


def canonical_type(wire_type: str) -> str:
    """The GA name for a wire event type (beta names mapped, GA and unknown names unchanged)."""
    return BETA_TO_GA.get(wire_type, wire_type)
