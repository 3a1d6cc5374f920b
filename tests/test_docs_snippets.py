"""Every fenced ``python`` block of README.md and docs/**/*.md runs as printed (docs that cannot rot).

The convention (docs/architecture.md, "Contributing"): a block runs as a script in a fresh interpreter, in
an empty folder, and must exit 0. The line just above a block may mark it:
``<!-- snippet: fragment (why it cannot run) -->`` (not run; the reason is required) or
``<!-- snippet: pytest -->`` (the block is a test file, run under pytest). A heading that claims a size
("in 30 lines") is checked against the block under it. The blocks run side by side as child processes
that never outlive the test.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import ROOT, Run, again_if_misheard, run_side_by_side

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"^<!--\s*snippet:\s*(?P<kind>[\w-]+)\s*(?:\((?P<reason>[^)]*)\))?\s*-->\s*$")
LINES_CLAIM = re.compile(r"^#+ .*\bin (?P<lines>\d+) lines\b", re.M)
KINDS = ("fragment", "pytest")
LIMIT_S = 120
#: what some blocks must print (a block that runs but says the wrong thing is wrong too), by id:
#: ``<path from the repository root>#<n>``
EXPECTED_OUTPUT: dict[str, str | tuple[str, ...]] = {
    "docs/getting-started.md#1": "Sunny in Paris",
    "README.md#1": "Sunny in san francisco california",
    "docs/server.md#1": "You said: Hello there",  # the official openai SDK
    "docs/server.md#2": "You said: Hello there",  # google-genai's Live client
    "docs/browser.md#1": "Here is what I found: Sunny in Paris (run by the backend).",
    "docs/browser.md#2": "ek_ http://127.0.0.1:",
    "docs/server.md#4": "You said: Hello over WebRTC",
    "docs/providers/openai.md#1": "gpt-realtime wss://api.openai.com/v1/realtime?model=gpt-realtime",
    "docs/providers/azure.md#1": ("wss://my-resource.openai.azure.com/openai/v1/realtime?model=gpt-realtime",
                                  "['Authorization', 'User-Agent']"),
    "docs/transports.md#1": "OpenAIRealtimeWebsocket You said: hello there",
    # the barge-in player: stopped and truncated where it played
    "docs/transports.md#2": ("stop playing: 500 ms of item_", "'truncated': True, 'audio_end_ms': 500"),
}
#: blocks whose expected line needs the offline recogniser to hear a question eSpeak NG speaks. The first
#: synthesis in a process is the same on every run (eSpeak's noise generator is seeded), but its later ones
#: vary, and PocketSphinx mishears some renderings; the model's answer shows it ("You said: <what it heard>"
#: instead of the tool's answer). Such a block, when it ran and its answer shows a mishearing, runs again on its
#: own (three runs in all); any other failure fails at once.
HEARS_SPEECH = frozenset({"README.md#1", "docs/getting-started.md#1"})
MISHEARD = "You said: "
pytestmark = pytest.mark.timeout(2 * LIMIT_S + 60)


@dataclass(frozen=True)
class Snippet:
    doc: Path
    number: int  # 1-based among the doc's python blocks
    line: int
    code: str
    kind: str  # "script", "fragment", "pytest"
    reason: str

    @property
    def id(self) -> str:
        return f"{relative(self.doc)}#{self.number}"


def relative(doc: Path) -> str:
    return doc.relative_to(ROOT).as_posix()


def snippets() -> list[Snippet]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for number, match in enumerate(FENCE.finditer(text), start=1):
            before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.match(before)
            kind, reason = (marker["kind"], (marker["reason"] or "").strip()) if marker else ("script", "")
            found.append(Snippet(doc, number, text.count("\n", 0, match.start()) + 1, match["code"], kind, reason))
    return found


SNIPPETS = snippets()
RUNNABLE = [s for s in SNIPPETS if s.kind in ("script", "pytest")]


def test_the_docs_have_runnable_blocks_and_every_marker_is_known_and_explained() -> None:
    assert len(RUNNABLE) >= 6, [s.id for s in SNIPPETS]
    for snippet in SNIPPETS:
        assert snippet.kind in ("script", *KINDS), f"{snippet.id} (line {snippet.line}): unknown kind {snippet.kind!r}"
        if snippet.kind == "fragment":
            assert snippet.reason, f"{snippet.id} (line {snippet.line}): a fragment marker must say why"


def test_every_expected_output_names_a_block_that_runs() -> None:
    """A renamed or renumbered block must not leave its expected output checking nothing."""
    assert set(EXPECTED_OUTPUT) <= {s.id for s in RUNNABLE}, sorted(set(EXPECTED_OUTPUT) - {s.id for s in RUNNABLE})
    assert HEARS_SPEECH <= set(EXPECTED_OUTPUT)


@pytest.mark.parametrize("doc", DOCS, ids=relative)
def test_a_heading_that_claims_a_size_is_true(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for claim in LINES_CLAIM.finditer(text):
        block = FENCE.search(text, claim.end())
        assert block is not None, claim.group(0)
        lines = len(block["code"].rstrip("\n").splitlines())
        assert lines <= int(claim["lines"]), f"{relative(doc)}: {claim.group(0)!r} but the block has {lines} lines"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict[str, subprocess.CompletedProcess], dict[str, Run]]:
    planned = {}
    for snippet in RUNNABLE:
        folder = tmp_path_factory.mktemp(snippet.id.replace("/", "-").replace("#", "-").replace(".", "-"))
        if snippet.kind == "pytest":
            (folder / "test_snippet.py").write_text(snippet.code)
            args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_snippet.py"]
        else:
            (folder / "snippet.py").write_text(snippet.code)
            args = ["snippet.py"]
        planned[snippet.id] = Run(args, {"OPENAI_API_KEY": None, "AZURE_OPENAI_ENDPOINT": None}, folder)
    return run_side_by_side(planned, LIMIT_S), planned


@pytest.mark.parametrize("snippet", RUNNABLE, ids=lambda s: s.id)
def test_the_block_runs_as_printed(snippet: Snippet, runs) -> None:
    results, planned = runs
    result = results[snippet.id]
    found = EXPECTED_OUTPUT.get(snippet.id, ())
    expected = (found,) if isinstance(found, str) else found
    if snippet.id in HEARS_SPEECH:
        result = again_if_misheard(result, planned[snippet.id], expected, MISHEARD, LIMIT_S)
    where = f"{relative(snippet.doc)}, the block at line {snippet.line}"
    assert result.returncode == 0, f"{where} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    for line in expected:
        assert line in result.stdout, f"{where} printed:\n{result.stdout}"
