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
