"""The receive stream's own vocabulary: every event the client itself puts on the receive queue.

Rules:
- Events decoded from the wire keep the service's type name in ``service_type``. Events the client makes
  itself have a *synthetic* type name, and every synthetic name starts with :data:`CLIENT_PREFIX`
  (``client.``), which no service uses. They are all listed here, and nowhere else.
- Every synthetic event says why it exists in one field, ``cause`` (a human sentence). The older field
  names (``reason`` of :class:`SessionEndedEvent`, ``message`` of :class:`SendFailedEvent`, ``problem`` of
  :class:`MalformedServerEvent`) are accepted when building and readable as aliases.
- Match these events with ``isinstance``; the type names are for logs and recordings.
- Three of them are the protocol-neutral facts an application reads the same way on every provider, so
  its receive loop needs no wire name: :class:`UsageEvent` (tokens), :class:`TextDoneEvent` (an item's
  final words: the user's transcript, the answer's transcript) and :class:`ResponseDoneEvent` (the model
  finished a response; whether it asked for tools). Every codec queues them right after the wire
  message that carried the fact.
- The end of a session is the :class:`SessionEnd` marker (its one instance is :data:`END`): the last thing
  a session puts on the receive queue. ``receive()`` stops at it; a reader of ``receive_buffer`` tests
  ``isinstance(item, SessionEnd)``.

This module imports Semantic Kernel's event types and pydantic only, so the protocol layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from semantic_kernel.contents.realtime_events import RealtimeEvent

__all__ = [
    "CLIENT_PREFIX",
    "CONNECTION",
    "END",
    "MEDIA_AUDIO",
    "SEND_FAILED",
    "SESSION_ENDED",
    "SESSION_LOG",
    "SYNTHETIC_TYPES",
    "TRACK_AUDIO",
    "TURN_LATENCY",
    "UNPARSABLE",
    "USAGE",
    "RESPONSE_DONE",
    "TEXT_DONE",
    "OBSERVER_ERROR",
    "RECONNECTED",
    "RECONNECTING",
    "STOP_PLAYBACK",
    "MCP_APPROVAL_REQUEST",
    "MCP_CALL",
    "MCP_TOOLS",
    "AGENT_STARTED",
    "AGENT_ENDED",
    "HANDOFF",
    "TOOL_STARTED",
    "TOOL_ENDED",
    "GUARDRAIL_TRIPPED",
    "APPROVAL_REQUESTED",
    "AGENT_ERROR",
    "AgentEndedEvent",
    "AgentErrorEvent",
    "AgentStartedEvent",
    "ApprovalRequestedEvent",
    "GuardrailTrippedEvent",
    "HandoffEvent",
    "ToolEndedEvent",
    "ToolStartedEvent",
    "MalformedServerEvent",
    "McpApprovalRequestEvent",
    "McpCallEvent",
    "McpToolsEvent",
    "ObserverErrorEvent",
    "ReconnectedEvent",
    "ReconnectingEvent",
    "ResponseDoneEvent",
    "SendFailedEvent",
    "SessionEnd",
    "SessionEndedEvent",
    "StopPlaybackEvent",
    "TextDoneEvent",
    "ToolTiming",
    "TurnLatencyEvent",
    "Usage",
    "UsageEvent",
]

#: The prefix of every synthetic type name.
CLIENT_PREFIX = "client."
#: :class:`SessionEndedEvent`.
SESSION_ENDED = "client.session_ended"
#: :class:`SendFailedEvent`.
SEND_FAILED = "client.send_failed"
#: :class:`ObserverErrorEvent`.
OBSERVER_ERROR = "client.observer_error"
#: :class:`StopPlaybackEvent`.
STOP_PLAYBACK = "client.stop_playback"
#: ``RealtimeAudioEvent`` made from audio that arrived as media (a WebRTC track), not as a wire event:
#: it has no item or response id.
TRACK_AUDIO = "client.track_audio"
#: Recordings only: audio that crossed the connection as media, written beside the JSON events.
MEDIA_AUDIO = "client.media_audio"
#: Recordings only: a received message that was not a JSON object, kept as its text.
UNPARSABLE = "client.unparsable"
#: :class:`UsageEvent`.
USAGE = "client.usage"
#: Recordings only: the header line of a session log.
SESSION_LOG = "client.session_log"
#: Recordings only: a connection opened (its protocol, transport, model and sample rates).
CONNECTION = "client.connection"
#: :class:`TurnLatencyEvent`.
TURN_LATENCY = "client.turn_latency"
#: :class:`TextDoneEvent`.
TEXT_DONE = "client.text_done"
#: :class:`ResponseDoneEvent`.
RESPONSE_DONE = "client.response_done"
#: :class:`ReconnectingEvent`.
RECONNECTING = "client.reconnecting"
#: :class:`ReconnectedEvent`.
RECONNECTED = "client.reconnected"

#: :class:`McpCallEvent`.
MCP_CALL = "client.mcp_call"
#: :class:`McpToolsEvent`.
MCP_TOOLS = "client.mcp_tools"
#: :class:`McpApprovalRequestEvent`.
MCP_APPROVAL_REQUEST = "client.mcp_approval_request"

#: Realtime agent sessions (``agents/``): :class:`AgentStartedEvent` and the other agent events below.
AGENT_STARTED = "client.agent_started"
AGENT_ENDED = "client.agent_ended"
HANDOFF = "client.handoff"
TOOL_STARTED = "client.tool_started"
TOOL_ENDED = "client.tool_ended"
GUARDRAIL_TRIPPED = "client.guardrail_tripped"
APPROVAL_REQUESTED = "client.approval_requested"
AGENT_ERROR = "client.agent_error"

SYNTHETIC_TYPES = frozenset({SESSION_ENDED, SEND_FAILED, OBSERVER_ERROR, STOP_PLAYBACK, TRACK_AUDIO, MEDIA_AUDIO,
                             UNPARSABLE, USAGE, TURN_LATENCY, SESSION_LOG, CONNECTION, TEXT_DONE, RESPONSE_DONE,
                             MCP_CALL, MCP_TOOLS, MCP_APPROVAL_REQUEST, RECONNECTING, RECONNECTED,
                             AGENT_STARTED, AGENT_ENDED, HANDOFF, TOOL_STARTED, TOOL_ENDED, GUARDRAIL_TRIPPED,
                             APPROVAL_REQUESTED, AGENT_ERROR})


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a response (OpenAI) or a turn (Gemini) used, the same record for every provider.

    ``input_tokens`` / ``output_tokens`` / ``total_tokens`` are the service's totals. The split fields say
    how many of them were text, audio or (input only) served from the cache; each is ``None`` where the
    service does not say (not 0: unknown is not none). Gemini counts its tool-use prompt in the input and
    its thinking in the output, as it bills them.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_text_tokens: int | None = None
    input_audio_tokens: int | None = None
    input_cached_tokens: int | None = None
    output_text_tokens: int | None = None
    output_audio_tokens: int | None = None


class SessionEndedEvent(RealtimeEvent):
    """The session ended for a reason other than ``close_session()``: the last event before :data:`END`.

    With reconnection on (the client's ``reconnect`` policy), it comes only when the policy gives up: the
    end was not retryable (refused credentials, a normal close by the service), or every attempt failed.
    ``cause`` is a human sentence; ``clean`` whether the service closed normally; ``retryable`` whether a
    new connection could help (a dropped network) or not (refused credentials, a policy close);
    ``error`` the typed exception (from :mod:`semantic_kernel_realtime.errors`) when there was one;
    ``attempts`` the reconnection attempts made before giving up (0: none).
    """

    service_type: str | None = SESSION_ENDED
    cause: str = Field(validation_alias=AliasChoices("cause", "reason"))
    clean: bool = False
    retryable: bool = False
    error: Any | None = Field(default=None, exclude=True)
    attempts: int = 0

    @property
    def reason(self) -> str:
        """Alias of :attr:`cause`."""
        return self.cause


class SendFailedEvent(RealtimeEvent):
    """An event put on the send queue could not be sent (e.g. it is not a valid client event).

    The session goes on; ``service_event`` holds the refused event, ``cause`` says why, ``error`` is the
    exception (an ``EncodeError``).
    """

    service_type: str | None = SEND_FAILED
    cause: str = Field(validation_alias=AliasChoices("cause", "message"))
    error: Any = Field(default=None, exclude=True)

    @property
    def message(self) -> str:
        """Alias of :attr:`cause`."""
        return self.cause


class MalformedServerEvent(RealtimeEvent):
    """A server message that could not be decoded as its type requires; ``cause`` says what is wrong.

    ``service_type`` is the wire type as received (``None`` when the message had none); ``service_event``
    the message as parsed (or the raw text when it was not JSON). The session goes on.
    """

    cause: str = Field(validation_alias=AliasChoices("cause", "problem"))

    @property
    def problem(self) -> str:
        """Alias of :attr:`cause`."""
        return self.cause


class UsageEvent(RealtimeEvent):
    """The service reported token usage: put on the receive queue right after the event that carried it.

    ``usage`` is the typed :class:`Usage`; ``response_id`` the response (OpenAI) or turn (Gemini, a local
    id) it belongs to, when known; ``service_event`` the service's own usage object, unchanged.
    """

    service_type: str | None = USAGE
    usage: Usage
    response_id: str | None = None
    cause: str = "the service reported the tokens a response used"


class TextDoneEvent(RealtimeEvent):
    """The final words of one conversation item: the user's transcript, or the assistant's text or audio
    transcript. Queued right after the event that settled them, on every provider.

    ``role`` is ``user`` or ``assistant``; ``item_id`` the item the streamed ``RealtimeTextEvent`` deltas carried
    in their metadata (the same id); ``text`` the whole words (the deltas joined, as the service settled them);
    ``service_event`` the message that settled them. An item's words may be settled again (a later event
    for the same ``item_id`` replaces the earlier words).
    """

    service_type: str | None = TEXT_DONE
    role: str
    item_id: str | None = None
    text: str = ""
    cause: str = "the service settled an item's words"


class ResponseDoneEvent(RealtimeEvent):
    """The model finished a response (OpenAI) or a model turn (Gemini): the last event its message yields.

    ``status``: ``completed``, ``cancelled`` (a barge-in interrupted it), ``failed`` or ``incomplete``.
    ``call_ids``: the function calls it asked for; when there are any, function calling answers them and
    the model goes on in a next response, so the *answer* is the response that ends without calls.
    ``usage``: its tokens when the service reported them with it (also queued as a :class:`UsageEvent`
    just before); ``response_id``: the response id (OpenAI) or the turn's local id (Gemini).
    """

    service_type: str | None = RESPONSE_DONE
    response_id: str | None = None
    status: str | None = None
    call_ids: tuple[str, ...] = ()
    usage: Usage | None = None
    cause: str = "the model finished a response"

    @property
    def asked_for_tools(self) -> bool:
        """True when the response asked for function calls (the model continues after their results)."""
        return bool(self.call_ids)


class McpCallEvent(RealtimeEvent):
    """A tool call the service runs on an MCP server, queued after the wire event that says how it stands.

    ``status``: ``in_progress``, ``arguments`` (its arguments are complete), ``completed`` (``output`` holds
    the result) or ``failed`` (``error`` says why). ``service_event`` is the wire event.
    """

    service_type: str | None = MCP_CALL
    item_id: str | None = None
    status: str
    server_label: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    error: Any | None = None
    cause: str = "the service reported an MCP tool call"


class McpToolsEvent(RealtimeEvent):
    """The tools an MCP server offers (``status`` ``completed``, ``tools`` as the service listed them) or that
    listing them failed (``failed``)."""

    service_type: str | None = MCP_TOOLS
    item_id: str | None = None
    status: str
    server_label: str | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)
    cause: str = "the service listed an MCP server's tools"


class McpApprovalRequestEvent(RealtimeEvent):
    """The service asks whether it may call an MCP tool; answer with ``protocol.mcp_approval(
    approval_request_id, approve)`` (or let an ``McpApprover`` do it)."""

    service_type: str | None = MCP_APPROVAL_REQUEST
    approval_request_id: str
    server_label: str | None = None
    name: str | None = None
    arguments: str | None = None
    cause: str = "the service asks to approve an MCP tool call"


class ToolTiming(BaseModel):
    """One tool call of a turn: from the model's completed call to its output being sent (client clock)."""

    model_config = ConfigDict(frozen=True)

    name: str
    call_id: str
    duration_ms: float | None = None
    """``None`` when the output was never sent (the session ended first)."""


