"""A voice agent with kernel functions: spoken question in, tool call, spoken answer out.

The client is a Semantic Kernel service; kernel functions are offered to the model as tools and
invoked automatically (off the receive loop) when it calls them. Runs against the embedded offline
server, which really transcribes the question (PocketSphinx) and speaks the answer (eSpeak NG).
For OpenAI use ``OpenAIRealtimeWebsocket()`` (OPENAI_API_KEY, OPENAI_REALTIME_MODEL_ID) instead.

    python samples/function_calling_voice_agent.py [QUESTION]   (any audio file: WAV, FLAC, MP3, OGG...)

Without a file the question is synthesised offline ("What's the weather like in San Francisco, California?").
"""

import asyncio
import sys
from typing import Annotated

from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionResultEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import (
    AudioFileError,
    LocalRealtimeServer,
    OpenAIRealtimeWebsocket,
    RealtimeExecutionSettings,
    read_audio_file,
    synthesize_speech,
)


class WeatherPlugin:
    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "The city"]) -> str:
        return f"It is 19 degrees and sunny in {location} (sample data)."


async def speak(client: OpenAIRealtimeWebsocket, pcm: bytes) -> None:
    """Stream PCM16 24 kHz mono in real time, 20 ms at a time, then 1 s of silence for the VAD."""
    pcm += bytes(48000)
    for start in range(0, len(pcm), 960):
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[start:start + 960], mime_type="audio/pcm")))
        await asyncio.sleep(0.02)


async def main(question: bytes) -> None:
    settings = RealtimeExecutionSettings(
        instructions="You are a helpful weather assistant.",
        voice="alloy",
        input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 500},
        function_choice_behavior=FunctionChoiceBehavior.Auto(),
    )
    async with LocalRealtimeServer() as server:
        client = OpenAIRealtimeWebsocket(api_key="not-needed-offline", base_url=server.base_url)
        kernel = Kernel()
        kernel.add_service(client)
        kernel.add_plugin(WeatherPlugin(), "weather")
        audio = bytearray()
        async with client(settings=settings, kernel=kernel):
            speaking = asyncio.create_task(speak(client, question))
            async for event in client.receive(audio_output_callback=lambda pcm: audio.extend(pcm.tobytes())):
                match event.service_type:
                    case "conversation.item.input_audio_transcription.completed":
                        print(f"user: {event.service_event['transcript']}")
                    case "response.function_call_arguments.done":
                        print(f"tool call: {event.function_call.name}({event.function_call.arguments})")
                    case "response.output_audio_transcript.done":
                        print(f"assistant: {event.service_event['transcript']}")
                    case "response.done" if not any(
                        item["type"] == "function_call" for item in event.service_event["response"]["output"]
                    ):
                        break  # the spoken answer is complete
                if isinstance(event, RealtimeFunctionResultEvent):
                    print(f"tool result: {event.function_result.result}")
            speaking.cancel()
        print(f"(received {len(audio) / 48000:.1f} s of answer audio)")


if __name__ == "__main__":
    try:  # any audio file, converted to PCM16 24 kHz mono; or the question spoken by eSpeak NG
        if len(sys.argv) > 1:
            pcm, _ = read_audio_file(sys.argv[1])
        else:
            pcm = synthesize_speech("What's the weather like in San Francisco, California?")
    except AudioFileError as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(pcm))
