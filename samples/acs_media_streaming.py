"""An Azure Communication Services media-streaming endpoint: each call bridged to a realtime session (aiohttp).

Answer the call with Call Automation and bidirectional streaming to this endpoint, e.g. in Python
``MediaStreamingOptions(transport_url="wss://your-app/acs-stream", transport_type="websocket",
content_type="audio", audio_channel_type="mixed", start_media_streaming=True, enable_bidirectional=True,
audio_format="Pcm16KMono")``. ACS sends ``AudioMetadata`` then 20 ms ``AudioData`` frames of PCM16 at
16 kHz; the bridge converts them to the session's 24 kHz and the answer back, and sends ``StopAudio``
when the caller interrupts. When the socket closes the session closes; to end the call itself, hang up
with Call Automation (``call_connection.hang_up``) once ``bridge.run`` returns.

Runs against the embedded offline server, with a stand-in for ACS that listens for a second of the
greeting and hangs up.

    .venv/bin/python samples/acs_media_streaming.py
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
from semantic_kernel_realtime.telephony import AcsMediaStreamingBridge


def acs_stream_endpoint(realtime_base_url: str):
    """ACS connects here once per call (the transport URL of its media-streaming options)."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client = OpenAIRealtimeWebsocket(api_key="sk-...", base_url=realtime_base_url)
        settings = RealtimeExecutionSettings(instructions="You answer the phone for a bakery.",
                                             turn_detection={"type": "server_vad"})
        async with client(settings=settings):
            await client.send(RealtimeTextEvent(text=TextContent(text="Hello?")))  # greet the caller
            await client.send(RealtimeEvent(service_type="response.create"))
            bridge = AcsMediaStreamingBridge(client, sample_rate=16000)
            messages = (message.data async for message in ws if message.type == WSMsgType.TEXT)
            print("the call was ended by the", await bridge.run(messages, ws.send_str))
        return ws

    return handle


async def acs_caller(url: str) -> None:
    """Stands in for ACS: announces 16 kHz PCM, listens for a second of the greeting, closes the stream."""
    async with websockets.connect(url) as acs:
        await acs.send(json.dumps({"kind": "AudioMetadata", "audioMetadata": {
            "subscriptionId": "sample", "encoding": "PCM", "sampleRate": 16000, "channels": 1, "length": 640}}))
        heard = 0
        async for raw in acs:
            message = json.loads(raw)
            if message["Kind"] == "AudioData":
                heard += len(base64.b64decode(message["AudioData"]["Data"]))  # PCM16 16 kHz: 32 bytes a ms
            if heard >= 32000:
                break
        print(f"the caller heard {heard // 32} ms of 16 kHz PCM audio")


async def main() -> None:
    async with LocalRealtimeServer(speech=False) as server:
        app = web.Application()
        app.router.add_get("/acs-stream", acs_stream_endpoint(server.base_url))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        await acs_caller(f"ws://{host}:{port}/acs-stream")
        await asyncio.sleep(0.5)  # the app sees the socket close and ends the session
        await runner.cleanup()


asyncio.run(main())
