"""What the "model" says: the :class:`Responder` interface and the deterministic default.

A responder gets a :class:`ResponseRequest` (the conversation as GA item dicts, with user audio replaced
by its transcript, plus instructions and function tools) and yields :class:`TextDelta` and
:class:`FunctionCall` outputs. The engine turns them into protocol events, speech and ids; a responder
never sees the wire. Any chat model fits (an adapter over Semantic Kernel's ``ChatCompletionClientBase``
maps items to a ``ChatHistory``, tools to function definitions, and streams the reply back).

:class:`RuleResponder` rules (documented in docs/server.md):
0. A scripted line: when the response's instructions, or the latest user message (the last item), ask
   ``Say exactly this and nothing else: "<line>"``, say ``<line>`` (what a client's fallback line asks).
1. If function outputs follow the latest user message, answer with them:
   ``"Here is what I found: <output> [<output> ...]"``. Outputs of *handoff* calls (a function named
   ``transfer_to_<agent>``, with or without a plugin prefix) are not answers: after an answer, the handoff
   tool that the effective instructions name (the latest handoff note's, else the response's) is called.
   When the outputs after the latest assistant message (of this turn) are all handoffs, the conversation was
   handed back after its answer: say :data:`ANYTHING_ELSE`. When only handoff outputs follow the user's
   message, the new agent takes the user's words (rule 2), without the handoffs already called since.
2. Otherwise take the latest user message's words (text, or the audio transcript). Without words
   (audio and no transcriber) say so in a fixed sentence; never call a tool on a guess.
3. A function tool matches when a word of its name (split on ``-``/``_``/camelCase) appears in the
   words (2 points) or two words of its description do (1 point each); stop words don't count.
   The best match is called (``tool_choice`` ``none`` disables tools, ``required`` forces the best
   tool, a named function forces that one). Only the tools that the latest ``Tools you may call now: a, b.``
   line names are candidates (in the instructions, or a later function output: a handoff note on a service
   that declares every agent's tools at once). Arguments: location-like string parameters
   (``location``, ``city``, ...) get the words after the last " in "/" for "/" at "; other required
   strings get that phrase or the whole utterance; enums the first value mentioned (or the first);
   numbers the first number in the words.
4. Otherwise reply ``You said: <words>`` (a greeting when there is nothing to answer).
Text streams word by word; the deltas concatenate to the full reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ANYTHING_ELSE",
    "FunctionCall",
    "Responder",
    "ResponseRequest",
    "RuleResponder",
    "TextDelta",
    "function_tools",
    "user_words",
]

NO_TRANSCRIPT_REPLY = (
    "I received your audio, but this server has no speech recogniser, so I could not understand the words."
)
GREETING = "Hello! How can I help you today?"
#: What the responder says when a conversation was handed back after its answer (rule 1).
ANYTHING_ELSE = "Is there anything else I can help you with?"
_SCRIPTED = re.compile(r'say exactly this and nothing else:\s*"(.*)"', re.IGNORECASE | re.DOTALL)
_ALLOWED_TOOLS = re.compile(r"tools you may call now:([^\n]*?)\.?[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: str  # JSON object text


@dataclass(frozen=True)
class ResponseRequest:
    """Everything a responder may use for one response."""

    items: Sequence[dict[str, Any]]
    instructions: str = ""
    tools: Sequence[dict[str, Any]] = ()
    tool_choice: str | dict[str, Any] = "auto"
    output_modalities: Sequence[str] = ("audio",)
    metadata: dict[str, Any] | None = field(default=None)


@runtime_checkable
class Responder(Protocol):
    name: str

    def respond(self, request: ResponseRequest) -> AsyncIterator[TextDelta | FunctionCall]:
        """Yield the response's text (in chunks) and/or function calls."""
        ...


def function_tools(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in tools if t.get("type", "function") == "function" and t.get("name")]


