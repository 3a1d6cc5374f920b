"""Gemini Live receive path: CPU per message of ``GeminiCodec.decode`` against floors on the same stream.

    .venv/bin/python benchmarks/gemini_receive.py [--messages N] [--rounds R] [--chunk-ms 40,100,200]

The stream is what a spoken answer looks like on the wire: binary-frame JSON messages, each a
``serverContent.modelTurn`` with ``--chunk-ms`` of PCM16 24 kHz audio (base64), an ``outputTranscription``
every sixth message, and a ``turnComplete`` with ``usageMetadata`` closing each turn of fifty. The same answer
as OpenAI GA events (``response.output_audio.delta``, ``response.output_audio_transcript.delta``,
``response.done`` with usage) is decoded by ``OpenAICodec`` for comparison.

Paths, each over its own protocol's stream:

- floor (pybase64): ``orjson.loads`` of every message plus a strict ``pybase64`` decode of its audio: the
  least any decoder must do, with the base64 library the codecs use. The target is against this floor.
- floor (binascii): the same with ``binascii.a2b_base64``, the floor ``benchmarks/decode.py`` reports the
  OpenAI decoder's 1.06x against.
- codec: ``decode`` of every message plus ``signals`` for the event types the receive path asks about,
  exactly as the client's receive path calls them.

Timing: ``time.process_time`` (this process's CPU), ``gc`` off while timing, every path once per round,
round-robin, best round each (the machine is shared: the best is the least disturbed). Then a breakdown of one
40 ms audio message: the floor's two steps, building the SK objects (``decoded_audio_event``), and the rest.
"""

from __future__ import annotations

import argparse
import binascii
import gc
import os
import time
from collections.abc import Callable

import orjson
import pybase64

from semantic_kernel_realtime.protocol._build import decoded_audio_event
from semantic_kernel_realtime.protocol.gemini import GeminiCodec
from semantic_kernel_realtime.protocol.openai import OpenAICodec

TARGET = 1.3


