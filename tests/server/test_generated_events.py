"""Generated GA client events against the engine: whatever valid event arrives, no internal error.

The events come from the ``openai`` package's own client-event models (``ga_strategies``), ``null``s
included, and go over the engine's wire entry point (``receive_text``) one session at a time, with item
ids and audio sometimes swapped for real ones so the handlers get past their lookups. Each session ends
once its responses have finished; then nothing may have been reported as a server error, every server
event must be a valid GA event, and nothing may have been logged as an error.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semantic_kernel_realtime.server.engine import SessionEngine
from semantic_kernel_realtime.server.validation import EventValidationError, validate_server_event
from tests.server.ga_strategies import client_events

EVENTS_PER_SESSION = 20
SESSIONS = 110  # x 20 = 2,200 events
_REFERENCES = ("item_id", "previous_item_id", "response_id")
_PCM = base64.b64encode(bytes(range(256)) * 12).decode()  # 64 ms of (loud) PCM16


class Judge:
    """Collects what a session sends and what would make it a failure."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.failures: list[str] = []
        self._streaming: set[str | None] = set()

    def __call__(self, event: dict) -> None:
        # every event is checked, except repeats of an audio delta of the same response (thousands, alike)
        repeat = event["type"] == "response.output_audio.delta" and event["response_id"] in self._streaming
        if not repeat:
            self._streaming.add(event.get("response_id"))
            try:
                validate_server_event(json.loads(json.dumps(event)))
            except EventValidationError as exc:
                self.failures.append(f"invalid server event {event['type']}: {exc.message}")
        if event["type"] == "error" and event["error"]["type"] == "server_error":
            self.failures.append(f"server error: {event['error']}")
        if event["type"] == "response.done" and event["response"]["status"] == "failed":
            self.failures.append(f"failed response: {event['response']['status_details']}")
        self.events.append(event)


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def with_real_references(event: dict, engine: SessionEngine, draw) -> dict:
    """Sometimes point the event at an item or response the session has, or give it decodable audio."""
    known = [item["id"] for item in engine.conversation.items]
    active = engine.active_response
    for key in _REFERENCES:
        # draws must not depend on the session's state (responses run concurrently): pick by a fixed index
        if key in event and draw(st.booleans()):
            choices = known if key != "response_id" else ([active.id] if active else [])
            pick = draw(st.integers(0, 15))
            if choices:
                event[key] = choices[pick % len(choices)]
    if event["type"] == "input_audio_buffer.append" and draw(st.booleans()):
        event["audio"] = _PCM
    return event


async def run_session(draw) -> tuple[Judge, int]:
    judge = Judge()
    engine = SessionEngine(judge)  # no transcriber, the tone synthesizer: what speech=False servers run
    engine.start()
    sent = 0
    for _ in range(EVENTS_PER_SESSION):
        event = with_real_references(draw(client_events()), engine, draw)
        engine.receive_text(json.dumps(event))
        sent += 1
        await asyncio.sleep(0)  # let responses and transcriptions take a step between events
    running = [task for task in engine._tasks if not task.done()]
    if running:
        _, late = await asyncio.wait(running, timeout=10)
        if late:
            judge.failures.append(f"{len(late)} task(s) still running 10 s after the last event")
    await engine.close()
    return judge, sent


def test_generated_valid_events_never_cause_an_internal_error():
    log = ErrorLog()
    server_logger = logging.getLogger("semantic_kernel_realtime.server")
    server_logger.addHandler(log)
    loop = asyncio.new_event_loop()  # one loop for every session: each one closes all it started
    sent = []

    @settings(max_examples=SESSIONS, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def session(data):
        judge, count = loop.run_until_complete(run_session(data.draw))
        sent.append(count)
        assert not judge.failures, judge.failures
        assert not log.records, log.records

    try:
        session()
    finally:
        server_logger.removeHandler(log)
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    assert sum(sent) >= 2_000
