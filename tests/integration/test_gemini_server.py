"""The embedded server's Gemini Live dialect, with two independent peers: google-genai's own live client over
TLS, and our GoogleLiveWebsocket connector (real speech: PocketSphinx in, eSpeak NG out, when installed).

Every message the server sends is judged with google-genai's ``LiveServerMessage``.
"""

from __future__ import annotations

import wave

import numpy as np
import pytest
from google import genai
from google.genai import types
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeEvent, RealtimeTextEvent

from semantic_kernel_realtime import (
    GoogleLiveExecutionSettings,
    GoogleLiveWebsocket,
    LocalRealtimeServer,
    UsageEvent,
)
from semantic_kernel_realtime.server import tls
from tests.gemini_schema import validate_server_message
from tests.integration.plugins import WeatherPlugin
from tests.openai_schema import FIXTURES

pytestmark = pytest.mark.timeout(120)


def _pcm(name: str, rate: int) -> bytes:
    path = FIXTURES / "audio" / name
    if not path.exists():
        pytest.skip(f"fixture missing: {path}")
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == rate
        return wav.readframes(wav.getnframes())


@pytest.fixture
async def tls_server(tmp_path):
    cert, key = tls.self_signed(directory=tmp_path)
    server = LocalRealtimeServer(api_key="local-key", ssl_context=tls.server_context(cert, key))
    async with server:
        if server.transcriber is None:
            pytest.skip("no offline speech recogniser installed")
        yield server, cert


async def test_google_genai_live_client_holds_a_session_over_tls(tls_server):
    server, cert = tls_server
    client = genai.Client(api_key="local-key", http_options=types.HttpOptions(
        base_url=server.gemini_base_url, async_client_args={"ssl": tls.client_context(cert)}))
    weather = types.FunctionDeclaration(
        name="get_weather", description="Get the current weather for a location.",
        parameters=types.Schema(type="OBJECT", properties={"location": types.Schema(type="STRING")},
                                required=["location"]))
    config = types.LiveConnectConfig(
        response_modalities=["AUDIO"], input_audio_transcription={}, output_audio_transcription={},
        tools=[types.Tool(function_declarations=[weather])], system_instruction="Be brief.",
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(silence_duration_ms=500)))
    pcm16k = _pcm("sun-rises.pcm16-16k.wav", 16000)[: 16000 * 2 * 3]
    question = _pcm("weather-in-paris.pcm16-24k.wav", 24000)
    async with client.aio.live.connect(model="gemini-live-local", config=config) as session:
        # text in, spoken answer and its transcription out
        await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="Hello there")]),
                                          turn_complete=True)
        text, audio = await _turn(session)
        assert "hello there" in text.lower() and audio > 0

        # 24 kHz speech (its MIME type names the rate; the server converts) asks for the weather: a tool call
        for offset in range(0, len(question), 4800):
            await session.send_realtime_input(audio=types.Blob(data=question[offset:offset + 4800],
                                                               mime_type="audio/pcm;rate=24000"))
        await session.send_realtime_input(audio=types.Blob(data=b"\0" * 48000, mime_type="audio/pcm;rate=24000"))
        call, heard = None, ""
        async for message in session.receive():
            validate_server_message(message.model_dump(exclude_none=True, by_alias=True, mode="json"))
            if message.server_content and message.server_content.input_transcription:
                heard += message.server_content.input_transcription.text or ""
            if message.tool_call:
                call = message.tool_call.function_calls[0]
                break
        assert "weather" in heard.lower() and call.name == "get_weather" and "paris" in call.args["location"].lower()
        await _turn(session)  # the turn that carried the call ends
        await session.send_tool_response(function_responses=[types.FunctionResponse(
            id=call.id, name=call.name, response={"output": "It is 21 degrees in Paris."})])
        text, audio = await _turn(session)
        assert "21 degrees" in text and audio > 0

        # 16 kHz speech: transcribed
        await session.send_realtime_input(audio=types.Blob(data=pcm16k + b"\0" * 32000,
                                                           mime_type="audio/pcm;rate=16000"))
        heard = ""
        async for message in session.receive():
            if message.server_content and message.server_content.input_transcription:
                heard += message.server_content.input_transcription.text or ""
            if message.server_content and message.server_content.turn_complete:
                break
        assert "sun" in heard.lower()


async def _turn(session) -> tuple[str, int]:
    text, audio = "", 0
    async for message in session.receive():
        validate_server_message(message.model_dump(exclude_none=True, by_alias=True, mode="json"))
        content = message.server_content
        if content is None:
            continue
        if content.output_transcription:
            text += content.output_transcription.text or ""
        for part in (content.model_turn.parts if content.model_turn else None) or []:
            if part.inline_data:
                audio += len(part.inline_data.data)
            elif part.text:
                text += part.text
        if content.turn_complete:
            return text, audio
    raise AssertionError("the session ended mid-turn")


