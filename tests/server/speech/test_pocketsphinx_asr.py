"""PocketSphinxTranscriber on the shared recorded fixtures and its contract, hints included."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pocketsphinx", reason="PocketSphinx not installed (pip install '.[speech]')")

from semantic_kernel_realtime.server.speech.base import SpeechEngineUnavailable, Transcriber  # noqa: E402
from semantic_kernel_realtime.server.speech.hints import tool_phrases  # noqa: E402
from semantic_kernel_realtime.server.speech.pocketsphinx_asr import PocketSphinxTranscriber  # noqa: E402
from tests.shared import audio_fixture  # noqa: E402

#: The demo agent's tools as the session declares them: their schemas name San Francisco and Paris.
DEMO_TOOLS = [
    {"type": "function", "name": "demo-get_weather", "description": "Get the current weather for a location.",
     "parameters": {"type": "object", "properties": {"location": {
         "type": "string", "description": "The city and region, e.g. San Francisco, California"}}}},
    {"type": "function", "name": "demo-get_time", "description": "Get the local clock time in a city.",
     "parameters": {"type": "object",
                    "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}}}},
]



def load_fixture(name: str) -> bytes:
    with wave.open(str(audio_fixture(name))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24_000, 1, 2)
        return w.readframes(w.getnframes())


@pytest.fixture(scope="module")
def transcriber() -> PocketSphinxTranscriber:
    return PocketSphinxTranscriber()


def test_is_a_transcriber(transcriber: PocketSphinxTranscriber) -> None:
    assert isinstance(transcriber, Transcriber)
    assert transcriber.name == "pocketsphinx"


def test_weather_in_paris(transcriber: PocketSphinxTranscriber) -> None:
    text = transcriber.transcribe(load_fixture("weather-in-paris.pcm16-24k.wav")).lower()
    assert "weather" in text and "paris" in text, text


def test_whats_the_weather_in_california(transcriber: PocketSphinxTranscriber) -> None:
    text = transcriber.transcribe(load_fixture("whats-the-weather.pcm16-24k.wav"), language="en").lower()
    assert "weather" in text and "california" in text, text


def test_silence_and_tiny_inputs_give_empty_text(transcriber: PocketSphinxTranscriber) -> None:
    assert transcriber.transcribe(b"") == ""
    assert transcriber.transcribe(b"\x00" * 2001) == ""  # < 100 ms, odd length
    assert transcriber.transcribe(bytes(2 * 24_000)) == ""  # 1 s of digital silence


def test_odd_length_input_is_accepted(transcriber: PocketSphinxTranscriber) -> None:
    text = transcriber.transcribe(load_fixture("hello-world.pcm16-24k.wav") + b"\x01")
    assert "hello" in text, text


def test_non_english_language_is_refused(transcriber: PocketSphinxTranscriber) -> None:
    pcm = load_fixture("hello-world.pcm16-24k.wav")
    with pytest.raises(ValueError, match="English"):
        transcriber.transcribe(pcm, language="fr")
    assert "hello" in transcriber.transcribe(pcm, language="en-US")


def test_transcript_does_not_depend_on_earlier_calls(transcriber: PocketSphinxTranscriber) -> None:
    pcm = load_fixture("whats-the-weather.pcm16-24k.wav")
    first = transcriber.transcribe(pcm)
    noise = (np.random.default_rng(7).normal(0, 3000, 24_000)).astype(np.int16).tobytes()
    transcriber.transcribe(noise)
    transcriber.transcribe(load_fixture("weather-in-paris.pcm16-24k.wav"), keywords=["paris"])
    transcriber.transcribe(load_fixture("support-call-two-speakers.pcm16-24k.wav"))  # adapts the noise estimate
    assert transcriber.transcribe(pcm) == first


def test_tool_schema_names_make_the_recorded_question_heard_right(transcriber: PocketSphinxTranscriber) -> None:
    pcm = load_fixture("whats-the-weather.pcm16-24k.wav")
    assert "san francisco" not in transcriber.transcribe(pcm)  # the generic model alone mishears it
    keywords = tool_phrases(DEMO_TOOLS)
    assert transcriber.transcribe(pcm, keywords=keywords) == "with the weather like in san francisco california"


def test_a_keyword_list_prompt_biases_like_keywords(transcriber: PocketSphinxTranscriber) -> None:
    pcm = load_fixture("whats-the-weather.pcm16-24k.wav")
    assert "san francisco california" in transcriber.transcribe(pcm, prompt="San Francisco, Paris")


@pytest.mark.parametrize("name", ["weather-in-paris", "hello-world"])
def test_hints_leave_speech_that_does_not_contain_them_alone(transcriber: PocketSphinxTranscriber, name: str) -> None:
    pcm = load_fixture(f"{name}.pcm16-24k.wav")
    assert transcriber.transcribe(pcm, keywords=[*tool_phrases(DEMO_TOOLS), "lisbon", "new york"]) == (
        transcriber.transcribe(pcm))


def test_unpronounceable_or_empty_hints_are_ignored(transcriber: PocketSphinxTranscriber) -> None:
    pcm = load_fixture("hello-world.pcm16-24k.wav")
    plain = transcriber.transcribe(pcm)
    assert transcriber.transcribe(pcm, keywords=["xqzzyv", "", "  ", "hello xqzzyv"], prompt="!!!") == plain


def test_hint_bias_is_a_likelihood_ratio() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PocketSphinxTranscriber(hint_bias=0.5)


def test_two_threads_share_one_transcriber(transcriber: PocketSphinxTranscriber) -> None:
    clips = {
        name: load_fixture(f"{name}.pcm16-24k.wav") for name in ("weather-in-paris", "hello-world", "whats-the-weather")
    }
    expected = {name: transcriber.transcribe(pcm) for name, pcm in clips.items()}
    results: dict[str, list[str]] = {name: [] for name in clips}
    errors: list[BaseException] = []

    def work(names: list[str]) -> None:
        try:
            for name in names:
                results[name].append(transcriber.transcribe(clips[name]))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(["weather-in-paris", "hello-world"],)),
        threading.Thread(target=work, args=(["whats-the-weather", "hello-world"],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    for name, got in results.items():
        assert got and all(text == expected[name] for text in got), (name, got, expected[name])


def test_missing_model_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(SpeechEngineUnavailable, match="missing"):
        PocketSphinxTranscriber(lm=tmp_path / "no-such.lm.bin")


def test_silence_around_the_speech_does_not_change_the_words(transcriber: PocketSphinxTranscriber) -> None:
    """A client that sends its question in one piece commits seconds of silence with it."""
    pcm = load_fixture("weather-in-paris.pcm16-24k.wav")
    padded = bytes(2 * 24_000) + pcm + bytes(3 * 2 * 24_000)
    assert transcriber.transcribe(padded) == transcriber.transcribe(pcm) == "what is the weather in paris"
