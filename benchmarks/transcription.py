"""Word error rate and real-time factor of the offline recogniser over every recording in ../shared.

For each file in ``../shared/fixtures/audio/`` (read with the demo's reader, any format, converted to
PCM16 24 kHz mono) the embedded server's ``PocketSphinxTranscriber`` transcribes it twice:

- **before**: the generic model alone (what the server did before sessions could pass hints);
- **after**: with the hints of the demo session (``sk-realtime demo``): the phrases the engine takes from
  the demo agent's tool schemas (``server/speech/hints.py``), exactly as the server computes them.

The reference words come from the audio table of ``../shared/README.md`` (the quoted sentence of each
file); a recording without one is reported and left out of the totals. WER = (substitutions + deletions +
insertions) / reference words, after lower-casing and dropping punctuation; the total is over all words.
RTF = median transcription wall time / audio duration (the engine built once, one warm-up call).

    .venv/bin/python benchmarks/transcription.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
AUDIO = SHARED / "fixtures" / "audio"
_ROW = re.compile(r"^\|\s*`(?P<file>[^`|]+\.wav)`\s*\|[^|]*\|(?P<said>[^|]*)\|", re.M)
_QUOTE = re.compile(r"\"([^\"]+)\"")


def references() -> dict[str, str]:
    """File name -> what is said, from the audio table of ../shared/README.md (its quoted sentence; "same
    sentence as the first file" refers to the table's first row)."""
    found: dict[str, str] = {}
    for row in _ROW.finditer((SHARED / "README.md").read_text(encoding="utf-8")):
        quote = _QUOTE.search(row["said"])
        if quote:
            found[row["file"]] = quote.group(1)
        elif "same sentence as the first file" in row["said"] and found:
            found[row["file"]] = next(iter(found.values()))
    return found


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower())


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def demo_session_keywords() -> list[str]:
    """The hints the server derives from the demo session's tools (the demo agent's kernel functions)."""
    from semantic_kernel import Kernel

    from semantic_kernel_realtime.demo.agent import PLUGIN_NAME, DemoPlugin
    from semantic_kernel_realtime.protocol.openai.tools import function_tools
    from semantic_kernel_realtime.server.speech.hints import session_keywords

    kernel = Kernel()
    kernel.add_plugin(DemoPlugin(), PLUGIN_NAME)
    return session_keywords({"model": "whisper-1"}, function_tools(kernel.get_full_list_of_function_metadata()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per file and condition (default: 3)")
    args = parser.parse_args()
    if not AUDIO.is_dir():
        print(f"needs ../shared beside the repository (absent: {SHARED})", file=sys.stderr)
        return 2

    from semantic_kernel_realtime.demo.audio import read_audio_file
    from semantic_kernel_realtime.server.speech.pocketsphinx_asr import PocketSphinxTranscriber

    refs = references()
    keywords = demo_session_keywords()
    transcriber = PocketSphinxTranscriber()
    conditions = {"before": {}, "after": {"keywords": keywords}}
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"demo session hints: {keywords}\n")
    totals = {name: [0, 0] for name in conditions}  # edits, reference words
    rtfs: dict[str, list[float]] = {name: [] for name in conditions}
    for path in sorted(AUDIO.iterdir()):
        pcm, info = read_audio_file(path)
        seconds = len(pcm) / 48000
        reference = refs.get(path.name)
        print(f"{path.name} ({seconds:.1f} s, {info.describe()})")
        print(f"  reference: {reference if reference else '(none in ../shared/README.md: not counted)'}")
        for name, options in conditions.items():
            transcriber.transcribe(pcm, **options)  # warm-up
            walls = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                text = transcriber.transcribe(pcm, **options)
                walls.append(time.perf_counter() - start)
            rtf = statistics.median(walls) / seconds
            rtfs[name].append(rtf)
            if reference:
                edits, n = edit_distance(words(reference), words(text)), len(words(reference))
                totals[name][0] += edits
                totals[name][1] += n
                wer = f"WER {edits / n:6.1%}"
            else:
                wer = "WER    n/a"
            print(f"  {name:6}  {wer}  RTF {rtf:.2f}  {text!r}")
    print()
    for name, (edits, n) in totals.items():
        print(f"total {name:6}: WER {edits / max(n, 1):.1%} ({edits} errors / {n} words), "
              f"median RTF {statistics.median(rtfs[name]):.2f}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
