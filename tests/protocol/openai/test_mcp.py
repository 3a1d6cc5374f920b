"""MCP wire events (validated with the openai types) -> the typed MCP events after them."""

from __future__ import annotations

from semantic_kernel_realtime.events import McpApprovalRequestEvent, McpCallEvent, McpToolsEvent
from semantic_kernel_realtime.protocol import Decoder
from tests.openai_schema import validate_server_event

CALL = {"id": "mcp_1", "type": "mcp_call", "server_label": "docs", "name": "search", "arguments": '{"q": "x"}'}
TOOLS = {"id": "mcpl_1", "type": "mcp_list_tools", "server_label": "docs",
         "tools": [{"name": "search", "input_schema": {"type": "object"}}]}
APPROVAL = {"id": "mcpr_1", "type": "mcp_approval_request", "server_label": "docs", "name": "delete",
            "arguments": "{}"}


def _wire(kind: str, **fields) -> dict:
    event = {"type": kind, "event_id": "evt_1", **fields}
    validate_server_event(event)
    return event


def _decode(decoder: Decoder, event: dict) -> list:
    decoded = decoder.decode(event)
    assert decoded[0].service_event is event  # the wire event first, as received
    return decoded[1:]


def test_an_mcp_call_is_reported_as_it_progresses():
    decoder = Decoder()
    where = {"response_id": "resp_1", "output_index": 0}
    assert _decode(decoder, _wire("response.output_item.added", **where, item={**CALL, "arguments": ""})) == []
    (started,) = _decode(decoder, _wire("response.mcp_call.in_progress", item_id="mcp_1", output_index=0))
    assert isinstance(started, McpCallEvent) and started.status == "in_progress"
    assert (started.server_label, started.name) == ("docs", "search")
    (arguments,) = _decode(decoder, _wire("response.mcp_call_arguments.done", item_id="mcp_1", output_index=0,
                                          response_id="resp_1", arguments='{"q": "x"}'))
    assert arguments.status == "arguments" and arguments.arguments == '{"q": "x"}'
    (done,) = _decode(decoder, _wire("response.output_item.done", **where, item={**CALL, "output": "found"}))
    assert done.status == "completed" and done.output == "found" and done.error is None
    assert _decode(decoder, _wire("conversation.item.done", previous_item_id=None,
                                  item={**CALL, "output": "found"})) == []  # reported once


def test_a_failed_mcp_call_carries_its_error():
    decoder = Decoder()
    error = {"type": "protocol_error", "code": 1, "message": "down"}
    (done,) = _decode(decoder, _wire("response.output_item.done", response_id="r", output_index=0,
                                     item={**CALL, "error": error}))
    assert done.status == "failed" and done.error == error


def test_listed_tools_and_a_failed_listing():
    decoder = Decoder()
    (listed,) = _decode(decoder, _wire("conversation.item.done", previous_item_id=None, item=TOOLS))
    assert isinstance(listed, McpToolsEvent) and listed.status == "completed"
    assert listed.tools == TOOLS["tools"] and listed.server_label == "docs"
    (failed,) = _decode(decoder, _wire("mcp_list_tools.failed", item_id="mcpl_1"))
    assert failed.status == "failed" and failed.server_label == "docs"


def test_an_approval_request_is_reported_once():
    decoder = Decoder()
    (request,) = _decode(decoder, _wire("conversation.item.added", previous_item_id=None, item=APPROVAL))
    assert isinstance(request, McpApprovalRequestEvent)
    assert (request.approval_request_id, request.name, request.server_label) == ("mcpr_1", "delete", "docs")
    assert _decode(decoder, _wire("conversation.item.done", previous_item_id=None, item=APPROVAL)) == []


def test_remembered_mcp_items_are_bounded():
    decoder = Decoder()
    for n in range(500):
        decoder.decode({"type": "conversation.item.done", "item": {**APPROVAL, "id": f"mcpr_{n}"}})
    assert len(decoder.mcp_items) <= 64 and len(decoder.mcp_reported) <= 64