def gemini_stream(messages: int, chunk_ms: int, audio: str) -> list[bytes]:
    out = []
    for index in range(messages):
        if index % 50 == 49:
            message = {"serverContent": {"turnComplete": True},
                       "usageMetadata": {"promptTokenCount": 100, "responseTokenCount": 40, "totalTokenCount": 140}}
        elif index % 6 == 5:
            message = {"serverContent": {"outputTranscription": {"text": " word"}}}
        else:
            message = {"serverContent": {"modelTurn": {"parts": [
                {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": audio}}]}}}
        out.append(orjson.dumps(message))
    return out


def openai_stream(messages: int, chunk_ms: int, audio: str) -> list[bytes]:
    out = []
    for index in range(messages):
        ids = {"event_id": f"event_{index}", "response_id": "resp_1", "item_id": "item_1", "output_index": 0,
               "content_index": 0}
        if index % 50 == 49:
            message = {"type": "response.done", "event_id": f"event_{index}", "response": {
                "id": "resp_1", "object": "realtime.response", "status": "completed", "output": [],
                "usage": {"input_tokens": 100, "output_tokens": 40, "total_tokens": 140}}}
        elif index % 6 == 5:
            message = {"type": "response.output_audio_transcript.delta", **ids, "delta": " word"}
        else:
            message = {"type": "response.output_audio.delta", **ids, "delta": audio}
        out.append(orjson.dumps(message))
    return out


def gemini_audio(message: dict) -> str | None:
    turn = message.get("serverContent", {}).get("modelTurn")
    return turn["parts"][0]["inlineData"]["data"] if turn else None


def openai_audio(message: dict) -> str | None:
    return message["delta"] if message["type"] == "response.output_audio.delta" else None


def floor(messages: list[bytes], audio_of: Callable[[dict], str | None], b64: Callable[[str], bytes]
          ) -> Callable[[], None]:
    loads = orjson.loads

    def run() -> None:
        for raw in messages:
            data = audio_of(loads(raw))
            if data is not None:
                b64(data)

    return run


def codec(messages: list[bytes], codec_class: type) -> Callable[[], None]:
    signals, wanted = codec_class.signals, codec_class.signal_types

    def run() -> None:
        decode = codec_class(model="bench").decode
        for raw in messages:
            for event in decode(raw):
                if event.service_type in wanted:
                    signals(event)

    return run


def cpu(run: Callable[[], None]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def measure(paths: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    best = dict.fromkeys(paths, float("inf"))
    for run in paths.values():
        run()  # warm-up
    for _ in range(rounds):
        for name, run in paths.items():
            best[name] = min(best[name], cpu(run))
    return best


def breakdown(rounds: int, n: int = 20000) -> dict[str, float]:
    """µs per step for one 40 ms audio message (best of ``rounds``)."""
    audio = pybase64.b64encode(os.urandom(48 * 40)).decode()
    (raw,) = gemini_stream(1, 40, audio)
    pcm = pybase64.b64decode(audio)
    decode = GeminiCodec(model="bench").decode
    loads, b64decode = orjson.loads, pybase64.b64decode
    steps = {
        "orjson.loads": lambda: loads(raw),
        "pybase64 decode": lambda: b64decode(audio, validate=True),
        "SK objects (decoded_audio_event)": lambda: decoded_audio_event("x", None, pcm, "audio/pcm"),
        "GeminiCodec.decode": lambda: decode(raw),
    }

    def repeat(step: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n):
                step()
        return run

    best = measure({name: repeat(step) for name, step in steps.items()}, rounds)
    return {name: seconds / n * 1e6 for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--chunk-ms", default="40,100,200", help="audio per message, ms (comma-separated)")
    args = parser.parse_args()
    print(f"messages={args.messages} rounds={args.rounds} load average at start={os.getloadavg()[0]:.2f} "
          f"(cores: {os.cpu_count()})")
    print(f"{'chunk':>6} {'protocol':>8} {'floor pybase64':>15} {'floor binascii':>15} {'codec':>7} "
          f"{'x pybase64':>11} {'x binascii':>11}   (µs per message)")
    results = {}
    for chunk_ms in (int(c) for c in args.chunk_ms.split(",")):
        audio = pybase64.b64encode(os.urandom(48 * chunk_ms)).decode()  # PCM16 24 kHz
        gemini, openai = gemini_stream(args.messages, chunk_ms, audio), openai_stream(args.messages, chunk_ms, audio)
        paths = {
            ("gemini", "floor_py"): floor(gemini, gemini_audio, lambda d: pybase64.b64decode(d, validate=True)),
            ("gemini", "floor_ba"): floor(gemini, gemini_audio, binascii.a2b_base64),
            ("gemini", "codec"): codec(gemini, GeminiCodec),
            ("openai", "floor_py"): floor(openai, openai_audio, lambda d: pybase64.b64decode(d, validate=True)),
            ("openai", "floor_ba"): floor(openai, openai_audio, binascii.a2b_base64),
            ("openai", "codec"): codec(openai, OpenAICodec),
        }
        best = measure(paths, args.rounds)
        per = {key: seconds / args.messages * 1e6 for key, seconds in best.items()}
        for protocol in ("gemini", "openai"):
            py, ba, ours = (per[(protocol, k)] for k in ("floor_py", "floor_ba", "codec"))
            results[(chunk_ms, protocol)] = ours / py
            print(f"{chunk_ms:>4}ms {protocol:>8} {py:>15.2f} {ba:>15.2f} {ours:>7.2f} {ours / py:>10.2f}x "
                  f"{ours / ba:>10.2f}x")
    steps = breakdown(args.rounds)
    print("\none 40 ms audio message (µs):", ", ".join(f"{name} {us:.2f}" for name, us in steps.items()))
    floor_us = steps["orjson.loads"] + steps["pybase64 decode"]
    rest = steps["GeminiCodec.decode"] - floor_us - steps["SK objects (decoded_audio_event)"]
    print(f"  above the floor ({floor_us:.2f}): SK objects {steps['SK objects (decoded_audio_event)']:.2f}, "
          f"the rest of decode {rest:.2f}")
    first = min(results)
    verdict = "PASS" if results[first] <= TARGET else "NOT MET"
    print(f"\ntarget: Gemini codec <= {TARGET}x floor (pybase64) at {first[0]} ms: {results[first]:.2f}x  {verdict}"
          f"   (load average at end={os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
