"""McpApprover: each approval request answered with the callback's verdict, off the receive path."""

from __future__ import annotations

import asyncio

from semantic_kernel_realtime.events import McpApprovalRequestEvent
from semantic_kernel_realtime.function_calling.mcp import McpApprover
from semantic_kernel_realtime.protocol import encode_event
from tests.openai_schema import validate_client_event


def _request(name: str, request_id: str = "mcpr_1") -> McpApprovalRequestEvent:
    return McpApprovalRequestEvent(approval_request_id=request_id, server_label="docs", name=name, arguments="{}")


async def _answers(decide, *requests) -> list[dict]:
    sent: list = []
    approver = McpApprover(decide, sent.append)
    for request in requests:
        approver(request)
    await asyncio.sleep(0.05)
    await approver.aclose()
    answers = [encode_event(event) for event in sent]
    for answer in answers:
        validate_client_event(answer)
    return [answer["item"] for answer in answers]


async def test_sync_and_async_verdicts_are_sent_as_approval_responses():
    async def slowly(request):
        await asyncio.sleep(0.01)
        return request.name == "search"

    items = await _answers(lambda r: r.name == "search", _request("search", "a"), _request("delete", "b"))
    assert [(i["approval_request_id"], i["approve"]) for i in items] == [("a", True), ("b", False)]
    items = await _answers(slowly, _request("search", "c"))
    assert [(i["approval_request_id"], i["approve"]) for i in items] == [("c", True)]


async def test_a_failing_callback_denies_and_says_why():
    def broken(request):
        raise RuntimeError("no")

    (item,) = await _answers(broken, _request("search"))
    assert item["approve"] is False and "RuntimeError" in item["reason"]


async def test_other_events_are_ignored():
    sent: list = []
    approver = McpApprover(lambda r: True, sent.append)
    approver(object())
    await asyncio.sleep(0)
    assert sent == []