class TurnLatencyEvent(RealtimeEvent):
    """The latency of one conversational turn, put on the receive queue after the turn's last response.

    Opt-in: ``client.attach(RealtimeTelemetry())`` (:mod:`semantic_kernel_realtime.telemetry`).
    Every figure is measured on the client's clock from the events the client itself sent and received
    (a network round trip is inside them), in milliseconds, ``None`` where the turn had no such moment.

    *Speech end* is when the client sent the input audio in which the service's voice activity detection
    placed the end of speech (``speech_end_source == "sent_audio"``); when input audio did not pass the send
    queue (a WebRTC microphone track), it is when the speech-stopped event arrived (``"speech_stopped"``);
    when the service places no end of speech (Gemini Live), it is when the client sent the last input audio
    with sound in it before the service first showed it heard the user (``"sent_sound"``).
    A turn without speech (text input) has ``speech_end_source is None`` and no speech figures.

    ``voice_to_voice_ms``: speech end -> the first response audio received (what a user waits).
    ``speech_stopped_ms``: speech end -> the service said speech stopped. ``transcript_ms``: speech end ->
    the user's transcript. ``first_tool_call_ms``: speech end -> the first completed tool call.
    ``time_to_first_audio_ms``: the turn's first response started -> its first audio.
    ``response_ms``: the first response started -> the last one ended. ``audio_out_ms``: how long the
    response audio received plays. ``tools``: each tool's time. ``usage``: the tokens of the turn's
    responses, summed. ``interrupted``: the user spoke before the turn's answer ended (barge-in).
    """

    service_type: str | None = TURN_LATENCY
    cause: str = "a conversational turn ended"
    response_ids: list[str] = Field(default_factory=list)
    speech_end_source: str | None = None
    speech_stopped_ms: float | None = None
    transcript_ms: float | None = None
    first_tool_call_ms: float | None = None
    voice_to_voice_ms: float | None = None
    time_to_first_audio_ms: float | None = None
    response_ms: float | None = None
    audio_out_ms: float = 0.0
    tools: list[ToolTiming] = Field(default_factory=list)
    usage: Usage | None = None
    interrupted: bool = False
