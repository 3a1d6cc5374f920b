"""Conversation state that decoding needs across events.

Rules: the state is updated only by the decoder, from server events, in arrival order; it never does
I/O, and every update is O(1) however long the conversation (a linked order of item ids, dicts, the
:class:`~semantic_kernel_realtime.protocol.base.OutputAudio` stream). It remembers what a single event
does not carry: the function name behind a ``call_id`` (argument deltas carry only the id), the order
of items in the conversation, the active response, where each item's output audio lies in the stream
received (what a client needs to truncate an item on barge-in) and, for the most recent audio items,
when each piece of their transcript arrived relative to their audio (what :meth:`heard_text` reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from semantic_kernel_realtime.protocol.base import OutputAudio

#: Bytes per millisecond of the default output format (PCM16 mono 24 kHz).
PCM16_24K_BYTES_PER_MS = 48
#: The speaking rate assumed where the audio behind transcript text is not known yet (about 15 characters
#: per second, the pace of the usual voices); it only places the end of text whose audio has not arrived.
NOMINAL_MS_PER_CHARACTER = 65
#: How many recent items keep their transcript alignment (truncation concerns the item being played).
MAX_ALIGNED_ITEMS = 16


class ItemOrder:
    """Item ids in conversation order: O(1) append, insert-after, remove and membership."""

    __slots__ = ("_next", "_prev", "_head", "_tail")

    def __init__(self) -> None:
        self._next: dict[str, str | None] = {}
        self._prev: dict[str, str | None] = {}
        self._head: str | None = None
        self._tail: str | None = None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._next

    def __len__(self) -> int:
        return len(self._next)

    def __iter__(self) -> Iterator[str]:
        item_id = self._head
        following = self._next
        while item_id is not None:
            yield item_id
            item_id = following[item_id]

    def place(self, item_id: str, previous_item_id: str | None) -> None:
        """Put ``item_id`` after ``previous_item_id`` (at the end when that is unknown or ``None``)."""
        after = previous_item_id if previous_item_id in self._next else self._tail
        before = self._next[after] if after is not None else self._head
        self._prev[item_id], self._next[item_id] = after, before
        if after is None:
            self._head = item_id
        else:
            self._next[after] = item_id
        if before is None:
            self._tail = item_id
        else:
            self._prev[before] = item_id

    def remove(self, item_id: str) -> None:
        if item_id not in self._next:
            return
        after, before = self._prev.pop(item_id), self._next.pop(item_id)
        if after is None:
            self._head = before
        else:
            self._next[after] = before
        if before is None:
            self._tail = after
        else:
            self._prev[before] = after


class _Transcript:
    """An audio item's transcript so far, with the audio received when each run of it arrived."""

    __slots__ = ("parts", "chars", "marks", "audio_done")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.marks: list[tuple[int, int]] = []  # (bytes of the item's audio received, characters before)
        self.audio_done = False


