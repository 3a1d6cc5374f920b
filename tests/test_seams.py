"""The codec seam holds: above the codec, no module names a wire event type of the OpenAI protocol.

Client, function calling and telemetry work for every codec only if they react to the codec's signals and events
rather than to one protocol's names; the wire names are the OpenAI package's own unions (GA) and the beta
names the OpenAI codec still reads.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent

from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA

PACKAGE = Path(__file__).resolve().parents[1] / "semantic_kernel_realtime"
ABOVE_THE_CODEC = ("client", "function_calling", "telemetry")


def _wire_types() -> set[str]:
    names = set(BETA_TO_GA)
    for union in (RealtimeClientEvent, RealtimeServerEvent):
        for model in typing.get_args(typing.get_args(union)[0]):
            names |= set(typing.get_args(model.model_fields["type"].annotation))
    return {name for name in names if "." in name}  # "error" is also an English word


WIRE_TYPES = _wire_types()


def test_the_wire_vocabulary_is_read_from_the_openai_package():
    assert {"response.create", "response.done", "response.function_call_arguments.done",
            "conversation.item.create", "session.update"} <= WIRE_TYPES


@pytest.mark.parametrize("path", [p for layer in ABOVE_THE_CODEC for p in sorted((PACKAGE / layer).rglob("*.py"))],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_openai_wire_event_type_is_named_above_the_codec(path):
    text = path.read_text()
    named = sorted(name for name in WIRE_TYPES if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text))
    assert not named, f"{path.name} names {named}"
