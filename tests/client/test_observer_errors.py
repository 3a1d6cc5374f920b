"""Observers cannot end a session: a failure on one event becomes an ObserverErrorEvent and the session goes on.

Valid JSON with a wrong shape reaches function calling, the history mirror and barge-in through the codec's
signals; the hypothesis test feeds them recorded streams (../shared) with fields replaced by wrong types,
deep nesting and lists.
"""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.realtime_events import RealtimeFunctionResultEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import ObserverErrorEvent, OpenAIRealtimeWebsocket, SessionEndedEvent
from semantic_kernel_realtime.client.connection import Connection
from semantic_kernel_realtime.function_calling import history as mirror
from semantic_kernel_realtime.protocol import OpenAICodec, RealtimeExecutionSettings
from semantic_kernel_realtime.protocol.base import ItemAdded
from tests.client.loopback import LoopbackServer
from tests.openai_schema import FIXTURES

RECORDINGS = sorted((FIXTURES / "openai").glob("*.jsonl"))
DEEP = '{"a":' * 1000 + "1" + "}" * 1000
DEEP_LIST = "[" * 1000 + "]" * 1000
_DEEP, _DEEP_LIST = "\x00deep\x00", "\x00deep-list\x00"


class Tools:
    @kernel_function
    def ping(self) -> str:
        return "pong"


def _client(base_url: str = "http://127.0.0.1:9/v1") -> Any:
    kernel = Kernel()
    kernel.add_plugin(Tools(), "t")
    return OpenAIRealtimeWebsocket(api_key="k", base_url=base_url), kernel


AUTO = RealtimeExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())


async def test_an_application_observer_that_raises_does_not_end_the_session():
    async with LoopbackServer() as server:
        client, _ = _client(server.base_url)

        def broken(event: Any) -> None:
            raise ValueError("observer bug")

        client.add_observer(broken, ["response.created"])
        async with client():
            await server.send({"type": "response.created", "event_id": "e1", "response": {"id": "r1"}})
            await server.send({"type": "response.done", "event_id": "e2", "response": {"id": "r1"}})
            events = []
            async for event in client.receive():
                events.append(event)
                if event.service_type == "response.done":
                    break
    error = next(e for e in events if isinstance(e, ObserverErrorEvent))
    assert error.observed_type == "response.created"
    assert "broken" in error.cause and "ValueError: observer bug" in error.cause
    assert isinstance(error.error, ValueError)
    types = [e.service_type for e in events]
    assert types.index("client.observer_error") == types.index("response.created") - 1
    assert not any(isinstance(e, SessionEndedEvent) for e in events)


async def test_a_session_hook_that_raises_on_a_signal_does_not_end_the_session():
    from semantic_kernel_realtime.client.hooks import SessionHooks
    from semantic_kernel_realtime.protocol.base import ResponseEnded, ResponseStarted

    class BrokenHook(SessionHooks):
        signal_types = frozenset({ResponseStarted, ResponseEnded})

        def __init__(self) -> None:
            self.seen: list[type] = []

        def signal(self, signal: Any) -> None:
            self.seen.append(type(signal))
            if type(signal) is ResponseStarted:
                raise RuntimeError("hook bug")

    hook = BrokenHook()
    async with LoopbackServer() as server:
        client, _ = _client(server.base_url)
        client.attach(hook)
        async with client():
            await server.send({"type": "response.created", "event_id": "e1", "response": {"id": "r1"}})
            await server.send({"type": "response.done", "event_id": "e2", "response": {"id": "r1"}})
            events = []
            async for event in client.receive():
                events.append(event)
                if event.service_type == "response.done":
                    break
    error = next(e for e in events if isinstance(e, ObserverErrorEvent))
    assert error.observed_type == "response.created" and "session hook BrokenHook" in error.cause
    assert "RuntimeError: hook bug" in error.cause
    assert hook.seen == [ResponseStarted, ResponseEnded]  # it still sees what follows
    assert not any(isinstance(e, SessionEndedEvent) for e in events)


async def test_a_failing_built_in_observer_is_reported_and_the_others_still_see_the_signal(monkeypatch):
    async with LoopbackServer() as server:
        client, kernel = _client(server.base_url)
        async with client(settings=AUTO, kernel=kernel):
            def broken(history: Any, signal: Any) -> None:
                raise RuntimeError("mirror bug")

            monkeypatch.setitem(mirror._HANDLERS, ItemAdded, broken)
            await server.send({"type": "conversation.item.added", "event_id": "e1", "item": {
                "id": "fc", "type": "function_call", "call_id": "c1", "name": "t-ping", "arguments": "{}"}})
            await server.send({"type": "response.function_call_arguments.done", "event_id": "e2", "response_id": "",
                               "item_id": "fc", "call_id": "c1", "name": "t-ping", "arguments": "{}"})
            events = []
            async for event in client.receive():
                events.append(event)
                if isinstance(event, RealtimeFunctionResultEvent):
                    break
    error = next(e for e in events if isinstance(e, ObserverErrorEvent))
    assert error.observed_type == "conversation.item.added"
    assert error.cause.startswith("the history mirror failed") and "mirror bug" in error.cause
    assert events[-1].function_result.result == "pong"  # function calling went on


