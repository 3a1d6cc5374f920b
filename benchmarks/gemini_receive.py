"""Gemini Live receive path: CPU per message of ``GeminiCodec.decode`` against a floor on the same stream.

The stream is what a spoken answer looks like on the wire: binary-frame JSON messages, each a
``serverContent.modelTurn`` with ``--chunk-ms`` of PCM16 24 kHz audio (base64, 40 ms by default), one
``outputTranscription`` per five audio messages, a ``turnComplete`` with ``usageMetadata`` closing each turn.
The floor is the least any decoder must do: ``orjson.loads`` of every message plus a strict ``pybase64``
decode of its audio. Both run in this process, interleaved in rounds, and the best round of each is compared
(target: <= 1.3x).

Run: ``.venv/bin/python benchmarks/gemini_receive.py [--messages N] [--rounds R]``
"""

from __future__ import annotations

import argparse
import os
import time

import orjson
import pybase64

from semantic_kernel_realtime.protocol.gemini import GeminiCodec


def stream(messages: int, chunk_ms: int = 40) -> list[bytes]:
    audio = pybase64.b64encode(os.urandom(48 * chunk_ms)).decode()  # PCM16 24 kHz
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


def floor(messages: list[bytes]) -> None:
    loads, decode = orjson.loads, pybase64.b64decode
    for raw in messages:
        message = loads(raw)
        content = message.get("serverContent")
        turn = content.get("modelTurn") if content else None
        if turn:
            for part in turn["parts"]:
                decode(part["inlineData"]["data"], validate=True)


def codec(messages: list[bytes]) -> None:
    decode = GeminiCodec(model="bench").decode
    signals, wanted = GeminiCodec.signals, GeminiCodec.signal_types  # as the receive path asks: only these types
    for raw in messages:
        for event in decode(raw):
            if event.service_type in wanted:
                signals(event)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--chunk-ms", type=int, default=40, help="audio per message (default 40 ms)")
    args = parser.parse_args()
    messages = stream(args.messages, args.chunk_ms)
    best = {"floor": float("inf"), "codec": float("inf")}
    for _ in range(args.rounds):
        for name, run in (("floor", floor), ("codec", codec)):
            start = time.process_time()
            run(messages)
            best[name] = min(best[name], time.process_time() - start)
    per = {name: seconds / len(messages) * 1e6 for name, seconds in best.items()}
    print(f"messages={len(messages)} chunk={args.chunk_ms} ms rounds={args.rounds} load={os.getloadavg()[0]:.2f}")
    print(f"floor (orjson + pybase64): {per['floor']:.2f} us/message")
    print(f"GeminiCodec.decode + signals: {per['codec']:.2f} us/message")
    print(f"ratio: {per['codec'] / per['floor']:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
