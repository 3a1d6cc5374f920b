"""``sk-realtime demo --provider gemini``: the same demo over Gemini Live, offline on the embedded server.

The same output as the OpenAI demo: the transcript with the tool call and its result, the timing table,
``answer.wav`` and ``session.jsonl`` (Gemini Live messages); ``replay`` reads the log with the Gemini codec
(the log's ``client.connection`` record names the protocol). Wrong arguments are one line with status 2.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from semantic_kernel_realtime.cli import main
from semantic_kernel_realtime.demo.agent import DemoPlugin
from semantic_kernel_realtime.demo.arguments import PROVIDER_NAMES
from semantic_kernel_realtime.demo.run import PROVIDERS
from semantic_kernel_realtime.protocol.gemini import GeminiCodec

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPT = re.compile(r"^(user|assistant|tool call|tool result): .*$", re.MULTILINE)
INPUT = ROOT.parent / "shared" / "fixtures" / "audio" / "weather-in-paris.pcm16-24k.wav"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    if not INPUT.exists():
        pytest.skip(f"fixture missing: {INPUT}")
    out = tmp_path_factory.mktemp("gemini-demo")
    result = subprocess.run([sys.executable, "-m", "semantic_kernel_realtime.cli", "demo", "--provider", "gemini",
                             "--input", str(INPUT), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    if "transcriber: none" in result.stdout:
        pytest.skip("no offline speech recogniser installed")
    return result, out


def _transcript(text: str) -> list[str]:
    return [m.group(0) for m in TRANSCRIPT.finditer(text)]


def test_the_gemini_demo_answers_the_spoken_question_with_the_weather_tool(demo) -> None:
    result, _ = demo
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gemini, websocket" in result.stdout and "Traceback" not in result.stderr
    lines = _transcript(result.stdout)
    user = next(line for line in lines if line.startswith("user: "))
    assert "weather" in user.lower() and "paris" in user.lower()
    call = next(line for line in lines if line.startswith("tool call: "))
    location = json.loads(call.removeprefix("tool call: demo-get_weather(").removesuffix(")"))["location"]
    assert location.lower() == "paris"
    expected = DemoPlugin().get_weather(location)
    assert f"tool result: {expected}" in lines
    assert expected in [line for line in lines if line.startswith("assistant: ")][-1]
    timing = result.stdout[result.stdout.index("timing:"):result.stdout.index("answer audio:")]
    for row in ("speech end -> user transcript", "speech end -> tool call", "tool time (call -> result sent)",
                "speech end -> first response audio"):
        assert re.search(rf"{re.escape(row)}\s+\d+ ms", timing), f"no figure for {row!r}:\n{timing}"


def test_the_gemini_demo_writes_the_answer_and_a_gemini_session_log(demo) -> None:
    _, out = demo
    with wave.open(str(out / "answer.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert len(pcm) / 24000 > 1.0 and np.sqrt(np.mean(pcm**2)) > 300  # speech, not silence
    records = [json.loads(line) for line in (out / "session.jsonl").read_text().splitlines()]
    connection = next(r["event"] for r in records if r["event"].get("type") == "client.connection")
    assert connection["protocol"] == GeminiCodec.capabilities.name == "gemini-live"
    sent = [next(iter(r["event"])) for r in records if r["dir"] == "sent"]
    assert sent[0] == "setup" and {"realtimeInput", "toolResponse"} <= set(sent)
    received = [r["event"] for r in records if r["dir"] == "received"]
    assert "setupComplete" in received[0] and received[-1].get("serverContent", {}).get("turnComplete")
    assert "offline-demo" not in (out / "session.jsonl").read_text()  # the key travels in a header, unlogged


def test_replay_reads_a_gemini_log_with_the_gemini_codec(demo, capsys) -> None:
    result, out = demo
    assert main(["replay", str(out / "session.jsonl")]) == 0
    replayed = capsys.readouterr().out
    assert _transcript(replayed) == _transcript(result.stdout)
    timing = result.stdout[result.stdout.index("timing:"):result.stdout.index("answer audio:")].strip()
    assert timing in replayed
    assert "gemini-live over websocket" in replayed


@pytest.mark.parametrize("argv, message", [
    (["--provider", "gemini", "--transport", "webrtc"], "--provider gemini speaks over websocket only"),
    (["--provider", "gemini", "--service", "openai"], "--provider gemini runs on --service local or google"),
    (["--provider", "openai", "--service", "google"], "--provider openai runs on --service local or openai or azure"),
])
def test_a_provider_it_cannot_run_is_one_line(tmp_path, capsys, argv, message) -> None:
    assert main(["demo", *argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # refused before anything ran


def test_the_real_gemini_service_needs_its_key(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("GOOGLE_AI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_AI_USE_VERTEXAI", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file here
    assert main(["demo", "--service", "google", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "GOOGLE_AI_API_KEY" in err and "--service google" in err and len(err.strip().splitlines()) == 1


def test_every_provider_option_has_its_entry() -> None:
    assert tuple(PROVIDERS) == PROVIDER_NAMES
