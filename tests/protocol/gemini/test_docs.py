"""docs/providers/gemini.md must name every Gemini message field the code maps, both ways.

(Its code blocks run with every other doc's, in tests/test_docs_snippets.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from semantic_kernel_realtime.protocol.gemini.decode import _CAMEL_CONTENT, _CAMEL_FIELDS, FACT_TYPES
from semantic_kernel_realtime.protocol.gemini.encode import _ENCODERS, CLIENT_MESSAGE_TYPES

DOC = Path(__file__).resolve().parents[3] / "docs" / "providers" / "gemini.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(_CAMEL_FIELDS))
def test_doc_maps_every_server_message_field(doc, field):
    assert re.search(rf"^\| `{field}`", doc, flags=re.M), f"no decode row for {field}"


@pytest.mark.parametrize("field", sorted(_CAMEL_CONTENT))
def test_doc_maps_every_server_content_field(doc, field):
    assert f"`serverContent.{field}" in doc


@pytest.mark.parametrize("service_type", sorted(FACT_TYPES))
def test_doc_says_which_events_carry_signals(doc, service_type):
    assert f"(`{service_type}`)" in doc


@pytest.mark.parametrize("field", sorted(CLIENT_MESSAGE_TYPES))
def test_doc_names_every_client_message_field(doc, field):
    assert f"`{field}`" in doc


@pytest.mark.parametrize("cls", [c.__name__ for c in _ENCODERS if c.__name__ != "RealtimeEvent"])
def test_doc_has_an_encode_row_for_every_sk_event_class(doc, cls):
    assert re.search(rf"^\| `{cls}` \|", doc, flags=re.M)