class ObserverErrorEvent(RealtimeEvent):
    """Something that reacts to received events failed on one of them; the session goes on.

    The failing part is function calling, the live history mirror, barge-in, or an observer the
    application added (``add_observer``). ``observed_type`` is the type of the event it was handling (``None``
    when the failure came later, in a function call's task); ``cause`` names the part and the exception;
    ``error`` is the exception. It is queued just before the event it concerns (or when the task failed).
    """

    service_type: str | None = OBSERVER_ERROR
    cause: str
    observed_type: str | None = None
    error: Any = Field(default=None, exclude=True)


class StopPlaybackEvent(RealtimeEvent):
    """Stop playing output audio now and drop what is buffered: the user interrupted the assistant.

    Queued before the event that caused it (``input_audio_buffer.speech_started`` over WebSocket, where
    the client also truncated the item; the service's own ``output_audio_buffer.cleared`` over WebRTC;
    Gemini Live's ``serverContent.interrupted``, where the service cut its response itself).
    ``item_id`` is the item being played (``None`` when unknown) and ``audio_end_ms`` how much of it was
    played and kept in the conversation (``None`` when the client did not truncate). Output audio of that
    item that still arrives is not given to the audio callback.
    """

    service_type: str | None = STOP_PLAYBACK
    cause: str
    item_id: str | None = None
    audio_end_ms: int | None = None


