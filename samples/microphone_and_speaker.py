"""Talk to a realtime agent with your microphone and hear it on your speakers (``sounddevice``).

Needs the ``[audio]`` extra (``pip install 'semantic-kernel-realtime[audio]'``), PortAudio and a sound
device; without them it says so and exits cleanly. Runs against the embedded offline server, which
transcribes what you say and speaks the answer; ask "What's the weather in Paris?". It stops after
``--seconds`` (default 15). For OpenAI use ``OpenAIRealtimeWebsocket()`` (OPENAI_API_KEY).

    .venv/bin/python samples/microphone_and_speaker.py [--seconds 15]
"""

import argparse
import asyncio
import contextlib
import sys
import threading
from typing import Annotated

import numpy as np
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import LocalRealtimeServer, OpenAIRealtimeWebsocket, RealtimeExecutionSettings

RATE, BLOCK = 24000, 480  # PCM16 mono at 24 kHz, 20 ms blocks


def sound_devices():
    """The ``sounddevice`` module when it, PortAudio and an input and output device exist, else a reason."""
    try:
        import sounddevice as sd
    except ImportError:
        return None, "sounddevice is not installed (pip install 'semantic-kernel-realtime[audio]')"
    except OSError as exc:  # raised at import when the PortAudio library is missing
        return None, f"sounddevice cannot load PortAudio: {exc}"
    try:
        sd.query_devices(kind="input")
        sd.query_devices(kind="output")
    except Exception as exc:  # sd.PortAudioError, ValueError: no such device
        return None, f"no sound device: {exc}"
    return sd, ""


class WeatherPlugin:
    @kernel_function(description="Get the current weather for a location.")
    def get_weather(self, location: Annotated[str, "The city"]) -> str:
        return f"It is 22 degrees and sunny in {location} (sample data)."


class Speaker:
    """Plays queued PCM16 from PortAudio's callback, so the event loop never blocks on audio.

    It keeps the client's playback contract: it reports what it has played (``client.playback.played``),
    so a barge-in cuts the answer in the model's context where the user stopped hearing it, and the
    client stops it (``clear``) when the user interrupts.
    """

    def __init__(self, sd, playback) -> None:
        self.playback = playback
        playback.on_stop(self.clear)
        self.pending = bytearray()
        self.lock = threading.Lock()
        self.stream = sd.OutputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=BLOCK,
                                      callback=self._fill)

    def play(self, pcm: np.ndarray) -> None:  # the client's audio_output_callback
        with self.lock:
            self.pending += pcm.tobytes()

    def clear(self) -> None:  # the client says the user interrupted: drop the rest of the answer
        with self.lock:
            self.pending.clear()

    def _fill(self, out: np.ndarray, frames: int, time, status) -> None:
        with self.lock:
            chunk = bytes(self.pending[:frames * 2])
            del self.pending[:frames * 2]
        if chunk:
            self.playback.played(len(chunk) // 2)
        out[:, 0] = np.frombuffer(chunk.ljust(frames * 2, b"\0"), dtype=np.int16)


async def converse(sd, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    settings = RealtimeExecutionSettings(
        voice="alloy",
        input_audio_transcription={"model": "whisper-1"},
        turn_detection={"type": "server_vad", "silence_duration_ms": 600},
        function_choice_behavior=FunctionChoiceBehavior.Auto(),
    )
    async with LocalRealtimeServer() as server:
        client = OpenAIRealtimeWebsocket(api_key="not-needed-offline", base_url=server.base_url)
        speaker = Speaker(sd, client.playback)
        kernel = Kernel()
        kernel.add_service(client)
        kernel.add_plugin(WeatherPlugin(), "weather")

        def on_microphone(block: np.ndarray, frames: int, time, status) -> None:  # PortAudio's thread
            event = RealtimeAudioEvent(audio=AudioContent(data=block.tobytes(), mime_type="audio/pcm"))
            loop.call_soon_threadsafe(client.send_buffer.put_nowait, event)

        microphone = sd.InputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=BLOCK,
                                    callback=on_microphone)
        async with client(settings=settings, kernel=kernel):
            print(f"Listening for {seconds:.0f} s: ask about the weather.")
            with microphone, speaker.stream:
                async def show() -> None:
                    async for event in client.receive(audio_output_callback=speaker.play):
                        if event.service_type == "conversation.item.input_audio_transcription.completed":
                            print(f"you: {event.service_event['transcript']}")
                        elif event.service_type == "response.output_audio_transcript.done":
                            print(f"assistant: {event.service_event['transcript']}")

                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(show(), seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    sd, reason = sound_devices()
    if sd is None:
        print(f"skipped: {reason}")
        return 0
    asyncio.run(converse(sd, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
