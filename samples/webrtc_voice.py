"""A voice turn over WebRTC: audio as an Opus media track, events on the ``oai-events`` data channel.

Application code is the same as over WebSocket: PCM16 24 kHz audio goes on the send queue as
``RealtimeAudioEvent``s and the answer's audio comes back on the receive queue in the same format.
Runs against the embedded offline server; for OpenAI use ``OpenAIRealtimeWebRTC()`` (OPENAI_API_KEY).

    .venv/bin/python samples/webrtc_voice.py [question.wav]   (PCM16 24 kHz mono)
"""

import asyncio
import sys
import wave
from pathlib import Path

from semantic_kernel.contents import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

from semantic_kernel_realtime import LocalRealtimeServer, RealtimeExecutionSettings

QUESTION = Path(__file__).resolve().parents[2] / "shared/fixtures/audio/hello-world.pcm16-24k.wav"


async def speak(client, wav_path: Path) -> None:
    """Stream a PCM16 24 kHz WAV in real time, 20 ms at a time, then 1 s of silence for the VAD."""
    with wave.open(str(wav_path)) as wav:
        pcm = wav.readframes(wav.getnframes()) + bytes(48000)
    for start in range(0, len(pcm), 960):
        await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[start:start + 960], mime_type="audio/pcm")))
        await asyncio.sleep(0.02)


async def main(wav_path: Path) -> None:
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
            speaking = asyncio.create_task(speak(client, wav_path))
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
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else QUESTION))
