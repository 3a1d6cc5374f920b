"""Gemini Live events -> protocol-neutral signals (:mod:`semantic_kernel_realtime.protocol.base`).

Rules: the decoder settles the facts of a turn when it decodes the message that establishes them and puts
them on that message's :class:`~.decode.GeminiServerEvent` (``facts``), so this module only reads them:
a ``toolCall`` places the user's words, the model's words so far and each call in the conversation; its
function-call events each say :class:`CallCompleted` (Gemini sends a call whole); a ``toolCallCancellation``
says :class:`CallsCancelled`; a ``turnComplete`` places the turn's words and says :class:`ResponseEnded`
(``cancelled`` when the turn was ``interrupted``) with the turn's usage; an ``interrupted`` flag says
:class:`ResponseInterrupted` as it arrives. Gemini sends no event that settles
an item's words, so the decoder's ``TextDoneEvent`` says :class:`ItemText`. Only :data:`SIGNAL_TYPES` carry
signals; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Sequence

from semantic_kernel.contents.realtime_events import RealtimeEvents, RealtimeFunctionCallEvent

from semantic_kernel_realtime.events import TEXT_DONE, TextDoneEvent
from semantic_kernel_realtime.protocol.base import CallCompleted, ItemText, Signal
from semantic_kernel_realtime.protocol.gemini.decode import FACT_TYPES, GeminiServerEvent

#: Every ``service_type`` whose events may carry signals.
SIGNAL_TYPES = FACT_TYPES | {TEXT_DONE}
_NONE: tuple[Signal, ...] = ()


def signals(event: RealtimeEvents) -> Sequence[Signal]:
    """The signals of one decoded event (empty for most)."""
    if type(event) is GeminiServerEvent:
        return event.facts
    if type(event) is RealtimeFunctionCallEvent:
        call = event.function_call
        return (CallCompleted(call, (call.metadata or {}).get("response_id")),)
    if type(event) is TextDoneEvent and event.item_id is not None and event.text:
        return (ItemText(event.item_id, event.role, event.text),)
    return _NONE
