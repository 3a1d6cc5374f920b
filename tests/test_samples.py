"""Every sample runs against the embedded server within a time limit, so the samples cannot rot.

The samples start together (most of their time is real-time audio and imports) and each is checked
for exit status 0 and the lines it must print. The microphone sample runs twice: as it is (skips with
a message on a machine without PortAudio or a sound device) and with a fake ``sounddevice`` whose
microphone plays a recorded question.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
AUDIO = ROOT.parent / "shared" / "fixtures" / "audio"
LIMIT_S = 40  # each sample must finish well within ~20 s alone; they run concurrently here


def _webrtc_available() -> bool:
    try:
        from semantic_kernel_realtime.connectors.openai import OpenAIRealtimeWebRTC  # noqa: F401
    except ImportError:
        return False
    return True


def _sounddevice_usable() -> bool:
    try:
        import sounddevice as sd

        sd.query_devices(kind="input")
        sd.query_devices(kind="output")
    except Exception:
        return False
    return True


RUNS = {
    "websocket_text_chat": ([], {}, ["user: Hello there!", "assistant: You said: Hello there!"]),
    "function_calling_voice_agent": ([], {}, ["user: what is the weather in paris",
                                              'tool call: weather-get_weather({"location": "paris"})',
                                              "assistant: Here is what I found: It is 19 degrees and sunny in paris"]),
    "webrtc_voice": ([], {}, ["assistant: ", "over the WebRTC track"] if _webrtc_available()
                     else ["skipped: WebRTC connectors are not available"]),
    "azure_entra_id": ([], {"AZURE_OPENAI_ENDPOINT": None}, ["token provider called",
                                                            "assistant: You said: Hello from Entra ID!"]),
    "chat_completion_agent": ([], {}, ["travel: Here is what I found: It is 24 degrees and sunny in Lisbon"]),
    "microphone_and_speaker": (["--seconds", "3"], {},
                               ["assistant: "] if _sounddevice_usable() else ["skipped: "]),
    "microphone_and_speaker[fake device]": (
        ["--seconds", "7"],
        {"PYTHONPATH": str(Path(__file__).parent / "demo" / "fake_sounddevice"),
         "FAKE_MIC_WAV": str(AUDIO / "weather-in-paris.pcm16-24k.wav")},
        ["you: what is the weather in paris", "assistant: Here is what I found: It is 22 degrees",
         "fake speaker: played"]),
}


@pytest.fixture(scope="module")
def outputs() -> dict[str, subprocess.CompletedProcess]:
    procs = {}
    for name, (args, env_changes, _) in RUNS.items():
        env = {**os.environ}
        for key, value in env_changes.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        script = SAMPLES / f"{name.split('[')[0]}.py"
        procs[name] = subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT, env=env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            out += f"\n[killed after {LIMIT_S} s]"
            proc.returncode = -9
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


def test_every_sample_is_tested() -> None:
    assert {p.stem for p in SAMPLES.glob("*.py")} == {name.split("[")[0] for name in RUNS}


@pytest.mark.parametrize("name", list(RUNS))
def test_sample_runs(name: str, outputs: dict[str, subprocess.CompletedProcess]) -> None:
    result = outputs[name]
    assert result.returncode == 0, f"{name} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    for expected in RUNS[name][2]:
        assert expected in result.stdout, f"{expected!r} not in the output of {name}:\n{result.stdout}"
