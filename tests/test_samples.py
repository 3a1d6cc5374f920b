"""Every sample runs against the embedded server within a time limit, so the samples cannot rot.

The samples start together (most of their time is real-time audio and imports) and each is checked
for its exit status and the lines it must print; none outlives the test (``tests/processes.py``). Their
questions are synthesised offline (the samples' default) or written here in other formats and rates, so
nothing here needs ``../shared``. The microphone sample runs twice: as it is (skips with a message on a
machine without PortAudio or a sound device) and with a fake ``sounddevice`` whose microphone plays a
spoken question.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from semantic_kernel_realtime import synthesize_speech
from semantic_kernel_realtime.demo.audio import write_wav
from tests.audio import pcm16_to_float, write_audio
from tests.processes import ROOT, Run, again_if_misheard, run_side_by_side

pytest.importorskip("espeakng_loader", reason="the samples' questions are synthesised with eSpeak NG ('.[speech]')")

SAMPLES = ROOT / "samples"
LIMIT_S = 120  # ~20 s each alone; 14 side by side on 2 cores: ~32 s for one that only starts, ~43 s the slowest
pytestmark = pytest.mark.timeout(LIMIT_S + 60)


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


PARIS_ANSWER = "assistant: Here is what I found: It is 19 degrees and sunny in paris"
#: name -> (sample, arguments, environment changes, exit status, lines it must print, lines on stderr)
RUNS = {
    "websocket_text_chat": ("websocket_text_chat", [], {}, 0, ["user: Hello there!",
                                                               "assistant: You said: Hello there!"], []),
    "function_calling_voice_agent": ("function_calling_voice_agent", [], {}, 0, [
        "user: what's the weather like in san francisco california",
        'tool call: weather-get_weather({"location": "san francisco california"})',
        "assistant: Here is what I found: It is 19 degrees and sunny in san francisco california"], []),
    "function_calling_voice_agent[16 kHz FLAC]": ("function_calling_voice_agent", ["{tmp}/question-16k.flac"], {}, 0,
                                                  ["weather in paris", PARIS_ANSWER], []),
    # telephone-band synthetic speech is beyond the offline recogniser: the point is that the file is read
    "function_calling_voice_agent[8 kHz A-law WAV]": ("function_calling_voice_agent", ["{tmp}/question-alaw.wav"],
                                                      {}, 0, ["user: ", "assistant: "], []),
    "function_calling_voice_agent[missing file]": ("function_calling_voice_agent", ["{tmp}/missing.wav"], {}, 1, [],
                                                   ["error: input audio file not found: {tmp}/missing.wav"]),
    "webrtc_voice": ("webrtc_voice", [], {}, 0, ["user: ", "assistant: You said: ", "over the WebRTC track"]
                     if _webrtc_available()
                     else ["skipped: WebRTC connectors are not available"], []),
    "webrtc_voice[not audio]": ("webrtc_voice", ["{tmp}/notes.txt"], {}, 1 if _webrtc_available() else 0, [],
                                ["error: {tmp}/notes.txt is not an audio file"] if _webrtc_available() else []),
    "azure_entra_id": ("azure_entra_id", [], {"AZURE_OPENAI_ENDPOINT": None}, 0,
                       ["token provider called", "assistant: You said: Hello from Entra ID!"], []),
    "chat_completion_agent": ("chat_completion_agent", [], {}, 0,
                              ["travel: Here is what I found: It is 24 degrees and sunny in Lisbon"], []),
    "twilio_media_stream": ("twilio_media_stream", [], {}, 0, ["the caller heard 1000 ms of mu-law audio",
                                                               "the call was ended by the caller"], []),
    "acs_media_streaming": ("acs_media_streaming", [], {}, 0, ["ms of 16 kHz PCM audio",
                                                               "the call was ended by the caller"], []),
    "sip_webhook": ("sip_webhook", [], {}, 0, [
        "tool: get_weather('Paris')", "model: Here is what I found: It is 19 degrees and sunny in Paris.",
        "the call left the sideband", "call referred, referred to tel:+15550123"], []),
    "microphone_and_speaker": ("microphone_and_speaker", ["--seconds", "3"], {}, 0,
                               ["assistant: "] if _sounddevice_usable() else ["skipped: "], []),
    "microphone_and_speaker[fake device]": (
        # it listens this long whatever happens: the spoken question, its transcript, the tool and the answer
        # must fit in it while every other sample runs beside it on two cores
        "microphone_and_speaker", ["--seconds", "20"],
        {"PYTHONPATH": str(Path(__file__).parent / "demo" / "fake_sounddevice"),
         "FAKE_MIC_WAV": "{tmp}/question-24k.wav"},
        0, ["you: what is the weather in paris", "assistant: Here is what I found: It is 22 degrees",
            "fake speaker: played"], []),
}


def _filled(value, tmp: Path):
    return value.replace("{tmp}", str(tmp)) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[dict[str, subprocess.CompletedProcess], Path, dict[str, Run]]:
    tmp = tmp_path_factory.mktemp("samples")
    question = _intelligible("What is the weather in Paris?")
    write_wav(tmp / "question-24k.wav", question)
    write_audio(tmp / "question-16k.flac", _resampled(question, 16000), 16000, "flac")
    write_audio(tmp / "question-alaw.wav", _resampled(question, 8000), 8000, "pcm_alaw")
    (tmp / "notes.txt").write_text("not audio\n")
    runs = {name: Run([str(SAMPLES / f"{sample}.py"), *(_filled(a, tmp) for a in args)],
                      {key: _filled(value, tmp) for key, value in env.items()})
            for name, (sample, args, env, *_) in RUNS.items()}
    return run_side_by_side(runs, LIMIT_S), tmp, runs


def _intelligible(text: str, tries: int = 5) -> bytes:
    """``text`` spoken by eSpeak NG, as the offline recogniser hears it right. eSpeak varies its waveform from
    call to call and PocketSphinx mishears about one question in five: the samples' inputs are checked once
    here, so a sample that mishears them is a failure of the sample."""
    from semantic_kernel_realtime.server.speech.defaults import default_transcriber

    transcriber = default_transcriber()
    words = [w.strip("?.,!").lower() for w in text.split()]
    for _ in range(tries):
        pcm = synthesize_speech(text)
        heard = transcriber.transcribe(pcm) if transcriber is not None else text.lower()
        if all(word in heard for word in words if len(word) > 4):
            return pcm
    return pcm


def _resampled(pcm16: bytes, rate: int):
    from semantic_kernel_realtime.server.speech.resample import resample_pcm16

    return pcm16_to_float(resample_pcm16(pcm16, 24000, rate))


def test_every_sample_is_tested() -> None:
    assert {p.stem for p in SAMPLES.glob("*.py")} == {sample for sample, *_ in RUNS.values()}


#: runs that synthesise their own question (the sample's default); when one ran and the model's answer shows
#: the question was misheard ("You said: ...", see ``_intelligible``), it runs once more on its own
HEARS_ITS_OWN_QUESTION = frozenset({"function_calling_voice_agent"})
MISHEARD = "assistant: You said: "


@pytest.mark.parametrize("name", list(RUNS))
def test_sample_runs(name: str, outputs) -> None:
    results, tmp, runs = outputs
    result = results[name]
    _, _, _, status, lines, errors = RUNS[name]
    if name in HEARS_ITS_OWN_QUESTION:
        result = again_if_misheard(result, runs[name], lines, MISHEARD, LIMIT_S)
    assert result.returncode == status, f"{name} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    for expected in lines:
        assert expected in result.stdout, f"{expected!r} not in the output of {name}:\n{result.stdout}"
    for expected in errors:
        assert _filled(expected, tmp) in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one line, nothing else