def user_words(item: dict[str, Any]) -> str | None:
    """The words of a user message: its text parts and audio transcripts; None when audio has no transcript."""
    parts: list[str] = []
    unknown_audio = False
    for content in item.get("content") or ():
        kind = content.get("type")
        if kind == "input_text" and content.get("text"):
            parts.append(content["text"])
        elif kind == "input_audio":
            if content.get("transcript"):
                parts.append(content["transcript"])
            else:
                unknown_audio = True
    if not parts and unknown_audio:
        return None
    return " ".join(parts).strip()


def stream_words(text: str) -> list[str]:
    """Split into word chunks (leading whitespace attached) whose concatenation is ``text``."""
    return re.findall(r"\s*\S+", text) or ([text] if text else [])


_STOP = frozenset(
    """a an the and or of to in on at for from by with about into is are was be been being it its this that
    these those what what's whats which who how when where why do does did can could would should will shall
    may might must i me my you your we our they their he she his her please tell give get set current
    currently like just now today some any function call calls use uses used return returns given specified
    value values name named""".split()
)
_LOCATION_WORDS = ("location", "city", "place", "where", "address", "destination", "region", "country", "area")


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    out = []
    for word in re.findall(r"[a-z0-9']+", spaced.lower()):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 4 and word.endswith("s"):
            word = word[:-1]
        if word and word not in _STOP:
            out.append(word)
    return out


def _score(tool: dict[str, Any], heard: set[str]) -> int:
    name_words = set(_words(tool["name"].replace("-", " ").replace("_", " ").replace(".", " ")))
    description_words = set(_words(tool.get("description") or "")) - name_words
    return 2 * len(name_words & heard) + len(description_words & heard)


def _phrase_after_preposition(words: str) -> str | None:
    matches = list(re.finditer(r"\b(?:in|for|at)\s+", words, flags=re.IGNORECASE))
    if not matches:
        return None
    phrase = words[matches[-1].end():].strip().rstrip("?.!;:").strip()
    return phrase or None


def extract_arguments(tool: dict[str, Any], words: str) -> dict[str, Any]:
    schema = tool.get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    phrase = _phrase_after_preposition(words)
    strings = [n for n, s in properties.items() if (s or {}).get("type", "string") == "string" and not s.get("enum")]
    args: dict[str, Any] = {}
    for name, spec in properties.items():
        spec = spec or {}
        kind = spec.get("type", "string")
        if spec.get("enum"):
            mentioned = [v for v in spec["enum"] if str(v).lower() in words.lower()]
            if mentioned or name in required:
                args[name] = mentioned[0] if mentioned else spec["enum"][0]
        elif kind == "string":
            label = f"{name} {spec.get('description') or ''}".lower()
            if any(w in label for w in _LOCATION_WORDS) and phrase:
                args[name] = phrase
            elif name in required or len(strings) == 1:
                args[name] = phrase or words.strip().rstrip("?.!")
        elif kind in ("integer", "number"):
            numbers = re.findall(r"-?\d+(?:\.\d+)?", words)
            if numbers:
                args[name] = int(float(numbers[0])) if kind == "integer" else float(numbers[0])
    return args


