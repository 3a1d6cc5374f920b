"""Flow control of the transports: the inbox holds messages while paused (WebRTC's data channel), in order."""

from __future__ import annotations

import asyncio

from semantic_kernel_realtime.transports.base import FlowControl, Inbox
from semantic_kernel_realtime.transports.webrtc import WebRTCTransport
from semantic_kernel_realtime.transports.websocket import WebSocketTransport


def test_both_transports_offer_flow_control():
    assert isinstance(WebSocketTransport("ws://127.0.0.1:1"), FlowControl)
    assert all(callable(getattr(WebRTCTransport, name, None)) for name in ("pause_reading", "resume_reading"))


async def test_a_paused_inbox_holds_messages_in_order_and_resumes():
    inbox = Inbox()
    got: list[str] = []
    ended = asyncio.Event()
    listening = asyncio.create_task(inbox.listen(got.append, ended.wait))
    await asyncio.sleep(0)
    inbox.deliver("a")
    inbox.pause()
    inbox.deliver("b")
    inbox.deliver("c")
    assert got == ["a"]
    inbox.resume()
    assert got == ["a", "b", "c"]
    inbox.deliver("d")
    assert got == ["a", "b", "c", "d"]
    ended.set()
    await listening


async def test_a_sink_that_pauses_again_while_held_messages_are_handed_on_keeps_the_rest_first():
    inbox = Inbox()
    got: list[str] = []

    def sink(message: str) -> None:
        got.append(message)
        if message == "b":
            inbox.pause()

    ended = asyncio.Event()
    listening = asyncio.create_task(inbox.listen(sink, ended.wait))
    await asyncio.sleep(0)
    inbox.pause()
    for message in "abcd":
        inbox.deliver(message)
    inbox.resume()
    assert got == ["a", "b"]
    inbox.deliver("e")
    inbox.resume()
    assert got == ["a", "b", "c", "d", "e"]
    ended.set()
    await listening
