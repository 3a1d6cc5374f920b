"""speech/hints.py: the phrases a session's transcription settings and tool schemas give the transcriber."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from semantic_kernel_realtime.server.speech.hints import (
    normalise,
    prompt_phrases,
    proper_names,
    session_keywords,
    tool_phrases,
)

WEATHER = {"type": "function", "name": "demo-get_weather", "description": "Get the current weather for a location.",
           "parameters": {"type": "object", "properties": {
               "location": {"type": "string", "description": "The city and region, e.g. San Francisco, California"},
               "unit": {"type": "string", "enum": ["Celsius", "Fahrenheit"], "description": "The unit."}}}}
TIME = {"type": "function", "name": "demo-get_time", "description": "Get the local clock time in a city.",
        "parameters": {"type": "object",
                       "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}}}}


def test_proper_names_are_capitalised_runs_split_by_punctuation():
    assert proper_names("The city and region, e.g. San Francisco, California") == ["san francisco", "california"]
    assert proper_names("I flew from New York City to Los Angeles. Then Oslo!") == [
        "new york city", "los angeles", "oslo"]


def test_a_lone_capitalised_word_opening_a_sentence_is_not_a_name():
    assert proper_names("Get the current weather for a location.") == []
    assert proper_names("It rains. Paris is grey.") == []
    assert proper_names("The city, e.g. Paris") == ["paris"]  # "e.g." ends no sentence
    assert proper_names("Examples: Lisbon, Porto") == ["lisbon", "porto"]


def test_a_keyword_list_prompt_gives_its_items_and_prose_only_its_names():
    assert prompt_phrases("weather, time; Semantic Kernel") == ["semantic kernel", "weather", "time"]
    assert prompt_phrases("Expect questions about the weather, usually in Europe.") == ["europe"]
    assert prompt_phrases("Expect questions from customers of Contoso Airlines") == ["contoso airlines"]
    assert prompt_phrases(None) == prompt_phrases("") == []


def test_tool_schemas_give_names_from_every_description_and_enum_values():
    assert tool_phrases([WEATHER, TIME]) == ["san francisco", "california", "celsius", "fahrenheit", "paris"]


def test_session_keywords_come_first_then_the_tools_without_repeats():
    transcription = {"model": "whisper-1", "keywords": ["Paris", "  semantic   KERNEL "]}
    assert session_keywords(transcription, [WEATHER, TIME]) == [
        "paris", "semantic kernel", "san francisco", "california", "celsius", "fahrenheit"]
    assert session_keywords(None, None) == []
    assert session_keywords({"keywords": None}, [{"type": "mcp"}]) == []


@given(st.text())
def test_any_text_gives_normalised_phrases(text: str) -> None:
    for phrase in [*proper_names(text), *prompt_phrases(text)]:
        assert phrase and phrase == normalise(phrase) and phrase == phrase.lower()


JSON_SHAPED = st.recursive(
    st.none() | st.text() | st.integers(),
    lambda inner: st.lists(inner) | st.dictionaries(st.sampled_from(["description", "enum", "x"]), inner))


@given(JSON_SHAPED)
def test_any_json_shaped_tool_is_read_without_error(tool) -> None:
    for phrase in tool_phrases([tool]):
        assert phrase == normalise(phrase)
