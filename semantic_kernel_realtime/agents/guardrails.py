"""Output guardrails: checks over the assistant's transcript as it streams.

Rules:
- An :class:`OutputGuardrail` is a function of the transcript so far (``str``) that returns a truthy value
  (a reason, or True) when the words must not be said, plain or ``async``. It runs every ``every_chars``
  new characters of an item and once on the item's final words; it must be quick (it runs on the session's
  receive path).
- :class:`TranscriptWatch` keeps, per assistant item, the words so far and how far they were checked: O(1)
  work per delta plus the guardrails' own. An item that tripped is not checked again.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["OutputGuardrail", "TranscriptWatch", "Trip"]

Check = Callable[[str], "object | Awaitable[object]"]


@dataclass(frozen=True)
class OutputGuardrail:
    """``check(text)`` truthy = trip. ``fallback_line`` overrides the agent's for this guardrail."""

    check: Check
    name: str = ""
    every_chars: int = 20
    fallback_line: str | None = None

    def __post_init__(self) -> None:
        if self.every_chars < 1:
            raise ValueError("every_chars must be at least 1")
        if not self.name:
            object.__setattr__(self, "name", getattr(self.check, "__name__", type(self.check).__name__))

    async def tripped(self, text: str) -> str | None:
        """The reason this guardrail trips on ``text`` (None: it passes)."""
        verdict = self.check(text)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if not verdict:
            return None
        return verdict if isinstance(verdict, str) else f"the guardrail {self.name} rejected the words"


@dataclass(frozen=True)
class Trip:
    guardrail: OutputGuardrail
    reason: str
    text: str


@dataclass
class _Item:
    text: list[str] = field(default_factory=list)
    length: int = 0
    checked: int = 0


class TranscriptWatch:
    """Per-item transcript state for a set of guardrails."""

    __slots__ = ("_items", "_tripped")

    def __init__(self) -> None:
        self._items: dict[str, _Item] = {}
        self._tripped: set[str] = set()

    async def delta(self, item_id: str, text: str, guardrails: list[OutputGuardrail]) -> Trip | None:
        if item_id in self._tripped or not guardrails:
            return None
        item = self._items.setdefault(item_id, _Item())
        item.text.append(text)
        item.length += len(text)
        due = [g for g in guardrails if item.length - item.checked >= g.every_chars]
        if not due:
            return None
        item.checked = item.length
        return await self._check(item_id, "".join(item.text), due)

    async def done(self, item_id: str, text: str, guardrails: list[OutputGuardrail]) -> Trip | None:
        self._items.pop(item_id, None)
        if item_id in self._tripped or not guardrails:
            return None
        return await self._check(item_id, text, guardrails)

    async def _check(self, item_id: str, text: str, guardrails: list[OutputGuardrail]) -> Trip | None:
        for guardrail in guardrails:
            reason = await guardrail.tripped(text)
            if reason is not None:
                self._tripped.add(item_id)
                self._items.pop(item_id, None)
                return Trip(guardrail, reason, text)
        return None