class ReconnectingEvent(RealtimeEvent):
    """The connection ended (or is being replaced) and the client is opening another one for the same session.

    ``cause`` says why (the network failed, the service went away, the session reached its duration cap, or
    the client is moving to a fresh connection before that cap: ``recycle`` is True then); ``attempt``
    counts from 1 for each try since the last open connection; ``delay`` is the seconds waited before this
    attempt (backoff). Events put on the send queue meanwhile go out once the new connection has replayed
    the conversation.
    """

    service_type: str | None = RECONNECTING
    cause: str
    attempt: int = 1
    delay: float = 0.0
    recycle: bool = False
    error: Any | None = Field(default=None, exclude=True)


class ReconnectedEvent(RealtimeEvent):
    """A new connection continues the session: the session configuration, the tools and the conversation were
    sent to it again (``replayed_items`` items), or the service resumed the session by its handle
    (``resumed``). Received events after this one come from the new connection.
    """

    service_type: str | None = RECONNECTED
    cause: str
    attempt: int = 1
    replayed_items: int = 0
    resumed: bool = False
    recycle: bool = False


# -- realtime agent sessions (agents/): what a RealtimeAgentSession yields besides the client's events ---------


class AgentStartedEvent(RealtimeEvent):
    """An agent took the conversation (the session's first agent, or the target of a handoff)."""

    service_type: str | None = AGENT_STARTED
    agent: str
    cause: str = "the agent took the conversation"


