"""What a session tells its transcriber to listen for: phrases from its transcription settings and tools.

A realtime session says which words to expect in two places: ``audio.input.transcription`` (``keywords``,
and a free-text ``prompt``) and its function tools, whose schemas name the things users talk about (a
parameter described as "The city, e.g. San Francisco" makes "San Francisco" likely). These helpers turn both
into phrases a transcriber can favour.

Rules:
- A phrase is lower-case words separated by single spaces, without punctuation (apostrophes kept); phrases
  are deduplicated in first-seen order.
- ``keywords`` are taken as given, one phrase each.
- From free text (the prompt, tool and parameter descriptions) come the proper names: runs of capitalised
  words not split by punctuation ("San Francisco", "California"), except a lone capitalised word opening a
  sentence ("The", "Get") or a stop word; a stop word opening a sentence is not part of a name ("Then").
- A prompt that is a keyword list (items separated by commas, semicolons or newlines, none longer than
  :data:`MAX_LIST_ITEM_WORDS` words: "weather, time; Lisbon") also gives each item.
- From tool schemas, also every string ``enum`` value, at any depth.
- Pure functions, no I/O: the engine calls :func:`session_keywords` per transcription; the transcriber
  calls :func:`prompt_phrases` on the prompt and decides which phrases it can use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_LIST_ITEM_WORDS = 3
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SENTENCE_END = re.compile(r"(\w*)[.!?]\s*$")
_ABBREVIATIONS = frozenset({"eg", "ie", "etc", "vs", "cf", "approx", "incl"})
_BREAK = re.compile(r"[^\w\s']")  # punctuation between two words ends a name
_LIST_SEPARATORS = re.compile(r"[,;\n]")
_STOP_WORDS = frozenset(
    "a also an and are as at be but by for from get gets how i if in is it its of on or please returns so the then "
    "this to was what when where which who why with you your".split()
)


def normalise(phrase: str) -> str:
    """``phrase`` as lower-case words separated by single spaces ('' when it has no word)."""
    return " ".join(word.lower() for word in _WORD.findall(phrase))


def proper_names(text: str) -> list[str]:
    """The runs of capitalised words in ``text`` (see the module rules), normalised."""
    names: list[str] = []
    run: list[str] = []
    run_opens_sentence = False
    last_end = 0
    sentence_start = True
    for match in _WORD.finditer(text):
        word, between = match.group(), text[last_end:match.start()]
        if run and _BREAK.search(between):
            _close(run, run_opens_sentence, names)
            run = []
        if _ends_sentence(text[:match.start()]):
            sentence_start = True
        if word[0].isupper():
            if not run:
                run_opens_sentence = sentence_start
            run.append(word)
        elif run:
            _close(run, run_opens_sentence, names)
            run = []
        sentence_start = False
        last_end = match.end()
    if run:
        _close(run, run_opens_sentence, names)
    return names


def _ends_sentence(before: str) -> bool:
    """Whether ``before`` ends a sentence: a full stop, ! or ?, but not the one of "e.g." or "etc."."""
    end = _SENTENCE_END.search(before)
    if end is None:
        return False
    word = end.group(1).lower()
    return len(word) > 1 and word not in _ABBREVIATIONS


def _close(run: list[str], opens_sentence: bool, names: list[str]) -> None:
    if opens_sentence:  # capitalised by grammar: "Get ...", "Then Oslo"
        if len(run) == 1:
            return
        if run[0].lower() in _STOP_WORDS:
            run = run[1:]
    if len(run) == 1 and run[0].lower() in _STOP_WORDS:
        return
    names.append(normalise(" ".join(run)))


def prompt_phrases(prompt: str | None) -> list[str]:
    """Phrases in a transcription prompt: its proper names, and its items when it is a keyword list."""
    if not prompt:
        return []
    items = [item for item in (normalise(part) for part in _LIST_SEPARATORS.split(prompt)) if item]
    listed = len(items) > 1 and all(len(item.split()) <= MAX_LIST_ITEM_WORDS for item in items)
    return dedupe([*proper_names(prompt), *(items if listed else [])])


def tool_phrases(tools: Iterable[Mapping[str, Any]]) -> list[str]:
    """Proper names in the tools' descriptions (the parameters' too, at any depth) and their enum values."""
    phrases: list[str] = []
    for tool in tools:
        _walk_schema(tool, phrases)
    return dedupe(phrases)


def _walk_schema(node: Any, phrases: list[str]) -> None:
    if isinstance(node, Mapping):
        description = node.get("description")
        if isinstance(description, str):
            phrases += proper_names(description)
        enum = node.get("enum")
        if isinstance(enum, list):
            phrases += [normalise(value) for value in enum if isinstance(value, str)]
        for key, value in node.items():
            if key not in ("description", "enum"):
                _walk_schema(value, phrases)
    elif isinstance(node, list):
        for value in node:
            _walk_schema(value, phrases)


def session_keywords(transcription: Mapping[str, Any] | None, tools: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """The keywords a session's transcription should favour: its ``keywords``, then its tools' phrases."""
    keywords = (transcription or {}).get("keywords") or []
    return dedupe([*(normalise(k) for k in keywords if isinstance(k, str)), *tool_phrases(tools or [])])


def dedupe(phrases: Iterable[str]) -> list[str]:
    """Non-empty phrases, first occurrence kept."""
    return list(dict.fromkeys(p for p in phrases if p))
