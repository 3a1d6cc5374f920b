"""A Twilio Media Streams endpoint: each phone call bridged to a realtime session (aiohttp).

Point a Twilio number's TwiML at it: ``<Response><Connect><Stream url="wss://your-app/media-stream"/>
</Connect></Response>``. The session uses ``audio/pcmu``, the phone network's own format, so the bridge
passes the caller's and the model's audio through untouched; marks tell it what the caller has heard,
so an interruption truncates the answer there. When the caller hangs up the session closes; when the
session ends the endpoint returns, which closes the stream (and ends the call).

Runs against the embedded offline server, with a stand-in for Twilio that listens for a second of the
greeting and hangs up. For OpenAI, build the client with ``OpenAIRealtimeWebsocket()`` (OPENAI_API_KEY).

    .venv/bin/python samples/twilio_media_stream.py
"""

import asyncio
import base64
import json

import websockets
from aiohttp import WSMsgType, web
from semantic_kernel.contents import TextContent
from semantic_kernel.contents.realtime_events import RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import OpenAIRealtimeWebsocket, RealtimeExecutionSettings
from semantic_kernel_realtime.server import LocalRealtimeServer
from semantic_kernel_realtime.telephony import TwilioMediaStreamBridge

PCMU = {"type": "audio/pcmu"}  # the phone network's own format: the bridge passes it through untouched


def media_stream_endpoint(realtime_base_url: str):
    """Twilio's <Connect><Stream url="wss://your-app/media-stream"/> connects here, once per call."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client = OpenAIRealtimeWebsocket(api_key="sk-...", base_url=realtime_base_url)
        settings = RealtimeExecutionSettings(instructions="You answer the phone for a bakery.",
                                             input_audio_format=PCMU, output_audio_format=PCMU,
                                             turn_detection={"type": "server_vad"})
        async with client(settings=settings):
            await client.send(RealtimeTextEvent(text=TextContent(text="Hello?")))  # greet the caller
            await client.send(RealtimeEvent(service_type="response.create"))
            bridge = TwilioMediaStreamBridge(client)
            messages = (message.data async for message in ws if message.type == WSMsgType.TEXT)
            print("the call was ended by the", await bridge.run(messages, ws.send_str))
        return ws

    return handle


async def twilio_caller(url: str) -> None:
    """Stands in for Twilio: starts the stream, listens for a second of the greeting, hangs up."""
    async with websockets.connect(url) as twilio:
        await twilio.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": {"streamSid": "MZ1"}}))
        heard = 0
        async for raw in twilio:
            message = json.loads(raw)
            if message["event"] == "media":
                heard += len(base64.b64decode(message["media"]["payload"]))  # mu-law: 8 bytes a millisecond
            if message["event"] == "mark":  # Twilio echoes each mark once it has played what came before
                await twilio.send(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": message["mark"]}))
            if heard >= 8000:
                break
        print(f"the caller heard {heard // 8} ms of mu-law audio")
        await twilio.send(json.dumps({"event": "stop", "streamSid": "MZ1"}))


async def main() -> None:
    async with LocalRealtimeServer(speech=False) as server:
        app = web.Application()
        app.router.add_get("/media-stream", media_stream_endpoint(server.base_url))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        await twilio_caller(f"ws://{host}:{port}/media-stream")
        await runner.cleanup()


asyncio.run(main())