@pytest.mark.parametrize("fixture, rate", [("weather-in-paris.pcm16-24k.wav", 24000)])
async def test_our_connector_question_tool_spoken_answer_usage_and_barge_in(fixture, rate):
    async with LocalRealtimeServer(output_audio_pace=1.0) as server:
        if server.transcriber is None:
            pytest.skip("no offline speech recogniser installed")
        kernel = Kernel()
        plugin = WeatherPlugin()
        kernel.add_plugin(plugin, "weather")
        client = GoogleLiveWebsocket(api_key="unused", base_url=server.gemini_base_url, input_audio_sample_rate=rate)
        settings = GoogleLiveExecutionSettings(input_audio_transcription=True, output_audio_transcription=True,
                                               function_choice_behavior=FunctionChoiceBehavior.Auto())
        pcm = _pcm(fixture, rate) + b"\0" * rate  # half a second of silence ends the turn
        async with client(settings=settings, kernel=kernel):
            for offset in range(0, len(pcm), rate // 25):
                await client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm[offset:offset + rate // 25],
                                                                        mime_type="audio/pcm")))
            heard, answer, audio, usage, interrupted = "", "", 0, [], False
            async for event in client.receive():
                if isinstance(event, RealtimeTextEvent):
                    if event.text.metadata["role"] == "user":
                        heard += event.text.text
                    else:
                        answer += event.text.text
                elif isinstance(event, RealtimeAudioEvent):
                    audio += len(event.audio.data)
                    if "21 degrees" in answer and not interrupted:
                        interrupted = True  # barge in: speak again while the answer plays
                        loud = (np.sin(np.arange(rate) / rate * 2 * np.pi * 300) * 12000).astype("<i2").tobytes()
                        for chunk in (loud, b"\0" * rate):
                            await client.send(RealtimeAudioEvent(audio=AudioContent(data=chunk, mime_type="audio/pcm")))
                elif isinstance(event, UsageEvent):
                    usage.append(event.usage)
                elif isinstance(event, RealtimeEvent) and event.service_type == "serverContent.interrupted":
                    break
            assert "weather" in heard.lower() and plugin.calls and "paris" in plugin.calls[0].lower()
            assert "21 degrees" in answer and audio > 0
            assert usage and usage[0].total_tokens > 0
            roles = [m.role.value for m in client.chat_history.messages]
            assert roles[:3] == ["user", "assistant", "assistant"]


async def test_go_away_then_resume_with_the_handle_keeps_the_conversation():
    async with LocalRealtimeServer(speech=False, gemini_session_limit=1.5) as server:
        server.gemini.go_away_notice = 1.0
        settings = GoogleLiveExecutionSettings(response_modalities=["TEXT"], session_resumption=True)
        client = GoogleLiveWebsocket(api_key="unused", base_url=server.gemini_base_url)
        async with client(settings=settings):
            await client.send(RealtimeTextEvent(text=_text("My name is Ada.")))
            await client.request_response()
            went_away = False
            async for event in client.receive():
                if isinstance(event, RealtimeEvent) and event.service_type == "goAway":
                    went_away = True
                    break
            handle = client.decoder.resumption_handle
        assert went_away and handle
        resumed = GoogleLiveExecutionSettings(response_modalities=["TEXT"], session_resumption={"handle": handle})
        async with client(settings=resumed):
            await client.send(RealtimeTextEvent(text=_text("What did I say?")))
            await client.request_response()
            answer = ""
            async for event in client.receive():
                if isinstance(event, RealtimeTextEvent):
                    answer += event.text.text
                elif event.service_type == "serverContent.turnComplete":
                    break
        # the rule responder answers the latest user words; the resumed conversation holds the earlier ones
        assert "What did I say" in answer
        conversation = next(iter(server.gemini.handles.values()))
        assert any("Ada" in str(item) for item in conversation)


def _text(words: str):
    from semantic_kernel.contents.text_content import TextContent

    return TextContent(text=words)


async def test_a_bad_key_is_refused_before_the_upgrade():
    from semantic_kernel_realtime import AuthenticationError

    async with LocalRealtimeServer(speech=False, api_key="the-right-key") as server:
        client = GoogleLiveWebsocket(api_key="a-wrong-key", base_url=server.gemini_base_url)
        with pytest.raises(AuthenticationError) as raised:
            await client.create_session()
        assert "a-wrong-key" not in str(raised.value)


async def test_client_content_interrupts_the_generation_as_the_live_api_says(tmp_path):
    """google-genai's client sends a turn while the model speaks: that turn ends ``interrupted`` (the Live API:
    "a message here will interrupt any current model generation"), and the new turn is answered."""
    cert, key = tls.self_signed(directory=tmp_path)
    async with LocalRealtimeServer(api_key="local-key", speech=False, output_audio_pace=1.0,
                                   ssl_context=tls.server_context(cert, key)) as server:
        client = genai.Client(api_key="local-key", http_options=types.HttpOptions(
            base_url=server.gemini_base_url, async_client_args={"ssl": tls.client_context(cert)}))
        config = types.LiveConnectConfig(response_modalities=["AUDIO"], output_audio_transcription={})
        async with client.aio.live.connect(model="gemini-live-local", config=config) as session:
            await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(
                text="One sentence. Another sentence. A third sentence. And a fourth one to make it long.")]),
                turn_complete=True)
            async for message in session.receive():
                content = message.server_content
                if content and content.model_turn and any(p.inline_data for p in content.model_turn.parts or ()):
                    break  # it is speaking (in real time)
            await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="Stop")]),
                                              turn_complete=True)
            interrupted = False
            async for message in session.receive():
                validate_server_message(message.model_dump(exclude_none=True, by_alias=True, mode="json"))
                content = message.server_content
                interrupted = interrupted or bool(content and content.interrupted)
                if content and content.turn_complete:
                    break
            assert interrupted
            text, _ = await _turn(session)
            assert text == "You said: Stop"
