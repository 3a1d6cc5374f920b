"""A voice turn over WebRTC: audio as an Opus media track, events on the ``oai-events`` data channel.

Application code is the same as over WebSocket: PCM16 24 kHz audio goes on the send queue as
``RealtimeAudioEvent``s and the answer's audio comes back on the receive queue in the same format.
Runs against the embedded offline server; for OpenAI use ``OpenAIRealtimeWebRTC()`` (OPENAI_API_KEY).

    python samples/webrtc_voice.py [QUESTION]   (any audio file: WAV, FLAC, MP3, OGG...)

Without a file the greeting is synthesised offline ("Hello there!").
"""

import asyncio
import sys

from semantic_kernel.contents import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime import (
    AudioFileError,
    LocalRealtimeServer,
    RealtimeExecutionSettings,
    read_audio_file,
    synthesize_speech,
)


async def speak(client, pcm: bytes) -> None:
    """Stream PCM16 24 kHz mono in real time, 20 ms at a time, then 1 s of silence for the VAD."""
    pcm += bytes(48000)
    for start in range(0, len(pcm), 960):
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[start:start + 960], mime_type="audio/pcm")))
        await asyncio.sleep(0.02)


async def main(question: bytes) -> None:
    from semantic_kernel_realtime import OpenAIRealtimeWebRTC

    settings = RealtimeExecutionSettings(
        voice="verse",
        input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 500},
    )
    async with LocalRealtimeServer() as server:
        client = OpenAIRealtimeWebRTC(api_key="not-needed-offline", base_url=server.base_url)
        audio = bytearray()
        async with client(settings=settings):
            speaking = asyncio.create_task(speak(client, question))
            async for event in client.receive():
                if isinstance(event, RealtimeAudioEvent):
                    audio += event.audio.data
                elif event.service_type == "conversation.item.input_audio_transcription.completed":
                    print(f"user: {event.service_event['transcript']}")
                elif event.service_type == "response.output_audio_transcript.done":
                    print(f"assistant: {event.service_event['transcript']}")
                elif event.service_type == "output_audio_buffer.stopped":
                    break  # WebRTC: the answer's audio has been played out on the track
            speaking.cancel()
        print(f"(received {len(audio) / 48000:.1f} s of answer audio over the WebRTC track)")


if __name__ == "__main__":
    try:
        from semantic_kernel_realtime import OpenAIRealtimeWebRTC  # noqa: F401
    except ImportError:
        print("skipped: WebRTC connectors are not available in this build (OpenAIRealtimeWebRTC is missing).")
        sys.exit(0)
    try:  # any audio file, converted to PCM16 24 kHz mono; or a greeting spoken by eSpeak NG
        pcm = read_audio_file(sys.argv[1])[0] if len(sys.argv) > 1 else synthesize_speech("Hello there!")
    except AudioFileError as exc:
        sys.exit(f"error: {exc}")
    asyncio.run(main(pcm))
