"""docs/protocol.md must name every event type the code maps, so the mapping table cannot silently rot."""

from __future__ import annotations

from pathlib import Path

import pytest

from semantic_kernel_realtime.protocol.openai.decode import _GA_HANDLERS
from semantic_kernel_realtime.protocol.openai.encode import _ENCODERS
from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA, CLIENT_EVENT_TYPES

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("wire_type", sorted(_GA_HANDLERS))
def test_doc_names_every_server_event_with_a_handler(doc, wire_type):
    assert f"`{wire_type}`" in doc


@pytest.mark.parametrize("beta", sorted(BETA_TO_GA))
def test_doc_names_every_beta_name_and_its_ga_name(doc, beta):
    assert f"`{beta}`" in doc
    assert f"| `{beta}` | `{BETA_TO_GA[beta]}` |" in doc, "the beta table row must give the GA name"


@pytest.mark.parametrize("client_type", sorted(CLIENT_EVENT_TYPES))
def test_doc_names_every_client_event_type(doc, client_type):
    assert f"`{client_type}`" in doc


@pytest.mark.parametrize("cls", [c.__name__ for c in _ENCODERS])
def test_doc_names_every_encoded_sk_event_class(doc, cls):
    assert f"`{cls}`" in doc


def _table(doc: str, heading: str) -> dict[str, list[str]]:
    """The rows of the table under ``heading``: first column's type -> the other columns."""
    section = doc.split(heading, 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


_SAMPLE = {"delta": "AAAA", "call_id": "c", "name": "n", "arguments": "{}", "item_id": "i", "session": {},
           "response": {"id": "r", "usage": {"total_tokens": 1}}, "transcript": "x", "text": "x",
           "item": {"id": "i", "type": "message"}}


def test_every_ga_server_event_is_in_the_table_with_what_it_becomes(doc):
    import typing

    from openai.types.realtime import RealtimeServerEvent

    from semantic_kernel_realtime.protocol import Decoder

    members = typing.get_args(typing.get_args(RealtimeServerEvent)[0])
    ga = {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}
    table = _table(doc, "### Server events → SK events")
    assert set(table) == ga
    for wire_type, (becomes, _notes) in table.items():
        decoded = Decoder().decode({"type": wire_type, **_SAMPLE})
        assert becomes == ", then ".join(f"`{type(e).__name__}`" for e in decoded), wire_type


def test_every_ga_client_event_is_in_the_table(doc):
    import typing

    from openai.types.realtime import RealtimeClientEvent

    members = typing.get_args(typing.get_args(RealtimeClientEvent)[0])
    ga = {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}
    assert set(_table(doc, "### Client events ← what sends them")) == ga