class RuleResponder:
    """The deterministic default responder (see the module docstring for its rules)."""

    name = "rules"

    async def respond(self, request: ResponseRequest) -> AsyncIterator[TextDelta | FunctionCall]:
        for chunk_or_call in self.decide(request):
            yield chunk_or_call

    def decide(self, request: ResponseRequest) -> list[TextDelta | FunctionCall]:
        items = list(request.items)
        last_user = max((i for i, it in enumerate(items) if _is_user(it)), default=None)
        after = items[last_user + 1:] if last_user is not None else items
        scripted = _SCRIPTED.search(request.instructions or "") or (
            _SCRIPTED.search(user_words(items[last_user]) or "") if last_user is not None and not after else None)
        if scripted:
            return _say(scripted.group(1))
        answered = max((i for i, it in enumerate(after) if _is_assistant(it)), default=None)
        names = {it.get("call_id"): str(it.get("name", "")) for it in after if it.get("type") == "function_call"}
        since = [it for it in after[(answered + 1 if answered is not None else 0):]
                 if it.get("type") == "function_call_output"]
        if answered is not None and since and all(_is_handoff(names.get(it.get("call_id"), "")) for it in since):
            return _say(ANYTHING_ELSE)  # handed back after the answer
        outputs = [it for it in after if it.get("type") == "function_call_output"
                   and not _is_handoff(names.get(it.get("call_id"), ""))]
        tools = _allowed_tools(request, items)
        if outputs:
            reply = "Here is what I found: " + " ".join(str(o.get("output", "")).strip() for o in outputs)
            back = self._handoff_named(request, items, tools)
            words = user_words(items[last_user]) if last_user is not None else ""
            return [*_say(reply), *([FunctionCall(back["name"], json.dumps(extract_arguments(back, words or "")))]
                                    if back is not None else [])]
        if last_user is None:
            return _say(GREETING)
        words = user_words(items[last_user])
        if words is None:
            return _say(NO_TRANSCRIPT_REPLY)
        called = {name for name in names.values() if _is_handoff(name)}  # a handoff in this turn is not repeated
        tool = self._choose_tool(request, words, [t for t in tools if t["name"] not in called])
        if tool is not None:
            return [FunctionCall(tool["name"], json.dumps(extract_arguments(tool, words)))]
        reply = f"You said: {words}" if words else GREETING
        return _say(reply)

    @staticmethod
    def _choose_tool(request: ResponseRequest, words: str, tools: list[dict[str, Any]]) -> dict[str, Any] | None:
        choice = request.tool_choice
        if not tools or choice == "none":
            return None
        if isinstance(choice, dict) and choice.get("type") == "function":
            return next((t for t in tools if t["name"] == choice.get("name")), None)
        heard = set(_words(words))
        scored = sorted(((_score(t, heard), -i, t) for i, t in enumerate(tools)), key=lambda s: s[:2], reverse=True)
        best_score, _, best = scored[0]
        if best_score >= 2 or choice == "required":
            return best
        return None

    @staticmethod
    def _handoff_named(request: ResponseRequest, items: list[dict[str, Any]],
                       tools: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The handoff tool the effective instructions name, to call after an answer (rule 1)."""
        if request.tool_choice == "none":
            return None
        notes = [str(it.get("output", "")) for it in items
                 if it.get("type") == "function_call_output" and _ALLOWED_TOOLS.search(str(it.get("output", "")))]
        instructions = _ALLOWED_TOOLS.sub("", notes[-1] if notes else request.instructions or "")
        return next((t for t in tools if _is_handoff(t["name"]) and _function_name(t["name"]) in instructions), None)


def _say(text: str) -> list[TextDelta | FunctionCall]:
    return [TextDelta(c) for c in stream_words(text)]


def _function_name(wire_name: str) -> str:
    return wire_name.rpartition("-")[2]


def _is_handoff(wire_name: str) -> bool:
    return _function_name(wire_name).startswith("transfer_to_")


def _allowed_tools(request: ResponseRequest, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The function tools the latest ``Tools you may call now:`` line allows (all when none says)."""
    tools = function_tools(request.tools)
    texts = [request.instructions or ""] + [str(it.get("output", "")) for it in items
                                            if it.get("type") == "function_call_output"]
    lines = [match for text in texts for match in _ALLOWED_TOOLS.findall(text)]
    if not lines:
        return tools
    allowed = {name.strip() for name in lines[-1].split(",") if name.strip()}
    return [t for t in tools if t["name"] in allowed or _function_name(t["name"]) in allowed]


def _is_user(item: dict[str, Any]) -> bool:
    return item.get("type") == "message" and item.get("role") == "user"


def _is_assistant(item: dict[str, Any]) -> bool:
    return item.get("type") == "message" and item.get("role") == "assistant"
