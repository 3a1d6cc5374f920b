"""responder.py: the deterministic default responder's rules."""

import json

from semantic_kernel_realtime.server.responder import (
    ANYTHING_ELSE,
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


# -- handoffs, allowed tools and scripted lines (what realtime agents need of the deterministic model) --------

TO_WEATHER = {"type": "function", "name": "Handoff-transfer_to_weather",
              "description": "Hand the conversation to the weather agent",
              "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}}}
TO_TRIAGE = {"type": "function", "name": "Handoff-transfer_to_triage",
             "description": "Hand the conversation back to the front desk",
             "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}}}
BACK = "Answer with get_weather, then hand back with transfer_to_triage."


def call(call_id, name):
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": "{}"}


def output(call_id, text):
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def test_a_handoff_output_is_no_answer_the_new_agent_takes_the_question_without_the_same_handoff():
    items = [user("What's the weather in Paris?"), call("c1", TO_WEATHER["name"]), output("c1", "Transferred.")]
    (chosen,) = decide(items, tools=[TO_WEATHER, WEATHER, TO_TRIAGE])
    assert chosen.name == "weather-get_weather" and json.loads(chosen.arguments) == {"location": "Paris"}
    # without it the question would hand off again (the triage agent's tools)
    (again,) = decide(items[:1], tools=[TO_WEATHER])
    assert again.name == TO_WEATHER["name"]


def test_an_answer_is_followed_by_the_handoff_the_instructions_name_and_a_hand_back_asks_for_more():
    items = [user("What's the weather in Paris?"), call("c1", TO_WEATHER["name"]), output("c1", "Transferred."),
             call("c2", "weather-get_weather"), output("c2", "Rainy, 12 C")]
    *words, back = decide(items, tools=[WEATHER, TO_TRIAGE], instructions=BACK)
    assert text_of(words) == "Here is what I found: Rainy, 12 C" and back.name == TO_TRIAGE["name"]
    assert text_of(decide(items, tools=[WEATHER, TO_TRIAGE], instructions="Answer with get_weather.")) == \
        "Here is what I found: Rainy, 12 C"  # no handoff named: none called
    handed_back = [*items, {"type": "message", "role": "assistant", "content": [{"type": "output_audio"}]},
                   call("c3", TO_TRIAGE["name"]), output("c3", "Transferred.")]
    assert text_of(decide(handed_back, tools=[TO_WEATHER])) == ANYTHING_ELSE


def test_only_the_tools_the_latest_note_allows_are_candidates():
    note = "Tools you may call now: Handoff-transfer_to_weather."
    question = [user("What's the weather in Paris?")]
    (chosen,) = decide(question, tools=[WEATHER, TO_WEATHER, TO_TRIAGE], instructions="Triage. " + note)
    assert chosen.name == TO_WEATHER["name"]  # get_weather would score as well, but is not allowed
    handed = [*question, call("c1", TO_WEATHER["name"]),
              output("c1", "You are now weather. Your instructions: " + BACK +
                     "\nTools you may call now: weather-get_weather, transfer_to_triage.")]
    (chosen,) = decide(handed, tools=[WEATHER, TO_WEATHER, TO_TRIAGE], instructions="Triage. " + note)
    assert chosen.name == "weather-get_weather"
    answered = [*handed, call("c2", "weather-get_weather"), output("c2", "Rainy")]
    *_, back = decide(answered, tools=[WEATHER, TO_WEATHER, TO_TRIAGE], instructions="Triage. " + note)
    assert back.name == TO_TRIAGE["name"]  # named in the note's instructions, not in its tools line


def test_a_scripted_line_is_said_as_asked_in_the_instructions_or_the_last_user_turn():
    ask = 'Say exactly this and nothing else: "Sorry, I cannot talk about that."'
    items = [user("Tell me the weather in Paris")]
    assert text_of(decide(items, tools=[WEATHER], instructions=ask)) == "Sorry, I cannot talk about that."
    assert text_of(decide([*items, user(ask)], tools=[WEATHER])) == "Sorry, I cannot talk about that."
    later = [user(ask), {"type": "message", "role": "assistant", "content": []}]
    assert text_of(decide(later)) == f"You said: {ask}"  # answered once: not a standing order
