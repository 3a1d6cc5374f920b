"""OpenAI SIP calls against the embedded server: the signed webhook, accept with the app's session, a kernel
function over the sideband, refer / hang-up / reject. The app is a real aiohttp webhook on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from typing import Any

import pytest
import websockets
from aiohttp import web
from openai import InvalidWebhookSignatureError
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior

from semantic_kernel_realtime import RealtimeExecutionSettings, SessionEndedEvent
from semantic_kernel_realtime.server import FunctionCall, LocalRealtimeServer, ResponseRequest, TextDelta
from semantic_kernel_realtime.server.limits import ServerLimits
from semantic_kernel_realtime.server.sip import sign
from semantic_kernel_realtime.telephony import SipCalls
from tests.audio import read_wav
from tests.openai_schema import FIXTURES
from tests.telephony.peers import Weather

SECRET = "whsec_" + base64.b64encode(b"telephony-test-signing-key-32by").decode()
INSTRUCTIONS = "You answer the weather line. Be brief."


class ToolThenAnswer:
    """Calls the first tool for what the caller said, then answers with its output."""

    name = "tool-then-answer"

    async def respond(self, request: ResponseRequest):
        outputs = [i for i in request.items if i.get("type") == "function_call_output"]
        if outputs:
            yield TextDelta("Here is the weather: " + outputs[-1]["output"])
        elif request.tools:
            yield FunctionCall(request.tools[0]["name"], json.dumps({"location": "Paris"}))


class WebhookApp:
    """The application: verifies the webhook, accepts the call with its session, runs the sideband."""

    def __init__(self, server: LocalRealtimeServer, *, accept: bool = True) -> None:
        self.sip = SipCalls(webhook_secret=SECRET, api_key="x", base_url=server.base_url)
        self.weather = Weather()
        self.kernel = Kernel()
        self.kernel.add_plugin(self.weather, "weather")
        self.settings = RealtimeExecutionSettings(instructions=INSTRUCTIONS,
                                                  turn_detection={"type": "server_vad", "silence_duration_ms": 200},
                                                  function_choice_behavior=FunctionChoiceBehavior.Auto())
        self.accept = accept
        self.refused: list[str] = []
        self.accepted: dict[str, Any] | None = None
        self.events: list[Any] = []
        self.changed = asyncio.Event()
        self.sideband: asyncio.Task[None] | None = None
        self.client: Any = None
        self.app = web.Application()
        self.app.router.add_post("/webhook", self.webhook)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            call = self.sip.incoming_call(body, request.headers)
        except InvalidWebhookSignatureError as exc:
            self.refused.append(str(exc))
            return web.Response(status=400, text="bad signature")
        assert call is not None
        if self.accept:
            self.accepted = await self.sip.accept(call.data.call_id, self.settings, self.kernel)
            self.sideband = asyncio.create_task(self.run_sideband(call.data.call_id))
        return web.Response(status=200)

    async def run_sideband(self, call_id: str) -> None:
        self.client = self.sip.sideband(call_id)
        async with self.client(settings=self.settings, kernel=self.kernel):
            async for event in self.client.receive():
                self.events.append(event)
                self.changed.set()

    def of_type(self, service_type: str) -> list[Any]:
        return [e for e in self.events if e.service_type == service_type]

    async def until(self, condition: Any, timeout: float = 10.0) -> Any:
        async def wait() -> Any:
            while not (result := condition()):
                self.changed.clear()
                await self.changed.wait()
            return result

        return await asyncio.wait_for(wait(), timeout)

    async def __aenter__(self) -> WebhookApp:
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/webhook"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sideband is not None and not self.sideband.done():
            self.sideband.cancel()
        assert self.runner is not None
        await self.runner.cleanup()


def _speech() -> bytes:
    return read_wav(FIXTURES / "audio" / "whats-the-weather.pcm16-24k.wav") + bytes(48 * 600)


async def _answered_call(server: LocalRealtimeServer, app: WebhookApp) -> Any:
    call = await server.sip.ring(app.url, secret=SECRET)
    assert (call.webhook_status, call.state) == (200, "accepted")
    await app.until(lambda: app.of_type("session.updated"))  # the sideband is attached and configured
    call.say(_speech())
    await app.until(lambda: len(app.of_type("response.done")) == 2)  # the tool call, then the answer
    return call


async def test_a_verified_call_is_accepted_with_the_apps_session_a_tool_runs_over_the_sideband_then_refer_ends_it():
    async with LocalRealtimeServer(speech=False, responder=ToolThenAnswer()) as server, WebhookApp(server) as app:
        call = await _answered_call(server, app)
        assert call.session["instructions"] == INSTRUCTIONS  # what the app accepted with
        assert [tool["name"] for tool in call.session["tools"]] == ["weather-get_weather"]
        assert app.weather.asked == ["Paris"]  # the kernel function ran on the app's side, over the sideband
        answer = app.of_type("response.output_audio_transcript.done")[-1].service_event["transcript"]
        assert answer == "Here is the weather: sunny and eighteen degrees"
        assert len(call.heard) > 48 * 1000  # the caller heard the answer on the line, not the sideband
        assert not app.of_type("response.output_audio.delta")
        await app.sip.refer(call.id, "tel:+15550123")
        await asyncio.wait_for(app.sideband, 5)  # the call left: the sideband session ended
        assert (call.state, call.referred_to) == ("referred", "tel:+15550123")
        ended = [e for e in app.events if isinstance(e, SessionEndedEvent)]
        assert len(ended) == 1 and not app.client.is_open
        assert server.session_count == 0


async def test_hanging_up_ends_the_call_and_its_sideband_session():
    async with LocalRealtimeServer(speech=False, responder=ToolThenAnswer()) as server, WebhookApp(server) as app:
        call = await _answered_call(server, app)
        await app.sip.hangup(call.id)
        await asyncio.wait_for(app.sideband, 5)
        assert call.state == "ended" and not app.client.is_open
        with pytest.raises(Exception, match="No session found for the provided call_id"):
            await app.sip.hangup(call.id)  # gone


async def test_a_bad_or_stale_signature_is_refused_and_the_call_is_never_accepted():
    async with LocalRealtimeServer(speech=False) as server, WebhookApp(server) as app:
        other = "whsec_" + base64.b64encode(b"someone-else-s-key-of-32-bytes!!").decode()
        call = await server.sip.ring(app.url, secret=other)
        assert (call.webhook_status, call.state) == (400, "ringing")
        assert app.accepted is None
        assert app.refused == ["The given webhook signature does not match the expected signature"]
        body = json.dumps({"id": "evt_1", "object": "event", "created_at": 0, "type": "realtime.call.incoming",
                           "data": {"call_id": call.id, "sip_headers": []}})
        now = int(time.time())
        signed = {"webhook-id": "wh_1", "webhook-timestamp": str(now),
                  "webhook-signature": sign(SECRET, "wh_1", now, body)}
        assert app.sip.incoming_call(body, signed).data.call_id == call.id  # the right key verifies
        with pytest.raises(InvalidWebhookSignatureError, match="does not match"):  # a body changed on the way
            app.sip.incoming_call(body.replace(call.id, "rtc_other"), signed)
        stale = {"webhook-id": "wh_1", "webhook-timestamp": "1", "webhook-signature": sign(SECRET, "wh_1", 1, body)}
        with pytest.raises(InvalidWebhookSignatureError, match="too old"):  # a replay
            app.sip.incoming_call(body, stale)
        await app.sip.reject(call.id, status_code=486)
        assert (call.state, call.rejected_with) == ("rejected", 486)


async def test_a_call_the_app_does_not_accept_can_be_rejected_and_control_requests_check_the_state():
    async with LocalRealtimeServer(speech=False) as server, WebhookApp(server, accept=False) as app:
        call = await server.sip.ring(app.url, secret=SECRET)
        assert (call.webhook_status, call.state) == (200, "ringing")
        with pytest.raises(Exception, match="invalid_call_state|ringing"):
            await app.sip.hangup(call.id)  # not answered yet
        await app.sip.reject(call.id)
        assert (call.state, call.rejected_with) == ("rejected", 603)
        with pytest.raises(Exception, match="No such call"):
            await app.sip.accept(call.id, app.settings, app.kernel)


async def test_a_call_nobody_answers_ends_unanswered_and_an_answered_one_keeps_going():
    async with LocalRealtimeServer(speech=False) as server:
        async with WebhookApp(server, accept=False) as app:
            call = await server.sip.ring(app.url, secret=SECRET, ring_timeout=0.3)
            assert (call.webhook_status, call.state) == (200, "ringing")
            await asyncio.wait_for(call.ended.wait(), 5)
            assert call.state == "unanswered" and call.id not in server.sip.calls  # nothing kept
            with pytest.raises(Exception, match="No such call"):
                await app.sip.accept(call.id, app.settings, app.kernel)
        async with WebhookApp(server) as app:
            # the webhook and the accept must fit in the ring time on a loaded machine; a ring timer that is
            # not cancelled on accept still ends the call within the wait after it
            call = await server.sip.ring(app.url, secret=SECRET, ring_timeout=1.0)
            assert call.state == "accepted"
            await asyncio.sleep(1.3)
            assert call.state == "accepted" and not call.ended.is_set()
            await app.sip.hangup(call.id)
            await asyncio.wait_for(call.ended.wait(), 5)


async def test_a_sideband_that_never_reads_is_closed_at_its_backlog_and_the_call_goes_on():
    limits = ServerLimits(max_sideband_backlog=20)
    async with LocalRealtimeServer(speech=False, limits=limits) as server, WebhookApp(server, accept=False) as app:
        call = await server.sip.ring(app.url, secret=SECRET)
        await app.sip.accept(call.id, app.settings, app.kernel)
        url = f"{server.ws_url}?call_id={call.id}"
        big = "x" * 100_000  # every item comes back in conversation.item.added/done: MBs the reader never takes
        async with websockets.connect(url, max_queue=1, max_size=None) as deaf:
            for _ in range(100):
                await deaf.send(json.dumps({"type": "conversation.item.create", "item": {
                    "type": "message", "role": "user", "content": [{"type": "input_text", "text": big}]}}))
            await asyncio.sleep(0.5)  # the server meets the backlog and gives up on this reader

            async def drained() -> None:
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for _ in deaf:  # read at last: what was in flight, then the end
                        pass

            await asyncio.wait_for(drained(), 10)
            assert deaf.close_code in (1008, 1006), deaf.close_code  # 1006: dropped (the close frame could not go)
        assert call.state == "accepted" and not call.ended.is_set()  # the call went on
        async with websockets.connect(url, max_size=None) as second:  # and a sideband that reads still works
            await second.send(json.dumps({"type": "session.update", "session": {"type": "realtime",
                                                                                "instructions": "Be brief."}}))
            updated = json.loads(await asyncio.wait_for(second.recv(), 5))
            assert updated["type"] == "session.updated" and updated["session"]["instructions"] == "Be brief."
        await app.sip.hangup(call.id)
