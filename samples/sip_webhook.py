"""An OpenAI SIP webhook: verify the incoming call, accept it with the app's session, run tools on the sideband.

Set the project's webhook URL to ``https://your-app/openai-webhook`` (event ``realtime.call.incoming``) and
point a SIP trunk at ``sip:<project id>@sip.api.openai.com;transport=tls``. The caller's audio flows between
the phone and OpenAI; the app verifies the signed webhook (a bad signature gets HTTP 400), accepts the
call with instructions and the kernel's functions as tools, and runs the call's sideband session, where
the functions run. Here it refers the caller on once the question is answered.

Runs against the embedded offline server, which rings the webhook with a signed event the way OpenAI does.

    .venv/bin/python samples/sip_webhook.py
"""

import asyncio
from typing import Annotated

from aiohttp import web
from openai import InvalidWebhookSignatureError
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import RealtimeExecutionSettings, TextDoneEvent
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telephony import SipCalls

WEBHOOK_SECRET = "whsec_c2lwLWRvY3MtZXhhbXBsZS1zaWduaW5nLWtleQ=="  # the project's webhook signing secret


class Weather:
    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "The city"]) -> str:
        print(f"tool: get_weather({location!r})")
        return f"It is 19 degrees and sunny in {location}."


kernel = Kernel()
kernel.add_plugin(Weather(), "weather")
settings = RealtimeExecutionSettings(instructions="You answer the weather line.",
                                     function_choice_behavior=FunctionChoiceBehavior.Auto())


def webhook(sip: SipCalls, sidebands: list):
    """The project's webhook URL: OpenAI POSTs ``realtime.call.incoming`` here when someone calls."""

    async def handle(request: web.Request) -> web.Response:
        try:
            call = sip.incoming_call(await request.read(), request.headers)
        except InvalidWebhookSignatureError:
            return web.Response(status=400)  # not from OpenAI: refuse it
        if call is not None:
            await sip.accept(call.data.call_id, settings, kernel)  # the app decides the session
            sidebands.append(asyncio.create_task(run_call(sip, call.data.call_id)))
        return web.Response(status=200)

    return handle


async def run_call(sip: SipCalls, call_id: str) -> None:
    """The call's sideband: kernel functions run here while the caller talks to the model on the phone."""
    client = sip.sideband(call_id)
    async with client(settings=settings, kernel=kernel):
        # the embedded server has no phone line: the caller's question arrives as text here
        await client.send(RealtimeTextEvent(text=TextContent(text="What is the weather in Paris?")))
        await client.send(RealtimeEvent(service_type="response.create"))
        async for event in client.receive():
            if isinstance(event, TextDoneEvent) and event.role == "assistant":
                print("model:", event.text)
                await sip.refer(call_id, "tel:+15550123")  # hand the caller on to a person; the call leaves
        print("the call left the sideband")


async def main() -> None:
    async with LocalRealtimeServer(speech=False) as server:  # stands in for api.openai.com
        sip = SipCalls(webhook_secret=WEBHOOK_SECRET, api_key="sk-...", base_url=server.base_url)
        sidebands: list = []
        app = web.Application()
        app.router.add_post("/openai-webhook", webhook(sip, sidebands))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        call = await server.sip.ring(f"http://{host}:{port}/openai-webhook", secret=WEBHOOK_SECRET)  # a call comes in
        await asyncio.gather(*sidebands)
        print(f"call {call.state}, referred to {call.referred_to}")
        await runner.cleanup()


asyncio.run(main())
