"""The receive stream's own vocabulary: every event the client itself puts on the receive queue.

Rules:
- Events decoded from the wire keep the service's type name in ``service_type``. Events the client makes
  itself have a *synthetic* type name, and every synthetic name starts with :data:`CLIENT_PREFIX`
  (``client.``), which no service uses. They are all listed here, and nowhere else.
- Every synthetic event says why it exists in one field, ``cause`` (a human sentence). The older field
  names (``reason`` of :class:`SessionEndedEvent`, ``message`` of :class:`SendFailedEvent`, ``problem`` of
  :class:`MalformedServerEvent`) are accepted when building and readable as aliases.
- Match these events with ``isinstance``; the type names are for logs and recordings.
- The end of a session is the :class:`SessionEnd` marker (its one instance is :data:`END`): the last thing
  a session puts on the receive queue. ``receive()`` stops at it; a reader of ``receive_buffer`` tests
  ``isinstance(item, SessionEnd)``.

This module imports Semantic Kernel's event types and pydantic only, so the protocol layer may use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field
from semantic_kernel.contents.realtime_events import RealtimeEvent

__all__ = [
    "CLIENT_PREFIX",
    "END",
    "MEDIA_AUDIO",
    "SEND_FAILED",
    "SESSION_ENDED",
    "SYNTHETIC_TYPES",
    "TRACK_AUDIO",
    "UNPARSABLE",
    "OBSERVER_ERROR",
    "STOP_PLAYBACK",
    "MalformedServerEvent",
    "ObserverErrorEvent",
    "SendFailedEvent",
    "SessionEnd",
    "SessionEndedEvent",
    "StopPlaybackEvent",
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

SYNTHETIC_TYPES = frozenset({SESSION_ENDED, SEND_FAILED, OBSERVER_ERROR, STOP_PLAYBACK, TRACK_AUDIO, MEDIA_AUDIO,
                             UNPARSABLE})


class SessionEndedEvent(RealtimeEvent):
    """The session ended for a reason other than ``close_session()``: the last event before :data:`END`.

    ``cause`` is a human sentence; ``clean`` whether the service closed normally; ``retryable`` whether a
    new connection could help (a dropped network) or not (refused credentials, a policy close);
    ``error`` the typed exception (from :mod:`semantic_kernel_realtime.errors`) when there was one.
    """

    service_type: str | None = SESSION_ENDED
    cause: str = Field(validation_alias=AliasChoices("cause", "reason"))
    clean: bool = False
    retryable: bool = False
    error: Any | None = Field(default=None, exclude=True)

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
    the client also truncated the item; the service's own ``output_audio_buffer.cleared`` over WebRTC).
    ``item_id`` is the item being played (``None`` when unknown) and ``audio_end_ms`` how much of it was
    played and kept in the conversation (``None`` when the client did not truncate). Output audio of that
    item that still arrives is not given to the audio callback.
    """

    service_type: str | None = STOP_PLAYBACK
    cause: str
    item_id: str | None = None
    audio_end_ms: int | None = None


class SessionEnd:
    """The end-of-session marker on the receive queue (one instance: :data:`END`).

    ``receive()`` stops when it reads it and puts it back, so every other consumer stops too. A marker
    left over from an earlier session is skipped once a new session runs.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<end of session>"


END = SessionEnd()
