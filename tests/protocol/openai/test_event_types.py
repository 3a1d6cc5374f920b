from __future__ import annotations

import typing

from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent

from semantic_kernel_realtime.protocol import BETA_TO_GA, CLIENT_EVENT_TYPES, canonical_type
from semantic_kernel_realtime.protocol.openai.event_types import SERVER_EVENT_TYPES


def _literal_types(union) -> set[str]:
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}


def test_client_event_types_match_the_openai_package():
    assert _literal_types(RealtimeClientEvent) == CLIENT_EVENT_TYPES


def test_server_event_types_match_the_openai_package():
    assert _literal_types(RealtimeServerEvent) == SERVER_EVENT_TYPES


def test_beta_names_map_to_real_ga_server_event_types():
    ga = _literal_types(RealtimeServerEvent)
    assert set(BETA_TO_GA.values()) <= ga
    # the openai package still carries conversation.item.created; the other beta names are gone from GA
    assert set(BETA_TO_GA) & ga <= {"conversation.item.created"}


def test_canonical_type():
    assert canonical_type("response.audio.delta") == "response.output_audio.delta"
    assert canonical_type("response.output_audio.delta") == "response.output_audio.delta"
    assert canonical_type("something.new") == "something.new"
