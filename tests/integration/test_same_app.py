"""The same application code on both providers: ``voice_app.ask`` against the embedded server, once through
``OpenAIRealtimeWebsocket`` and once through ``GoogleLiveWebsocket`` (real speech: PocketSphinx in).

A spoken question (24 kHz, and the same recording at 16 kHz, sent with ``input_audio_sample_rate=16000``: the
client converts it to each service's rate) is transcribed, the kernel function runs with the city, the spoken
answer arrives with its words, and usage is reported; the shared 16 kHz recording (a statement, not a question) is
transcribed and answered without a tool. Only the connector differs; the app names no wire event.
"""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from semantic_kernel_realtime import GoogleLiveWebsocket, LocalRealtimeServer, OpenAIRealtimeWebsocket
from semantic_kernel_realtime.audio import Resampler
from semantic_kernel_realtime.protocol.gemini.decode import _CAMEL_CONTENT, _CAMEL_FIELDS
from tests.integration import voice_app
from tests.integration.plugins import WeatherPlugin
from tests.openai_schema import FIXTURES
from tests.test_seams import WIRE_TYPES

pytestmark = pytest.mark.timeout(120)

QUESTION = "weather-in-paris.pcm16-24k.wav"  # "What is the weather in Paris?"

CONNECTORS = {
    "openai": lambda server, rate: OpenAIRealtimeWebsocket(api_key="local", base_url=server.base_url,
                                                           input_audio_sample_rate=rate),
    "gemini": lambda server, rate: GoogleLiveWebsocket(api_key="local", base_url=server.gemini_base_url,
                                                       input_audio_sample_rate=rate),
}


def _question(rate: int) -> bytes:
    path = FIXTURES / "audio" / QUESTION
    if not path.exists():
        pytest.skip(f"fixture missing: {path}")
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    if rate == 24000:
        return pcm
    # the shared 16 kHz recording asks nothing of a tool: the app's microphone here runs at 16 kHz instead
    resampler = Resampler(24000, rate)
    return resampler.convert(pcm) + resampler.flush()


@pytest.mark.parametrize("rate", [24000, 16000])
@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_the_same_app_code_answers_a_spoken_question_on_both_providers(provider, rate):
    async with LocalRealtimeServer(api_key="local") as server:
        if server.transcriber is None:
            pytest.skip("no offline speech recogniser installed")
        plugin = WeatherPlugin()
        answer = await voice_app.ask(CONNECTORS[provider](server, rate), _question(rate), plugin)
    assert "weather" in answer.heard.lower() and "paris" in answer.heard.lower()
    assert [call.lower() for call in plugin.calls] == ["paris"]
    assert [result.lower() for result in answer.tool_results] == ["it is 21 degrees and sunny in paris."]
    assert "21 degrees" in answer.said and answer.audio_bytes > 24000  # over half a second of speech
    # a response that asked for the tool, then the answer; each one's usage was reported
    assert [r.asked_for_tools for r in answer.responses] == [True, False]
    assert all(r.status == "completed" for r in answer.responses)
    assert len(answer.usage) == 2 and all(u.total_tokens and u.input_tokens and u.output_tokens for u in answer.usage)
    assert answer.responses[-1].usage == answer.usage[-1]


def test_the_app_names_no_provider_and_no_wire_event():
    source = Path(voice_app.__file__).read_text()
    code = re.sub(r'""".*?"""', "", source, flags=re.S)  # docstrings may say what the code does not do
    assert "service_type" not in code and "service_event" not in code
    wire_names = WIRE_TYPES | set(_CAMEL_FIELDS) | set(_CAMEL_CONTENT)  # OpenAI event types, Gemini fields
    named = sorted(name for name in wire_names if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", code))
    assert not named, f"the app reads wire names: {named}"
    assert not re.search(r"OpenAI|Google|Gemini|Azure", code), "the app must not name a provider"


@pytest.mark.parametrize("provider", sorted(CONNECTORS))
async def test_the_shared_16khz_recording_is_transcribed_on_both_providers(provider):
    path = FIXTURES / "audio" / "sun-rises.pcm16-16k.wav"
    if not path.exists():
        pytest.skip(f"fixture missing: {path}")
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == 16000
        pcm = wav.readframes(wav.getnframes())
    async with LocalRealtimeServer(api_key="local") as server:
        if server.transcriber is None:
            pytest.skip("no offline speech recogniser installed")
        answer = await voice_app.ask(CONNECTORS[provider](server, 16000), pcm, WeatherPlugin())
    assert "sun" in answer.heard.lower() and "east" in answer.heard.lower()
    assert answer.responses[-1].status == "completed" and not answer.tool_results  # a statement: no tool
    assert answer.said and answer.audio_bytes > 0 and answer.usage
