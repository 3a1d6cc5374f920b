"""The codec seam: what every wire protocol provides, and the protocol-neutral facts it reports.

Rules:
- A :class:`Codec` is one wire protocol (OpenAI Realtime GA, Gemini Live, ...). Its class-level methods
  are stateless (settings, the events an application or a layer puts on the send queue); an instance
  holds one connection's wire state and turns messages into Semantic Kernel realtime events and back.
  Nothing here does I/O.
- :class:`Capabilities` says what differs between protocols where the layers above must act
  differently (who asks for the next response after tool outputs, sample rates, resumption).
- Layers above the codec (function calling, the history mirror, the onramp, barge-in) never read wire
  shapes: they react to the *signals* a codec derives from the events it decoded (:data:`Signal`). A
  codec reports signals only for the event types in its ``signal_types``; for every other event (audio,
  deltas) nothing is looked at.
- Usage is one protocol-neutral record, :class:`Usage` (defined beside the events that carry it, re-exported
  here): every codec fills it from its service's usage report and queues a ``UsageEvent`` after the event
  that carried it.
- Times inside signals are the service's own (``audio_ms``: milliseconds on the timeline of the input audio
  the service received); layers above map them to the client's clock.
- An instance keeps :class:`OutputAudio`, where each item's output audio lies in the stream received
  (O(1) per audio event), and can say which words of an item's transcript were spoken in its first
  milliseconds (``heard_text``): what barge-in truncation and the history mirror need.
- Interruptions differ by protocol, each a signal of its own fact: OpenAI reports the user's speech
  (:class:`SpeechStarted`) and lets the client cut what was not heard (``truncate_request``, then
  :class:`ItemTruncated`), or over WebRTC drops its own unplayed audio (:class:`OutputAudioCleared`); Gemini
  cuts its response itself, keeping what it sent, and says so (:class:`ResponseInterrupted`). A codec
  whose service cannot truncate has no ``truncate_request`` and no ``heard_text`` (both optional): the
  client then only stops playback. The client interrupts by itself with the optional ``cancel_request``
  (and, where the service plays out, ``clear_audio_request``).
- ``scripted_response(line)`` asks the model to say one given line (:data:`SCRIPTED_LINE` is the wording
  every codec uses: a guardrail's fallback line).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from semantic_kernel_realtime.events import Usage

if TYPE_CHECKING:
    from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
    from semantic_kernel.contents.chat_history import ChatHistory
    from semantic_kernel.contents.function_call_content import FunctionCallContent
    from semantic_kernel.contents.function_result_content import FunctionResultContent
    from semantic_kernel.contents.realtime_events import RealtimeEvents
    from semantic_kernel.kernel import Kernel

    from semantic_kernel_realtime.errors import ConnectionClosedError, RealtimeError

__all__ = [
    "SCRIPTED_LINE",
    "AudioSegment",
    "CallCompleted",
    "CallsCancelled",
    "Capabilities",
    "Codec",
    "Item",
    "ItemAdded",
    "ItemRemoved",
    "ItemText",
    "ItemTruncated",
    "OutputAudio",
    "OutputAudioCleared",
    "ResponseEnded",
    "ResponseInterrupted",
    "ResponseStarted",
    "ServiceError",
    "SessionConfigured",
    "SessionExpiring",
    "Signal",
    "SpeechStarted",
    "SpeechStopped",
    "Usage",
    "split_function_name",
]


#: How ``scripted_response`` asks a model to say one line (``{line}`` is the line).
SCRIPTED_LINE = 'Say exactly this and nothing else: "{line}"'


@dataclass(frozen=True)
class Capabilities:
    """What differs between wire protocols, for the layers above the codec."""

    name: str
    """A short protocol name for logs (``openai-ga``, ``gemini-live``)."""
    response_after_tool_output: bool
    """True when the client must ask for the next response once tool outputs are sent (OpenAI);
    False when the service continues by itself (Gemini)."""
    input_sample_rate: int
    """PCM16 mono rate the service expects for input audio."""
    output_sample_rate: int
    """PCM16 mono rate of the output audio it sends."""
    resumable: bool = False
    """True when the service can resume a session on a new connection by a handle."""
    reconfigurable: bool = True
    """True when a running session takes a new configuration (OpenAI's ``session.update``); False when the
    service configures a session only as it opens (Gemini's ``setup``): a settings update is then refused
    with a ``SendFailedEvent`` and a kernel change needs none (the kernel is read per call)."""
    echoes_items: bool = True
    """True when the service reports every item added to the conversation, the client's own included
    (OpenAI: the history mirror then holds the seeded history and the client's messages); False when only
    what the model and the user's speech add shows (Gemini): a replay then starts from the seeded history."""
    announces_responses: bool = True
    """True when the service says when each response starts (OpenAI's ``response.created``: a
    :class:`ResponseStarted`); False when only a response's end is known (Gemini), so a client cannot tell
    whether one is running and cancels without asking."""


def split_function_name(wire_name: str) -> tuple[str | None, str]:
    """A tool name as Semantic Kernel writes fully qualified names, ``plugin-function`` -> (plugin, function).

    A name without a dash has no plugin.
    """
    plugin, sep, function = wire_name.partition("-")
    return (plugin, function) if sep else (None, wire_name)


# -- signals: protocol-neutral facts about received events -------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """A conversation item, in protocol-neutral terms.

    ``kind`` is ``message``, ``function_call``, ``function_call_output`` or whatever else the service names.
    ``text`` is the item's words so far (message text or audio transcript; empty when none yet).
    """

    id: str
    kind: str
    role: str | None = None
    text: str = ""
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None


@dataclass(frozen=True, slots=True)
class CallCompleted:
    """The model finished a function call's arguments: it may run now."""

    call: FunctionCallContent
    response_id: str | None


@dataclass(frozen=True, slots=True)
class CallsCancelled:
    """The service withdrew calls it asked for (they must not be answered)."""

    call_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    """A response began. ``in_conversation`` is False for an out-of-band response: it adds nothing to the
    conversation and does not stop another response from starting."""

    response_id: str
    in_conversation: bool = True


@dataclass(frozen=True, slots=True)
class ResponseEnded:
    """A response ended; ``status`` is ``completed``, ``cancelled``, ``failed`` or ``incomplete``.

    ``usage``: the tokens it used, when the service said (the record both codecs fill; it lives in
    :mod:`semantic_kernel_realtime.events` so the receive queue can carry it as a ``UsageEvent``).
    """

    response_id: str | None
    status: str | None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class ResponseInterrupted:
    """The service stopped a response because the user spoke over it, and keeps in the conversation what
    it had sent (Gemini's ``interrupted``): what the client still holds of it should not be played. There
    is nothing to truncate. ``response_id``: the response (Gemini: the turn's local id), when known."""

    response_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemAdded:
    """An item entered the conversation after ``previous_item_id`` (``None``: at the end), or was updated.

    ``update_only``: the event only describes the item (a response's output, which out-of-band responses
    report too); it updates an item already in the conversation and never adds one.
    """

    item: Item
    previous_item_id: str | None
    update_only: bool = False


@dataclass(frozen=True, slots=True)
class ItemRemoved:
    item_id: str


@dataclass(frozen=True, slots=True)
class ItemTruncated:
    """The service cut an item's audio at ``audio_end_ms`` (and dropped the words not heard)."""

    item_id: str
    content_index: int
    audio_end_ms: int


@dataclass(frozen=True, slots=True)
class OutputAudioCleared:
    """The service dropped output audio it had not played yet (it plays out itself: WebRTC)."""

    response_id: str | None


@dataclass(frozen=True, slots=True)
class ItemText:
    """The final words of an item: a user transcript, or the assistant's text or audio transcript."""

    item_id: str
    role: str
    text: str


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The service's voice activity detection heard the user start speaking (over the assistant's audio,
    the moment to stop playing it: barge-in).

    ``audio_ms``: where, in milliseconds on the timeline of the input audio the service received (``None``
    when the service does not say). ``item_id``: the user item the speech will become, when the service
    names it.
    """

    audio_ms: int | None = None
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    """The service's voice activity detection heard the user stop speaking (``audio_ms`` as in
    :class:`SpeechStarted`: where the speech ended in the input audio)."""

    audio_ms: int | None = None


@dataclass(frozen=True, slots=True)
class SessionConfigured:
    """The service confirmed the session's configuration (at the start, and after each update).

    Each field is ``None`` (or empty) when the service did not say. ``tools`` are the tool definitions as
    the service echoes them; ``instructions`` the system instructions (content: log it only where
    content may be recorded).
    """

    model: str | None = None
    voice: str | None = None
    output_modalities: tuple[str, ...] = ()
    tools: tuple[Any, ...] = ()
    instructions: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceError:
    """The service reported an error (the session goes on unless it also closes).

    ``event_id`` names the client event it answers, when the service says.
    """

    message: str
    code: str | None = None
    event_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionExpiring:
    """The service will end (or has ended) this connection's session at its duration cap, on purpose.

    ``expires_at``: when the service says ahead of time (OpenAI's ``expires_at`` in ``session.created``), in
    seconds since the epoch on the service's clock. ``time_left``: the service announced the close, this many
    seconds from now (Gemini's ``goAway``). ``expired``: the session has just ended at its cap (OpenAI's
    ``session_expired`` error); the close that follows is planned, not a failure. A client moves to a fresh
    connection before the cap, or right after it, with the same conversation.
    """

    expires_at: float | None = None
    time_left: float | None = None
    expired: bool = False


Signal = (
    CallCompleted | CallsCancelled | ResponseStarted | ResponseEnded | ResponseInterrupted | ItemAdded | ItemRemoved
    | ItemText | ItemTruncated | SpeechStarted | SpeechStopped | OutputAudioCleared | SessionConfigured | ServiceError
    | SessionExpiring
)


# -- output audio: where each item's audio lies in what was received ---------------------------------


class AudioSegment:
    """A run of one item's output audio in the received stream."""

    __slots__ = ("item_id", "content_index", "start", "item_offset", "nbytes", "started_at")

    def __init__(self, item_id: str, content_index: int, start: int, item_offset: int,
                 started_at: float | None) -> None:
        self.item_id = item_id
        self.content_index = content_index
        self.start = start
        """Bytes of output audio received before this segment."""
        self.item_offset = item_offset
        """Bytes of this item's audio received before this segment."""
        self.nbytes = 0
        self.started_at = started_at
        """``OutputAudio.clock()`` when its first audio arrived (None without a clock)."""

    def __repr__(self) -> str:
        return f"AudioSegment({self.item_id!r}, start={self.start}, nbytes={self.nbytes})"


class OutputAudio:
    """The output audio a connection received, as positions in one stream of bytes (sans-I/O).

    Rules: the codec calls :meth:`add` for every output audio event that names its item, in arrival
    order; that is O(1) (a new :class:`AudioSegment` only when the item changes). ``received`` counts every
    byte; the most recent :attr:`MAX_SEGMENTS` segments are kept (the list is trimmed at twice that), enough to
    place any audio a player can still have buffered. ``bytes_per_ms`` follows the session's output format.
    ``clock`` (set by whoever owns the connection, e.g. the event loop's clock) stamps when each segment began.
    """

    MAX_SEGMENTS = 64

    __slots__ = ("received", "bytes_per_ms", "clock", "current", "_segments", "_item_bytes")

    def __init__(self, bytes_per_ms: int = 48, clock: Callable[[], float] | None = None) -> None:
        self.received = 0
        self.bytes_per_ms = bytes_per_ms
        self.clock = clock
        self.current: AudioSegment | None = None
        # Made with the first audio (idle sessions stay small); a list, not a deque (a deque's first block is 760
        # bytes per session for what is usually one segment), trimmed to MAX_SEGMENTS: O(1) amortised.
        self._segments: list[AudioSegment] | None = None
        self._item_bytes: dict[str, int] = {}  # bytes per item, segments before the current one

    def add(self, item_id: str, nbytes: int, content_index: int = 0) -> None:
        """``nbytes`` more bytes of output audio of ``item_id`` arrived."""
        segment = self.current
        if segment is None or segment.item_id != item_id:
            segment = self._start(item_id, content_index)
        segment.nbytes += nbytes
        self.received += nbytes

    def item_bytes(self, item_id: str) -> int:
        """Bytes of ``item_id``'s output audio received so far."""
        current = self.current
        if current is not None and current.item_id == item_id:
            return current.item_offset + current.nbytes
        return self._item_bytes.get(item_id, 0)

    def item_ms(self, item_id: str) -> int:
        return self.item_bytes(item_id) // self.bytes_per_ms

    def segments_after(self, position: int) -> list[tuple[AudioSegment, int]]:
        """The segments holding audio at or after stream ``position``, each with the offset (bytes, in its
        item) where that audio starts: what is not played when a player has played up to ``position``."""
        found: list[tuple[AudioSegment, int]] = []
        for segment in islice(reversed(self._segments or ()), self.MAX_SEGMENTS):  # the list may hold up to 2x
            if segment.start + segment.nbytes <= position:
                break
            if segment.nbytes:
                found.append((segment, segment.item_offset + max(0, position - segment.start)))
        found.reverse()
        return found

    def forget(self, item_id: str) -> None:
        """The item left the conversation: its byte count is not needed any more."""
        self._item_bytes.pop(item_id, None)

    def _start(self, item_id: str, content_index: int) -> AudioSegment:
        previous = self.current
        if previous is not None:
            self._item_bytes[previous.item_id] = previous.item_offset + previous.nbytes
        clock = self.clock
        segment = AudioSegment(item_id, content_index if type(content_index) is int else 0, self.received,
                               self._item_bytes.get(item_id, 0), clock() if clock is not None else None)
        segments = self._segments
        if segments is None:
            segments = self._segments = []
        segments.append(segment)
        if len(segments) >= 2 * self.MAX_SEGMENTS:
            del segments[:-self.MAX_SEGMENTS]
        self.current = segment
        return segment


class Codec(Protocol):
    """One wire protocol. Class-level: settings and send-queue events; an instance: one connection."""

    capabilities: ClassVar[Capabilities]
    #: The execution-settings class of this protocol (what ``get_prompt_execution_settings_class`` gives).
    settings_class: ClassVar[type[PromptExecutionSettings]]
    #: The ``service_type`` values (as received, old names included) whose events may carry signals.
    signal_types: ClassVar[frozenset[str]]

    def __init__(self, *, model: str | None = None) -> None: ...

    # -- stateless: settings and events for the send queue --------------------------------------------

    @classmethod
    def prepare_settings(
        cls, settings: PromptExecutionSettings | None, kernel: Kernel | None
    ) -> PromptExecutionSettings:
        """``settings`` as this protocol's settings class, tools filled in from ``kernel``'s functions."""
        ...

    @classmethod
    def text_only(cls, settings: PromptExecutionSettings | None) -> PromptExecutionSettings:
        """A copy of ``settings`` for a text-only turn whose tools are already filled in (invocation off)."""
        ...

    @staticmethod
    def update_settings_from_function_choice(configuration: Any, settings: Any, choice_type: Any) -> None:
        """Semantic Kernel's function-choice callback: set this protocol's tool fields on ``settings``."""
        ...

    @classmethod
    def session_object(cls, settings: PromptExecutionSettings, *, model: str | None = None) -> dict[str, Any]:
        """The session configuration ``settings`` opens a connection with, as the wire carries it."""
        ...

    @classmethod
    def session_update(cls, settings: PromptExecutionSettings) -> RealtimeEvents:
        """An event for the send queue that reconfigures a running session."""
        ...

    @classmethod
    def history(cls, chat_history: ChatHistory | None) -> list[RealtimeEvents]:
        """Events for the send queue that add ``chat_history``'s messages to the conversation."""
        ...

    @classmethod
    def response_request(cls, *, event_id: str | None = None, allow_tools: bool = True) -> RealtimeEvents:
        """An event for the send queue that asks the model to respond now.

        ``event_id`` tags the request so an error about it can be told apart (``ServiceError.event_id``);
        ``allow_tools=False`` asks for an answer that calls no tool. A protocol without either ignores it.
        """
        ...

    @classmethod
    def truncate_request(cls, item_id: str, content_index: int, audio_end_ms: int) -> RealtimeEvents:
        """An event for the send queue that cuts an item's audio (and its unheard words) at ``audio_end_ms``.

        Optional: a codec whose service has no truncation leaves it out (barge-in then only stops playback).
        """
        ...

    @classmethod
    def cancel_request(cls, *, event_id: str | None = None) -> RealtimeEvents:
        """An event for the send queue that stops the response being generated (an interruption by the client).

        Optional, like ``truncate_request``. ``event_id`` tags it so the service's refusal (no response was
        active) can be told apart (``ServiceError.event_id``); a protocol without event ids ignores it.
        """
        ...

    @classmethod
    def clear_audio_request(cls) -> RealtimeEvents:
        """An event for the send queue that drops the output audio the service has not played out yet.

        Optional: only where the service plays the audio out itself (OpenAI over WebRTC); it then truncates
        the item to what it played and reports :class:`OutputAudioCleared`.
        """
        ...

    @classmethod
    def scripted_response(cls, line: str) -> list[RealtimeEvents]:
        """Events for the send queue that ask the model to say ``line`` and nothing else (a fallback line).

        How is the protocol's: a response request whose own instructions ask for the line (OpenAI), or a
        client turn that asks for it (Gemini, which has no per-response instructions).
        """
        ...

    @classmethod
    def function_result(cls, result: FunctionResultContent) -> RealtimeEvents:
        """An event for the send queue that answers a function call."""
        ...

    @classmethod
    def canonical_type(cls, service_type: str) -> str:
        """The current name of a wire event type (older names mapped; others unchanged)."""
        ...

    @classmethod
    def signals(cls, event: RealtimeEvents) -> Sequence[Signal]:
        """The protocol-neutral facts of a decoded event (empty for most). Never raises."""
        ...

    @classmethod
    def close_error(cls, error: ConnectionClosedError) -> RealtimeError:
        """What the service's close of a connection means in this protocol: a more precise typed error (a
        refused key: ``AuthenticationError``), or ``error`` itself. Never raises."""
        ...

    # -- one connection ---------------------------------------------------------------------------------

    #: The output audio this connection received, in stream order.
    output_audio: OutputAudio

    def heard_text(self, item_id: str, audio_end_ms: int) -> str | None:
        """The words of ``item_id``'s audio transcript spoken in its first ``audio_end_ms`` (an estimate
        at word boundaries); ``None`` when the codec saw no transcript of it. Optional, like
        ``truncate_request``: only a service that truncates needs it (the mirror then keeps an item's words)."""
        ...

    def opening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None) -> list[str]:
        """The messages that open a connection: the session configuration, then the seeded history."""
        ...

    def reopening(self, session: dict[str, Any] | None, chat_history: ChatHistory | None, previous: Codec
                  ) -> tuple[list[str], bool]:
        """The messages that open a connection continuing the session ``previous`` (the last connection's
        codec) served, and whether the service resumes it itself (then ``chat_history`` is not sent): the
        session configuration, then the conversation so far, its items keeping their ids where the protocol
        has them; or, where the service can resume a session by a handle and ``previous`` got one, the
        configuration naming that handle."""
        ...

    #: The id of the conversation item the last :meth:`encode` creates (``None``: none, or the protocol
    #: names no items), so a reconnecting client knows which of the items it sent the service confirmed.
    created_item: str | None

    def decode(self, message: str | bytes) -> list[RealtimeEvents]:
        """One received message -> SK events. Never raises (bad input -> ``MalformedServerEvent``)."""
        ...

    def encode(self, event: RealtimeEvents) -> str:
        """One SK event -> the message to send. Raises ``EncodeError``."""
        ...

    # Optional: ``encode_audio(pcm: bytes) -> bytes``, the message that sends one chunk of raw PCM16 at the
    # input rate, as UTF-8 JSON text (the send path's fast path: no SK event built). Without it, the client
    # builds an audio event and calls ``encode``.
