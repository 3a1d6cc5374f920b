"""GoogleLiveWebsocket against a scripted Gemini Live peer: setup, audio at 16 kHz, tools, usage, the mirror."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Annotated

import numpy as np
import pytest
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionResultEvent
from semantic_kernel.exceptions import ServiceInitializationError
from semantic_kernel.functions import kernel_function

from semantic_kernel_realtime import (
    AuthenticationError,
    ConfigurationError,
    ConnectionClosedError,
    EncodeError,
    GoogleLiveExecutionSettings,
    GoogleLiveWebsocket,
    MalformedServerEvent,
    ResponseDoneEvent,
    SendFailedEvent,
    SessionEndedEvent,
    TextDoneEvent,
    UsageEvent,
)
from semantic_kernel_realtime.connectors.endpoints import VertexEndpoint
from tests.connectors.gemini_peer import BAD_KEY_CLOSE, GeminiPeer
from tests.gemini_schema import validate_client_message, validate_server_message


class Tools:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    @kernel_function(description="Get the weather for a city.")
    def get_weather(self, city: Annotated[str, "The city"]) -> str:
        return f"Sunny in {city}."

    @kernel_function(description="A slow lookup.")
    async def slow_lookup(self) -> str:
        self.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return "late"


async def _next(peer: GeminiPeer, field: str) -> dict:
    while True:
        message = await peer.next_received()
        validate_client_message(message)
        if field in message:
            return message


async def test_a_turn_with_a_tool_call_against_a_scripted_peer():
    tools = Tools()
    kernel = Kernel()
    kernel.add_plugin(tools, "tools")
    settings = GoogleLiveExecutionSettings(instructions="Be brief.", input_audio_transcription=True,
                                           function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with GeminiPeer(api_key="good-key") as peer:
        client = GoogleLiveWebsocket(api_key="good-key", base_url=peer.base_url, ai_model_id="gemini-test")
        async with client(settings=settings, kernel=kernel):
            setup = (await _next(peer, "setup"))["setup"]
            assert setup["model"] == "models/gemini-test"
            assert {d["name"] for d in setup["tools"][0]["functionDeclarations"]} == {"tools-get_weather",
                                                                                     "tools-slow_lookup"}
            assert peer.path == "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
            assert peer.headers["x-goog-api-key"] == "good-key"

            # 100 ms of a 24 kHz tone from the app leaves as 16 kHz (converted on the client)
            tone = (np.sin(np.arange(2400) / 24000 * 2 * np.pi * 440) * 8000).astype("<i2").tobytes()
            for offset in range(0, len(tone), 960):
                await client.send(RealtimeAudioEvent(audio=AudioContent(data=tone[offset:offset + 960],
                                                                        mime_type="audio/pcm")))
            sent = b""
            while len(sent) < 2 * 1400:
                blob = (await _next(peer, "realtimeInput"))["realtimeInput"]["audio"]
                assert blob["mimeType"] == "audio/pcm;rate=16000"
                sent += base64.b64decode(blob["data"])
            assert len(sent) <= 2 * 1600

            for message in ({"serverContent": {"inputTranscription": {"text": "Weather in Paris?"}}},
                            {"toolCall": {"functionCalls": [{"id": "call-1", "name": "tools-get_weather",
                                                             "args": {"city": "Paris"}}]}}):
                validate_server_message(message)
                await peer.send(message)
            response = (await _next(peer, "toolResponse"))["toolResponse"]["functionResponses"][0]
            assert response == {"id": "call-1", "name": "tools-get_weather", "response": {"output": "Sunny in Paris."}}

            await peer.send({"toolCall": {"functionCalls": [{"id": "call-2", "name": "tools-slow_lookup"}]}})
            await asyncio.wait_for(tools.started.wait(), 3)
            await peer.send({"toolCallCancellation": {"ids": ["call-2"]}})
            await peer.send({"serverContent": {"outputTranscription": {"text": "It is sunny in Paris."}}})
            await peer.send({"serverContent": {"turnComplete": True},
                             "usageMetadata": {"promptTokenCount": 7, "responseTokenCount": 9, "totalTokenCount": 16}})
            usage = None
            async for event in client.receive():
                if isinstance(event, UsageEvent):
                    usage = event.usage
                    break
            assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (7, 9, 16)
            await asyncio.wait_for(tools.cancelled.wait(), 3)
            assert client.function_calling.running == 0
            # no response request follows a tool response on Gemini: the service continues by itself
            with pytest.raises(asyncio.TimeoutError):
                await _next(peer, "clientContent")
            history = [(m.role.value, m.items[0].__class__.__name__, getattr(m.items[0], "text", None))
                       for m in client.chat_history.messages]
            assert history == [("user", "TextContent", "Weather in Paris?"),
                               ("assistant", "FunctionCallContent", None),
                               ("assistant", "FunctionCallContent", None),
                               ("assistant", "TextContent", "It is sunny in Paris.")]


async def test_function_results_reach_the_receive_queue_too():
    kernel = Kernel()
    kernel.add_plugin(Tools(), "tools")
    settings = GoogleLiveExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())
    async with GeminiPeer() as peer:
        client = GoogleLiveWebsocket(api_key="k", base_url=peer.base_url)
        async with client(settings=settings, kernel=kernel):
            await peer.send({"toolCall": {"functionCalls": [{"name": "tools-get_weather", "args": {"city": "Rome"}}]}})
            async for event in client.receive():
                if isinstance(event, RealtimeFunctionResultEvent):
                    assert event.function_result.result == "Sunny in Rome."
                    break
            response = (await _next(peer, "toolResponse"))["toolResponse"]["functionResponses"][0]
            assert "id" not in response  # the call came without one


async def test_a_refused_key_is_an_authentication_error_without_the_key(caplog):
    async with GeminiPeer(api_key="right") as peer:
        client = GoogleLiveWebsocket(api_key="wrong-secret-key", base_url=peer.base_url)
        with pytest.raises(AuthenticationError) as raised:
            await client.create_session()
    assert "wrong-secret-key" not in str(raised.value) and "wrong-secret-key" not in caplog.text
    assert "wrong-secret-key" not in repr(client)


def test_environment_variables_as_semantic_kernels_google_connector(monkeypatch):
    monkeypatch.setenv("GOOGLE_AI_API_KEY", "env-key")
    monkeypatch.setenv("GOOGLE_AI_GEMINI_LIVE_MODEL_ID", "gemini-live-env")
    client = GoogleLiveWebsocket()
    assert client.ai_model_id == "gemini-live-env" and client.api_key.get_secret_value() == "env-key"
    monkeypatch.delenv("GOOGLE_AI_API_KEY")
    with pytest.raises(ServiceInitializationError) as missing:  # SK's handlers catch it; ours name the variable
        GoogleLiveWebsocket()
    assert isinstance(missing.value, ConfigurationError)
    assert missing.value.environment_variables == ("GOOGLE_AI_API_KEY",)
    monkeypatch.setenv("GOOGLE_AI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_AI_CLOUD_PROJECT_ID", "proj")
    monkeypatch.setenv("GOOGLE_AI_CLOUD_REGION", "europe-west4")
    vertex = GoogleLiveWebsocket(token_provider=lambda: "t")
    assert vertex.ai_model_id == "projects/proj/locations/europe-west4/publishers/google/models/gemini-live-env"
    assert vertex.realtime_endpoint.websocket_url(vertex.ai_model_id) == (
        "wss://europe-west4-aiplatform.googleapis.com/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/"
        "BidiGenerateContent")


async def test_vertex_fetches_a_token_on_every_connect():
    tokens = iter(["tok-1", "tok-2"])

    async def provider() -> str:
        return next(tokens)

    async with GeminiPeer() as peer:
        client = GoogleLiveWebsocket(use_vertexai=True, cloud_project_id="p", cloud_region="r",
                                     base_url=peer.base_url, token_provider=provider)
        seen = []
        for _ in range(2):
            peer.connected.clear()
            async with client():
                await peer.connected.wait()
                seen.append(peer.headers["authorization"])
    assert seen == ["Bearer tok-1", "Bearer tok-2"]
    assert peer.path.endswith("/ws/google.cloud.aiplatform.v1beta1.LlmBidiService/BidiGenerateContent")
    assert "tok" not in repr(VertexEndpoint(region="r", token_provider=provider))


REFUSALS = [BAD_KEY_CLOSE, (1008, "Request had invalid authentication credentials.")]  # a close reason: <= 123 bytes


@pytest.mark.parametrize("code, reason", REFUSALS, ids=["1007-api-key", "1008-credentials"])
async def test_a_key_refused_after_setup_ends_the_session_with_an_authentication_error(caplog, code, reason):
    caplog.set_level(logging.DEBUG)  # the handshake's headers are logged at DEBUG: the key must not be
    async with GeminiPeer(api_key="right", refuse_after_setup=(code, reason)) as peer:
        client = GoogleLiveWebsocket(api_key="wrong-secret-key", base_url=peer.base_url)
        async with client(settings=GoogleLiveExecutionSettings(instructions="Be brief.")):
            events = [event async for event in client.receive()]
        assert "setup" in await peer.next_received()
    (ended,) = [e for e in events if isinstance(e, SessionEndedEvent)]
    assert isinstance(ended.error, AuthenticationError) and not ended.retryable and not ended.error.retryable
    assert (ended.error.code, ended.error.reason) == (code, reason) and reason in ended.cause
    logged = _client_log(caplog)
    for text in (ended.cause, str(ended.error), repr(ended), logged, repr(client)):
        assert "wrong-secret-key" not in text
    assert "x-goog-api-key: [redacted]" in logged.lower()  # the header was logged at DEBUG, its value not


def _client_log(caplog) -> str:
    """What this side logged (the scripted peer's own server logs what it received: not ours)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server"))


async def test_a_close_reason_that_echoes_the_key_is_redacted(caplog):
    async with GeminiPeer(api_key="right", refuse_after_setup=(1007, "API key not valid: wrong-secret-key")) as peer:
        client = GoogleLiveWebsocket(api_key="wrong-secret-key", base_url=peer.base_url)
        async with client():
            (ended,) = [e async for e in client.receive() if isinstance(e, SessionEndedEvent)]
    assert isinstance(ended.error, AuthenticationError) and "[redacted]" in ended.cause
    assert "wrong-secret-key" not in ended.cause + str(ended.error.reason) + _client_log(caplog)


async def test_other_closes_stay_connection_closed_errors():
    async with GeminiPeer(api_key="right", refuse_after_setup=(1011, "Internal error encountered.")) as peer:
        client = GoogleLiveWebsocket(api_key="wrong", base_url=peer.base_url)
        async with client():
            (ended,) = [e async for e in client.receive() if isinstance(e, SessionEndedEvent)]
    assert type(ended.error) is ConnectionClosedError and ended.retryable and ended.error.code == 1011


class RainyTools:
    @kernel_function(description="Get the weather for a city.")
    def get_weather(self, city: Annotated[str, "The city"]) -> str:
        return f"Rainy in {city}."


async def test_new_settings_are_refused_saying_what_to_do_and_a_kernel_swap_needs_no_update():
    first, second = Kernel(), Kernel()
    first.add_plugin(Tools(), "tools")
    second.add_plugin(RainyTools(), "tools")
    async with GeminiPeer() as peer:
        client = GoogleLiveWebsocket(api_key="k", base_url=peer.base_url)
        settings = GoogleLiveExecutionSettings(function_choice_behavior=FunctionChoiceBehavior.Auto())
        async with client(settings=settings, kernel=first):
            await _next(peer, "setup")
            opened = client.session_settings
            await client.update_session(settings=GoogleLiveExecutionSettings(instructions="Be terse."))
            failed = await anext(e async for e in client.receive() if isinstance(e, SendFailedEvent))
            assert isinstance(failed.error, EncodeError) and failed.cause == str(failed.error)
            for advice in ("only in its opening 'setup'", "open a new session with the new settings",
                           "session_resumption={'handle': client.decoder.resumption_handle}"):
                assert advice in failed.cause
            assert client.session_settings is opened  # what the service still runs

            await client.update_session(kernel=second)  # a hand-off: the next call runs on the new kernel
            await peer.send({"toolCall": {"functionCalls": [{"id": "c1", "name": "tools-get_weather",
                                                             "args": {"city": "Rome"}}]}})
            async for event in client.receive():
                assert not isinstance(event, SendFailedEvent), event.cause
                if isinstance(event, RealtimeFunctionResultEvent):
                    assert event.function_result.result == "Rainy in Rome."
                    break
            response = (await _next(peer, "toolResponse"))["toolResponse"]["functionResponses"][0]
            assert response["response"] == {"output": "Rainy in Rome."}
            assert not [m for m in _drain(peer.received) if "setup" in m or "clientContent" in m]


def _drain(queue: asyncio.Queue) -> list[dict]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_unknown_and_malformed_messages_are_error_events_and_the_session_goes_on():
    async with GeminiPeer() as peer:
        client = GoogleLiveWebsocket(api_key="k", base_url=peer.base_url)
        async with client(settings=GoogleLiveExecutionSettings(output_audio_transcription=True)):
            await peer.connected.wait()
            await peer.connection.send(b"not json {")
            await peer.send({"serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "no base64!"}}]}}})
            await peer.send({"somethingNew": {"x": 1}})
            await peer.send({"serverContent": {"outputTranscription": {"text": "Still here."}}})
            await peer.send({"serverContent": {"turnComplete": True}})
            seen = []
            async for event in client.receive():
                seen.append(event)
                if isinstance(event, ResponseDoneEvent):
                    break
            assert client.is_open
        malformed = [e for e in seen if isinstance(e, MalformedServerEvent)]
        assert [("invalid JSON" in e.cause, "not valid base64" in e.cause) for e in malformed] == [(True, False),
                                                                                                  (False, True)]
        assert any(e.service_type == "somethingNew" for e in seen)
        assert [(e.role, e.text) for e in seen if isinstance(e, TextDoneEvent)] == [("assistant", "Still here.")]
        assert not any(isinstance(e, SessionEndedEvent) for e in seen)
