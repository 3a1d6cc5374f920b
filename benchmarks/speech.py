"""Wall time of the embedded server's offline speech engines (target: < 1 s each on 2 cores).

Measures (after one warm-up call, engines built once, as the server does):
- PocketSphinx transcribing the first 3 s of ``../shared/fixtures/audio/whats-the-weather.pcm16-24k.wav``;
- eSpeak NG synthesising an answer of about 3 s of audio (24 kHz PCM16, resampling included).
Prints the median and worst wall time and the median CPU time of ``--repeat`` runs (CPU time is what to
compare on a busy machine), plus one-off construction times. Exit status 1 when a wall time misses.

    .venv/bin/python benchmarks/speech.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import wave
from pathlib import Path

AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "audio"
FIXTURE = AUDIO / "whats-the-weather.pcm16-24k.wav"
ANSWER = "It is sixty one degrees and foggy in San Francisco."
RATE = 24_000
TARGET_S = 1.0


def _timed(fn, repeat: int) -> tuple[object, list[float], list[float]]:
    """Run ``fn`` once to warm up, then ``repeat`` times; wall and CPU seconds of each run."""
    fn()  # warm-up (filter tables, first-call allocations)
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return result, wall, cpu


def _line(label: str, wall: list[float], cpu: list[float]) -> str:
    verdict = "OK" if max(wall) < TARGET_S else "OVER TARGET"
    return (
        f"{label:<40} wall median {statistics.median(wall) * 1000:6.0f} ms, worst {max(wall) * 1000:6.0f} ms"
        f" | cpu median {statistics.median(cpu) * 1000:6.0f} ms  [{verdict}: wall < {TARGET_S:.0f} s]"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from semantic_kernel_realtime.server.speech.espeak import EspeakSynthesizer
    from semantic_kernel_realtime.server.speech.pocketsphinx_asr import PocketSphinxTranscriber

    print(f"speech engines benchmark: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, repeat {args.repeat}")
    ok = True

    start = time.perf_counter()
    transcriber = PocketSphinxTranscriber()
    print(f"{'PocketSphinxTranscriber() construction':<40} wall {(time.perf_counter() - start) * 1000:6.0f} ms (once)")
    with wave.open(str(FIXTURE)) as w:
        pcm = w.readframes(w.getnframes())[: 3 * RATE * 2]
    text, wall, cpu = _timed(lambda: transcriber.transcribe(pcm), args.repeat)
    print(_line(f"transcribe {len(pcm) / 2 / RATE:.1f} s of speech", wall, cpu))
    print(f"{'':<40} -> {text!r}")
    ok &= max(wall) < TARGET_S

    start = time.perf_counter()
    synthesizer = EspeakSynthesizer()
    print(f"{'EspeakSynthesizer() construction':<40} wall {(time.perf_counter() - start) * 1000:6.0f} ms (once)")
    audio, wall, cpu = _timed(lambda: synthesizer.synthesize(ANSWER), args.repeat)
    print(_line(f"synthesise {len(audio) / 2 / RATE:.1f} s answer ({len(ANSWER.split())} words)", wall, cpu))
    ok &= max(wall) < TARGET_S
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) {load:.2f}: wall times above ~1 load per CPU include waiting for other processes")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
