"""docs/observability.md: every Python block runs as printed, and its tables are the telemetry's own names."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from semantic_kernel_realtime.telemetry import conventions as c

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "observability.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
EXPECTED = [  # what each block prints, in order
    "answer: Here is what I found: Sunny in Paris.",
    "['RealtimeTelemetry']",
    "the turn took",
    "timing:",
]


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMANTICKERNEL_EXPERIMENTAL_GENAI")}
    script = cwd / "snippet.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def _spans(stdout: str) -> list[dict]:
    """The console exporter's JSON objects, in the order printed."""
    decoder, spans, at = json.JSONDecoder(), [], stdout.find("{")
    while at != -1:
        span, end = decoder.raw_decode(stdout, at)
        spans.append(span)
        at = stdout.find("{", end)
    return spans


def test_every_block_is_checked() -> None:
    assert len(BLOCKS) == len(EXPECTED)


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_the_block_runs_as_printed(index: int, tmp_path: Path) -> None:
    done = _run(BLOCKS[index], tmp_path)
    assert done.returncode == 0, done.stderr
    assert EXPECTED[index] in done.stdout, done.stdout
    if index == 0:  # the console exporter printed the documented tree
        spans = {s["name"]: s for s in _spans(done.stdout)}
        session, tool = spans["realtime gpt-realtime"], spans["tool_call weather-get_weather"]
        function = spans["execute_tool weather-get_weather"]
        assert function["parent_id"] == tool["context"]["span_id"]
        assert spans[next(n for n in spans if n.startswith("chat "))]["parent_id"] == session["context"]["span_id"]
        assert session["resource"]["attributes"]["service.name"] == "weather-desk"
    if index == 3:
        assert (tmp_path / "out" / "session.jsonl").is_file()


def test_the_tables_are_the_telemetry_s_own() -> None:
    text = DOC.read_text()
    for name, (spans, holds, sensitive) in c.ATTRIBUTES.items():
        assert f"| `{name}` | {spans} | {holds} | {'yes' if sensitive else ''} |" in text, name
    for name, (kind, unit, what, attrs) in c.METRICS.items():
        assert f"| `{name}` | {kind} | `{unit}` | {what} | {attrs} |" in text, name
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.M))
    assert documented >= set(c.ATTRIBUTES) | set(c.METRICS)
