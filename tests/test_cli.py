"""``sk-realtime``: the demo end to end against the embedded server, then ``replay`` and ``--plot`` on its log."""

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

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = re.compile(r"^(user|assistant|tool call|tool result): .*$", re.MULTILINE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "semantic_kernel_realtime.cli", "demo", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=45)
    return result, out


def _transcript(text: str) -> list[str]:
    return [m.group(0) for m in TRANSCRIPT.finditer(text)]


def test_demo_answers_the_spoken_question_with_the_weather_tool(demo) -> None:
    result, out = demo
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = _transcript(result.stdout)
    user = next(line for line in lines if line.startswith("user: "))
    assert "weather" in user.lower() and ("california" in user.lower() or "francisco" in user.lower())
    call = next(line for line in lines if line.startswith("tool call: "))
    assert call.startswith("tool call: demo-get_weather(")
    location = json.loads(call.removeprefix("tool call: demo-get_weather(").removesuffix(")"))["location"]
    expected = DemoPlugin().get_weather(location)
    assert f"tool result: {expected}" in lines
    answer = [line for line in lines if line.startswith("assistant: ")][-1]
    assert expected in answer
    assert "speech end -> first response audio" in result.stdout


def test_demo_writes_a_playable_answer_and_the_session_log(demo) -> None:
    _, out = demo
    with wave.open(str(out / "answer.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert len(pcm) / 24000 > 1.0
    assert np.sqrt(np.mean(pcm**2)) > 300  # real speech, not silence
    records = [json.loads(line) for line in (out / "session.jsonl").read_text().splitlines()]
    assert [r["event"]["type"] for r in records if r["dir"] == "meta"] == [
        "client.session_log", "client.connection", "client.session_ended"]
    assert records[0]["event"]["service"] == "local" and records[-1]["event"]["type"] == "client.session_ended"
    assert {r["dir"] for r in records} == {"meta", "sent", "received"}
    assert all(a["t"] <= b["t"] for a, b in zip(records, records[1:], strict=False))
    assert [r["event"]["type"] for r in records if r["dir"] == "received"][-1] == "response.done"


def test_replay_prints_the_same_transcript_and_plots(demo, tmp_path, capsys) -> None:
    result, out = demo
    png = tmp_path / "timeline.png"
    assert main(["replay", str(out / "session.jsonl"), "--plot", str(png)]) == 0
    replayed = capsys.readouterr().out
    assert _transcript(replayed) == _transcript(result.stdout)
    timing = result.stdout[result.stdout.index("timing:"):result.stdout.index("answer audio:")].strip()
    assert timing in replayed
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_expected_failures_are_one_line_messages(tmp_path, capsys, monkeypatch) -> None:
    assert main(["demo", "--input", str(tmp_path / "missing.wav"), "--out", str(tmp_path)]) == 1
    assert "input audio file not found" in capsys.readouterr().err
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["demo", "--service", "openai", "--out", str(tmp_path)]) == 1
    assert "OPENAI_API_KEY is not set" in capsys.readouterr().err
    (tmp_path / "empty.jsonl").write_text("")
    assert main(["replay", str(tmp_path / "empty.jsonl")]) == 1
    assert "no session events" in capsys.readouterr().err


def test_webrtc_transport_is_picked_up_or_refused_clearly() -> None:
    from semantic_kernel_realtime.demo import run

    try:
        from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC
    except ImportError:
        with pytest.raises(run.DemoError, match="WebRTC connectors are not available in this build"):
            run.connector_class("local", "webrtc")
    else:
        assert run.connector_class("local", "webrtc") is OpenAIRealtimeWebRTC


def test_serve_is_wired(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    assert "--no-speech" in capsys.readouterr().out