@dataclass
class ConversationState:
    """What the decoder remembers about one realtime session."""

    call_names: dict[str, str] = field(default_factory=dict)
    """call_id -> wire function name (``plugin-function``)."""
    order: ItemOrder = field(default_factory=ItemOrder)
    """Conversation item ids in conversation order (:attr:`item_order` lists them)."""
    item_roles: dict[str, str] = field(default_factory=dict)
    """item_id -> role (``user``/``assistant``/``system``) or item type for non-message items."""
    active_response_id: str | None = None
    output_audio: OutputAudio = field(default_factory=OutputAudio)
    """Where each item's output audio lies in the stream received."""
    session: dict | None = None
    """The last session object the server reported (session.created/updated)."""
    transcripts: dict[str, _Transcript] = field(default_factory=dict)
    """item_id -> its audio transcript alignment, for the :data:`MAX_ALIGNED_ITEMS` most recent items."""

    @property
    def item_order(self) -> list[str]:
        """Conversation item ids in conversation order (a new list: O(items))."""
        return list(self.order)

    @property
    def audio_bytes(self) -> dict[str, int]:
        """item_id -> bytes of output audio received (decoded size); a snapshot."""
        audio = self.output_audio
        counts = dict(audio._item_bytes)
        if audio.current is not None:
            counts[audio.current.item_id] = audio.item_bytes(audio.current.item_id)
        return counts

    def add_item(self, item: dict, previous_item_id: str | None) -> None:
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return
        role = item.get("role") or item.get("type")
        if isinstance(role, str):
            self.item_roles[item_id] = role
        if item.get("type") == "function_call":
            call_id, name = item.get("call_id"), item.get("name")
            if isinstance(call_id, str) and isinstance(name, str):
                self.call_names[call_id] = name
        if item_id not in self.order:  # an item already placed keeps its place
            self.order.place(item_id, previous_item_id)

    def remove_item(self, item_id: str) -> None:
        self.order.remove(item_id)
        self.item_roles.pop(item_id, None)
        self.output_audio.forget(item_id)
        self.transcripts.pop(item_id, None)

    def add_audio(self, item_id: str, nbytes: int, content_index: int = 0) -> None:
        """Count ``nbytes`` more bytes of output audio for ``item_id``."""
        self.output_audio.add(item_id, nbytes, content_index)

    def audio_ms(self, item_id: str, bytes_per_ms: int | None = None) -> int:
        """Milliseconds of output audio received for ``item_id``."""
        return self.output_audio.item_bytes(item_id) // (bytes_per_ms or self.output_audio.bytes_per_ms)

    # -- transcript alignment --------------------------------------------------------------------------

    def add_transcript(self, item_id: str, delta: str) -> None:
        """A piece of ``item_id``'s audio transcript arrived (noted against the item's audio so far)."""
        transcripts = self.transcripts
        transcript = transcripts.get(item_id)
        if transcript is None:
            transcript = transcripts[item_id] = _Transcript()
            if len(transcripts) > MAX_ALIGNED_ITEMS:
                del transcripts[next(iter(transcripts))]
        audio_at = self.output_audio.item_bytes(item_id)
        marks = transcript.marks
        if not marks or marks[-1][0] != audio_at:
            marks.append((audio_at, transcript.chars))
        transcript.parts.append(delta)
        transcript.chars += len(delta)

    def audio_done(self, item_id: str) -> None:
        """All of ``item_id``'s output audio has arrived."""
        transcript = self.transcripts.get(item_id)
        if transcript is not None:
            transcript.audio_done = True

    def heard_text(self, item_id: str, audio_end_ms: int) -> str | None:
        """The words of ``item_id``'s transcript spoken in its first ``audio_end_ms``.

        Text that arrived when the item had ``a`` bytes of audio is taken to start being spoken at ``a``;
        between two such points characters are spread evenly over the audio, and text whose audio has not
        all arrived gets :data:`NOMINAL_MS_PER_CHARACTER`. The cut falls on the nearest word boundary.
        ``None`` when no transcript of the item was seen.
        """
        transcript = self.transcripts.get(item_id)
        if transcript is None or not transcript.marks:
            return None
        text = "".join(transcript.parts)
        per_ms = self.output_audio.bytes_per_ms
        end = max(0, audio_end_ms) * per_ms
        total = self.output_audio.item_bytes(item_id)
        last_at, last_chars = transcript.marks[-1]
        if transcript.audio_done and total > last_at:
            final_at = total
        else:
            final_at = max(total, last_at + (transcript.chars - last_chars) * NOMINAL_MS_PER_CHARACTER * per_ms)
        points = [*transcript.marks, (final_at, transcript.chars)]
        chars = transcript.chars
        for (at, before), (next_at, next_before) in zip(points, points[1:], strict=False):
            if end < at:
                chars = before
                break
            if end < next_at:
                chars = before + round((next_before - before) * (end - at) / (next_at - at))
                break
        return _cut_at_word(text, chars)


def _cut_at_word(text: str, chars: int) -> str:
    """``text`` cut at the word boundary nearest to ``chars`` characters."""
    if chars >= len(text):
        return text
    if chars <= 0:
        return ""
    left = max(text.rfind(" ", 0, chars + 1), 0)
    right = text.find(" ", chars)
    right = len(text) if right < 0 else right
    cut = right if right - chars < chars - left else left
    return text[:cut].rstrip()