@pytest.mark.parametrize("bad", [
    '{"type": "response.done", "event_id": "e1", "response": {"id": "r1", "status": ["completed"]}}',
    '{"type": "response.function_call_arguments.done", "event_id": "e1", "item_id": "fc", "call_id": "c1", '
    '"name": "t-ping", "arguments": "{}", "response_id": ' + DEEP + "}",
    '{"type": "conversation.item.added", "event_id": "e1", "item": {"id": "x", "type": "message", "role": "user", '
    '"content": ' + DEEP_LIST + "}}",
    '{"type": "error", "event_id": "e1", "error": ' + DEEP + "}",
], ids=["status-list", "response_id-1000-deep", "content-1000-deep", "error-1000-deep"])
async def test_wrong_shapes_from_the_wire_do_not_end_the_session(bad):
    async with LoopbackServer() as server:
        client, kernel = _client(server.base_url)
        async with client(settings=AUTO, kernel=kernel):
            await server.connected.wait()
            await server.connection.send(bad)
            await server.send({"type": "response.created", "event_id": "after", "response": {"id": "r2"}})
            events = []
            async for event in client.receive():
                events.append(event)
                if event.service_type == "response.created":
                    break
            assert client.is_open
    assert not any(isinstance(e, (SessionEndedEvent, ObserverErrorEvent)) for e in events), events


# -- hypothesis: recorded streams with fields of the wrong shape -------------------------------------------------


def _recorded() -> list[list[dict]]:
    streams = []
    for path in RECORDINGS:
        events = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        streams.append([e for e in events if isinstance(e, dict)])
    return streams


STREAMS = _recorded() if RECORDINGS else []

WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), st.text(max_size=4),
    st.lists(st.one_of(st.integers(), st.text(max_size=2), st.none()), max_size=3),
    st.dictionaries(st.sampled_from(["id", "type", "status", "item_id", "x"]), st.integers(), max_size=2),
    st.just(_DEEP), st.just(_DEEP_LIST),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            paths += _paths(child, (*prefix, index))
    return paths


def _replace(event: dict, path: tuple, value: Any) -> None:
    target: Any = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@st.composite
def broken_streams(draw: Any) -> list[str]:
    events = copy.deepcopy(draw(st.sampled_from(STREAMS)))
    for _ in range(draw(st.integers(1, 12))):
        index = draw(st.integers(0, len(events) - 1))
        paths = [p for p in _paths(events[index]) if p != ("type",)] or [("extra",)]
        _replace(events[index], draw(st.sampled_from(paths)), draw(WRONG))
    return [json.dumps(e).replace(json.dumps(_DEEP), DEEP).replace(json.dumps(_DEEP_LIST), DEEP_LIST)
            for e in events]


async def _feed(messages: list[str]) -> list[Any]:
    """The whole receive path of a live connection (codec, built-in observers, an application observer)."""
    loop = asyncio.get_running_loop()
    failures: list[Any] = []
    loop.set_exception_handler(lambda _, context: failures.append(context))
    client, kernel = _client()
    client._kernel = kernel
    client._session_settings = client._prepare(AUTO)
    client.add_observer(lambda event: None)
    connection = Connection(client, await client._create_transport(), OpenAICodec())
    client._connection = connection
    connection.observe(client._observers)
    for message in messages:
        connection.inbound.message(message)  # the transport's sink: raising here would end the session
    for _ in range(5):
        await asyncio.sleep(0)
    await connection.functions.aclose()
    queued = []
    while not client.receive_buffer.empty():
        queued.append(client.receive_buffer.get_nowait())
    assert failures == []  # no task of the session died with an exception
    return queued


@pytest.mark.skipif(not RECORDINGS, reason=f"recorded streams missing: {FIXTURES / 'openai'}")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages=broken_streams())
def test_recorded_streams_with_wrong_shapes_never_end_the_session_by_an_observer(messages):
    queued = asyncio.run(_feed(messages))
    assert not [e for e in queued if isinstance(e, ObserverErrorEvent)]  # the built-in observers take any shape