class AgentEndedEvent(RealtimeEvent):
    """An agent handed the conversation over, or the session ended while it had it."""

    service_type: str | None = AGENT_ENDED
    agent: str
    cause: str = "the agent handed the conversation over"


class HandoffEvent(RealtimeEvent):
    """The model called a ``transfer_to_<agent>`` function: ``from_agent`` hands over to ``to_agent``.

    ``input`` is what the model passed along (the handoff's ``reason`` argument). Queued after the new
    configuration was put on the send queue and before the handoff's output.
    """

    service_type: str | None = HANDOFF
    from_agent: str
    to_agent: str
    input: str | None = None
    cause: str = "the model handed the conversation to another agent"


class ToolStartedEvent(RealtimeEvent):
    """An agent's function is about to run (approved first, when it needs approval)."""

    service_type: str | None = TOOL_STARTED
    agent: str
    name: str
    call_id: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    cause: str = "the model called a function"


class ToolEndedEvent(RealtimeEvent):
    """An agent's function ended: ``result`` is what the model gets (``approved`` False: it never ran)."""

    service_type: str | None = TOOL_ENDED
    agent: str
    name: str
    call_id: str | None = None
    result: Any = None
    approved: bool = True
    cause: str = "the function returned"


class GuardrailTrippedEvent(RealtimeEvent):
    """An output guardrail rejected the assistant's words: the response was cancelled and cut where heard.

    ``text`` is the transcript the guardrail saw; ``fallback`` the line the agent says instead (if any).
    """

    service_type: str | None = GUARDRAIL_TRIPPED
    agent: str
    guardrail: str
    item_id: str | None = None
    text: str = ""
    fallback: str | None = None
    cause: str


class ApprovalRequestedEvent(RealtimeEvent):
    """A function that needs approval was called: answer with ``session.approve(call_id)`` or
    ``session.reject(call_id)``; no answer within the session's ``approval_timeout`` is a rejection."""

    service_type: str | None = APPROVAL_REQUESTED
    agent: str
    name: str
    call_id: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    cause: str = "the function needs the application's approval before it runs"


class AgentErrorEvent(RealtimeEvent):
    """Something of the agent layer failed (a guardrail or handoff callback raised); the session goes on."""

    service_type: str | None = AGENT_ERROR
    agent: str | None = None
    cause: str
    error: Any = Field(default=None, exclude=True)


class SessionEnd:
    """The end-of-session marker on the receive queue (one instance: :data:`END`).

    ``receive()`` stops when it reads it and puts it back, so every other consumer stops too. A marker
    left over from an earlier session is skipped once a new session runs.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<end of session>"


END = SessionEnd()
