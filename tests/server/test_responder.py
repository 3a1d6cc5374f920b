"""responder.py: the deterministic default responder's rules."""

import json

from semantic_kernel_realtime.server.responder import (
    GREETING,
    NO_TRANSCRIPT_REPLY,
    FunctionCall,
    ResponseRequest,
    RuleResponder,
    TextDelta,
    extract_arguments,
)

WEATHER = {"type": "function", "name": "weather-get_weather", "description": "Get the current weather for a location",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
TIME = {"type": "function", "name": "clock-now", "description": "Tell the current time of day", "parameters": {}}


def user(text=None, transcript=None):
    content = [{"type": "input_text", "text": text}] if text is not None else [
        {"type": "input_audio", "transcript": transcript}]
    return {"id": "item_u", "type": "message", "role": "user", "content": content}


def decide(items, **kwargs):
    return RuleResponder().decide(ResponseRequest(items=items, **kwargs))


def text_of(outputs):
    assert all(isinstance(o, TextDelta) for o in outputs)
    return "".join(o.text for o in outputs)


def test_echoes_text_in_word_chunks():
    outputs = decide([user("hello  there")])
    assert len(outputs) > 1 and text_of(outputs) == "You said: hello  there"


def test_tool_by_name_word_with_location_argument():
    (call,) = decide([user("What's the weather like in San Francisco, California?")], tools=[WEATHER, TIME])
    assert isinstance(call, FunctionCall) and call.name == "weather-get_weather"
    assert json.loads(call.arguments) == {"location": "San Francisco, California"}


def test_tool_by_description_words():
    (call,) = decide([user("what time of day is it")], tools=[WEATHER, TIME])
    assert call.name == "clock-now"


def test_tool_choice_none_and_forced():
    assert text_of(decide([user("weather in Paris?")], tools=[WEATHER], tool_choice="none")).startswith("You said")
    (call,) = decide([user("hi")], tools=[WEATHER, TIME], tool_choice={"type": "function", "name": "clock-now"})
    assert call.name == "clock-now"
    (call,) = decide([user("hi")], tools=[WEATHER], tool_choice="required")
    assert call.name == "weather-get_weather"


def test_answers_with_the_function_output():
    items = [user("weather in Paris?"),
             {"type": "function_call", "call_id": "call_1", "name": "weather-get_weather", "arguments": "{}"},
             {"type": "function_call_output", "call_id": "call_1", "output": "Rainy, 12 C"}]
    assert text_of(decide(items, tools=[WEATHER])) == "Here is what I found: Rainy, 12 C"


def test_audio_without_transcript_and_greeting():
    assert text_of(decide([user(transcript=None)], tools=[WEATHER])) == NO_TRANSCRIPT_REPLY
    assert text_of(decide([user(transcript="weather in Oslo")], tools=[]) ) == "You said: weather in Oslo"
    assert text_of(decide([])) == GREETING


def test_argument_extraction_kinds():
    tool = {"name": "book", "parameters": {"type": "object", "required": ["unit", "query"], "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"}, "query": {"type": "string"}}}}
    args = extract_arguments(tool, "forecast for 3 days in fahrenheit at Rome")
    assert args == {"city": "Rome", "unit": "fahrenheit", "days": 3, "query": "Rome"}
