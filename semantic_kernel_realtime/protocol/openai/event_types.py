"""Wire event type names of the OpenAI Realtime GA protocol, and the beta names we still read.

Rules: GA names are primary. ``BETA_TO_GA`` maps the older (beta, shut down in 2026) server event names
to their GA equivalents so recordings decode to the same Semantic Kernel events; a decoded event keeps
its wire name in ``service_type``. ``CLIENT_EVENT_TYPES`` is the closed set of GA client events; a test
checks it against the ``openai`` package's own union.
"""

from __future__ import annotations

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
