"""CPU cost of decoding a realistic GA server stream: our Decoder against the JSON + base64 floor.

    .venv/bin/python benchmarks/decode.py [--repeats N] [--passes N] [--frames-per-transcript N]

The stream is one spoken assistant response built from ``../shared/fixtures/audio/whats-the-weather.pcm16-24k.wav``:
the recording cut into 20 ms PCM16 24 kHz frames (480 samples, 960 bytes) sent as
``response.output_audio.delta``, with a ``response.output_audio_transcript.delta`` every N frames
(word by word of the sentence), wrapped in the events the service sends around them
(``response.created`` ... ``response.done``, ``rate_limits.updated``). Every event is serialised to
JSON text once; all measurements below run in this one process on the same texts:

- floor:            ``orjson.loads(text)`` + ``binascii.a2b_base64(delta)`` for audio frames
                    (reference variants: ``json.loads`` + ``base64.b64decode``; ``orjson.loads`` +
                    ``pybase64.b64decode``, the base64 library our decoder uses; ``orjson.loads`` alone)
- ours:             ``Decoder().decode_message(text)`` for every event (audio deltas are base64-decoded
                    and validated here, with pybase64)
- ours + read:      the same, then ``event.audio.data`` / ``audio_bytes`` of every audio event, as a player
                    or our client's audio callback reads it
- SK 1.45 path:     what Semantic Kernel 1.45's websocket receive does per message, minus asyncio: the
                    openai SDK's ``parse_event`` (``json.loads`` + ``construct_type_unchecked`` into the
                    ``RealtimeServerEvent`` union), then ``AudioContent``/``RealtimeAudioEvent`` for audio
                    and SK's own ``_parse_event`` generator (driven by hand) for the rest
- SDK model:        the openai SDK's union step alone (``construct_type_unchecked``, which is what
                    ``AsyncRealtimeConnection.parse_event`` does) and, for reference, strict validation
                    (``TypeAdapter(RealtimeServerEvent).validate_json``)

Timing: ``time.process_time`` (CPU of this process), a warm-up pass first, ``gc`` disabled while timing
(collected between timings), ``--passes`` passes over the whole stream per timing, ``--repeats`` repeats in
which every path is timed once, round-robin, so that load from other processes falls on all paths alike.
The table reports the minimum and the median per event over the repeats. The machine is shared, so the
minimum is the figure least disturbed by other work; the ratio uses the minimums, and the per-repeat
ratios of ours to the floor are printed too.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gc
import json
import os
import platform
import statistics
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WAV = SHARED / "fixtures" / "audio" / "whats-the-weather.pcm16-24k.wav"
FRAME_BYTES = 960  # 20 ms of PCM16 mono at 24 kHz
SENTENCE = "What's the weather like in San Francisco, California?"
TARGET = 1.3

sys.path.insert(0, str(REPO))


# -- the stream ----------------------------------------------------------------------------------------


class _Ids:
    """Id strings shaped like the live service's (prefix + 21 characters)."""

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def __init__(self) -> None:
        self._n = 0

    def __call__(self, prefix: str) -> str:
        self._n += 1
        n, chars = self._n * 2654435761 % (62**12), []
        for _ in range(21):
            n, r = divmod(n * 31 + 7, 62)
            chars.append(self._ALPHABET[r])
        return f"{prefix}_{''.join(chars)}"


def pcm_frames() -> list[bytes]:
    with wave.open(str(WAV)) as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, 24000):
            raise SystemExit(f"{WAV} is not PCM16 mono 24 kHz")
        pcm = w.readframes(w.getnframes())
    frames = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
    if len(frames[-1]) < FRAME_BYTES:
        frames[-1] = frames[-1] + bytes(FRAME_BYTES - len(frames[-1]))  # pad the last frame with silence
    return frames


def build_stream(frames_per_transcript: int) -> list[dict[str, Any]]:
    """The server events of one spoken response, in the order the GA service sends them."""
    ev = _Ids()
    resp_id, item_id, conv_id = ev("resp"), ev("item"), ev("conv")
    words = SENTENCE.split(" ")
    fmt = {"type": "audio/pcm", "rate": 24000}
    base = {"response_id": resp_id, "item_id": item_id, "output_index": 0, "content_index": 0}
    item = {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    response = {
        "object": "realtime.response", "id": resp_id, "status": "in_progress", "status_details": None,
        "output": [], "conversation_id": conv_id, "output_modalities": ["audio"], "max_output_tokens": "inf",
        "audio": {"output": {"format": fmt, "voice": "marin"}}, "usage": None, "metadata": None,
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "event_id": ev("event"), "response": response},
        {"type": "response.output_item.added", "event_id": ev("event"), "response_id": resp_id,
         "output_index": 0, "item": item},
        {"type": "conversation.item.added", "event_id": ev("event"), "previous_item_id": None, "item": item},
        {"type": "response.content_part.added", "event_id": ev("event"), **base,
         "part": {"type": "audio", "transcript": ""}},
    ]
    transcript: list[str] = []
    for i, frame in enumerate(pcm_frames()):
        if i % frames_per_transcript == 0:
            word = words[len(transcript) % len(words)]
            delta = word if not transcript else " " + word
            transcript.append(delta)
            events.append({"type": "response.output_audio_transcript.delta", "event_id": ev("event"), **base,
                           "delta": delta})
        events.append({"type": "response.output_audio.delta", "event_id": ev("event"), **base,
                       "delta": base64.b64encode(frame).decode("ascii")})
    text = "".join(transcript)
    done_item = {**item, "status": "completed", "content": [{"type": "output_audio", "transcript": text}]}
    usage = {"total_tokens": 1290, "input_tokens": 1012, "output_tokens": 278,
             "input_token_details": {"text_tokens": 980, "audio_tokens": 32, "image_tokens": 0, "cached_tokens": 896,
                                     "cached_tokens_details": {"text_tokens": 896, "audio_tokens": 0,
                                                               "image_tokens": 0}},
             "output_token_details": {"text_tokens": 61, "audio_tokens": 217}}
    events += [
        {"type": "response.output_audio.done", "event_id": ev("event"), **base},
        {"type": "response.output_audio_transcript.done", "event_id": ev("event"), **base, "transcript": text},
        {"type": "response.content_part.done", "event_id": ev("event"), **base,
         "part": {"type": "audio", "transcript": text}},
        {"type": "response.output_item.done", "event_id": ev("event"), "response_id": resp_id, "output_index": 0,
         "item": done_item},
        {"type": "conversation.item.done", "event_id": ev("event"), "previous_item_id": None, "item": done_item},
        {"type": "response.done", "event_id": ev("event"),
         "response": {**response, "status": "completed", "output": [done_item], "usage": usage}},
        {"type": "rate_limits.updated", "event_id": ev("event"), "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 400000, "remaining": 398710, "reset_seconds": 0.193}]},
    ]
    return events


# -- timing --------------------------------------------------------------------------------------------


def measure(paths: list[Callable[[], None]], n_events: int, repeats: int, passes: int) -> list[list[float]]:
    """CPU µs per event of each path, one figure per repeat.

    The paths are timed round-robin within each repeat (floor, ours, ... then again), so that load from
    other processes on a shared machine falls on all of them alike rather than on whichever ran last.
    """
    for run_pass in paths:
        run_pass()  # warm-up
    results: list[list[float]] = [[] for _ in paths]
    for _ in range(repeats):
        for i, run_pass in enumerate(paths):
            gc.collect()
            gc.disable()
            try:
                start = time.process_time()
                for _ in range(passes):
                    run_pass()
                elapsed = time.process_time() - start
            finally:
                gc.enable()
            results[i].append(1e6 * elapsed / (passes * n_events))
    return results


# -- the paths measured --------------------------------------------------------------------------------


def floor_orjson(texts: list[str], is_audio: list[bool]) -> Callable[[], None]:
    loads, a2b, items = orjson.loads, binascii.a2b_base64, list(zip(texts, is_audio, strict=True))

    def run() -> None:
        for text, audio in items:
            event = loads(text)
            if audio:
                a2b(event["delta"])

    return run


def floor_pybase64(texts: list[str], is_audio: list[bool]) -> Callable[[], None]:
    import pybase64

    loads, b64, items = orjson.loads, pybase64.b64decode, list(zip(texts, is_audio, strict=True))

    def run() -> None:
        for text, audio in items:
            event = loads(text)
            if audio:
                b64(event["delta"], validate=True)

    return run


def floor_json(texts: list[str], is_audio: list[bool]) -> Callable[[], None]:
    loads, b64, items = json.loads, base64.b64decode, list(zip(texts, is_audio, strict=True))

    def run() -> None:
        for text, audio in items:
            event = loads(text)
            if audio:
                b64(event["delta"])

    return run


def ours(texts: list[str]) -> Callable[[], None]:
    from semantic_kernel_realtime.protocol import Decoder

    def run() -> None:
        decode = Decoder().decode_message
        for text in texts:
            decode(text)

    return run


def ours_read(texts: list[str]) -> Callable[[], None]:
    from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

    from semantic_kernel_realtime.protocol import Decoder

    def run() -> None:
        decode = Decoder().decode_message
        for text in texts:
            for event in decode(text):
                if type(event) is RealtimeAudioEvent:
                    event.audio.data  # noqa: B018 - what a player reads

    return run


def ours_bytes(texts: list[str]) -> Callable[[], None]:
    """Decode, then take every audio event's bytes the way our client's audio callback does."""
    from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

    from semantic_kernel_realtime.protocol import Decoder, audio_bytes

    def run() -> None:
        decode = Decoder().decode_message
        for text in texts:
            for event in decode(text):
                if type(event) is RealtimeAudioEvent:
                    audio_bytes(event.audio)

    return run


def sdk_union(texts: list[str]) -> Callable[[], None]:
    from openai._models import construct_type_unchecked
    from openai.types.realtime import RealtimeServerEvent

    loads, union = json.loads, RealtimeServerEvent

    def run() -> None:
        for text in texts:
            construct_type_unchecked(value=loads(text), type_=union)

    return run


def sdk_validate(texts: list[str]) -> Callable[[], None]:
    from openai.types.realtime import RealtimeServerEvent
    from pydantic import TypeAdapter

    validate = TypeAdapter(RealtimeServerEvent).validate_json

    def run() -> None:
        for text in texts:
            validate(text)

    return run


def sk_path(texts: list[str]) -> tuple[Callable[[], None], Callable[[], None]]:
    """SK 1.45 ``OpenAIRealtimeWebsocketBase.receive`` per message, without the event loop.

    Returns (decode only, decode + first read of the audio bytes).
    """
    import logging

    from openai._models import construct_type_unchecked
    from openai.types.realtime import RealtimeServerEvent
    from semantic_kernel.connectors.ai.open_ai import OpenAIRealtimeWebsocket
    from semantic_kernel.contents.audio_content import AudioContent
    from semantic_kernel.contents.realtime_events import RealtimeAudioEvent

    logging.getLogger("semantic_kernel").setLevel(logging.WARNING)  # SK logs session.* at INFO
    service = OpenAIRealtimeWebsocket(ai_model_id="gpt-realtime", api_key="sk-benchmark-not-used")
    loads, union = json.loads, RealtimeServerEvent

    def receive(text: str) -> list[Any]:
        event = construct_type_unchecked(value=loads(text), type_=union)  # AsyncRealtimeConnection.parse_event
        if event.type == "response.output_audio.delta":
            return [RealtimeAudioEvent(audio=AudioContent(data=event.delta, data_format="base64", inner_content=event),
                                       service_type=event.type, service_event=event)]
        out = []
        gen = service._parse_event(event)
        while True:  # drive the async generator by hand: none of these events awaits anything
            try:
                gen.asend(None).send(None)
            except StopIteration as yielded:
                out.append(yielded.value)
            except StopAsyncIteration:
                return out

    def run() -> None:
        for text in texts:
            receive(text)

    def run_read() -> None:
        for text in texts:
            for event in receive(text):
                if type(event) is RealtimeAudioEvent:
                    event.audio.data  # noqa: B018

    return run, run_read


# -- main ----------------------------------------------------------------------------------------------


def _check(texts: list[str], is_audio: list[bool], frames: list[bytes]) -> None:
    """The paths measured must do what they claim on this stream."""
    from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeTextEvent

    from semantic_kernel_realtime.protocol import Decoder, MalformedServerEvent

    decoder, audio, words = Decoder(), [], []
    for text in texts:
        for event in decoder.decode_message(text):
            assert not isinstance(event, MalformedServerEvent), event.problem
            if isinstance(event, RealtimeAudioEvent):
                audio.append(event.audio.data)
            elif isinstance(event, RealtimeTextEvent):
                words.append(event.text.text)
    assert audio == frames, "decoded audio differs from the recording"
    assert sum(is_audio) == len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per path (default 7)")
    parser.add_argument("--passes", type=int, default=20, help="passes over the stream per repeat (default 20)")
    parser.add_argument("--frames-per-transcript", type=int, default=8,
                        help="audio frames per transcript delta (default 8)")
    parser.add_argument("--no-sk", action="store_true", help="skip the Semantic Kernel / openai SDK paths")
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile's top functions for 'ours' and 'ours + read'")
    args = parser.parse_args()

    frames = pcm_frames()
    events = build_stream(args.frames_per_transcript)
    texts = [orjson.dumps(e).decode() for e in events]  # serialised once
    kinds = [e["type"] for e in events]
    is_audio = [k == "response.output_audio.delta" for k in kinds]
    n_audio, n_transcript = sum(is_audio), kinds.count("response.output_audio_transcript.delta")
    n = len(texts)
    _check(texts, is_audio, frames)

    import openai
    import semantic_kernel

    print("decode benchmark: CPU time per server event (time.process_time)")
    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()} "
          f"({platform.python_implementation()}), {platform.system()} {platform.release()}")
    print(f"versions: orjson {orjson.__version__}, openai {openai.__version__}, "
          f"semantic-kernel {semantic_kernel.__version__}")
    audio_json = len(texts[kinds.index("response.output_audio.delta")])
    print(f"stream: {WAV.name}, {n} events = {n_audio} audio deltas (20 ms, {FRAME_BYTES} B PCM16, "
          f"{audio_json} B of JSON each) + {n_transcript} transcript deltas "
          f"(1 per {args.frames_per_transcript} audio frames, ratio {n_audio / n_transcript:.1f}:1) "
          f"+ {n - n_audio - n_transcript} other events")
    print(f"timing: warm-up pass, then {args.repeats} repeats x {args.passes} passes over the stream per path, paths "
          f"timed round-robin in each repeat, gc disabled while timing; min and median of the repeats "
          f"(shared machine: min is the least disturbed figure; 'x floor' divides the minimums)")
    print()

    named: list[tuple[str, Callable[[], None]]] = [
        ("floor: orjson.loads + binascii.a2b_base64 (audio)", floor_orjson(texts, is_audio)),
        ("ours: Decoder().decode_message", ours(texts)),
        ("ours + audio bytes read (protocol.audio_bytes)", ours_bytes(texts)),
        ("ours + first read of event.audio.data", ours_read(texts)),
        ("floor variant: json.loads + base64.b64decode (audio)", floor_json(texts, is_audio)),
        ("floor variant: orjson.loads + pybase64.b64decode (audio)", floor_pybase64(texts, is_audio)),
        ("reference: orjson.loads only (no base64 decode)", floor_orjson(texts, [False] * n)),
    ]
    if not args.no_sk:
        sk, sk_read = sk_path(texts)
        named += [
            ("SDK model per event: json.loads + construct_type_unchecked", sdk_union(texts)),
            ("SDK strict: TypeAdapter(RealtimeServerEvent).validate_json", sdk_validate(texts)),
            ("SK 1.45 receive path (SDK model + SK events)", sk),
            ("SK 1.45 receive path + first read of audio.data", sk_read),
        ]
    results = measure([run for _, run in named], n, args.repeats, args.passes)
    rows = [(name, min(r), statistics.median(r)) for (name, _), r in zip(named, results, strict=True)]
    floor, mine, mine_read, mine_sk_read = rows[0][1], rows[1][1], rows[2][1], rows[3][1]
    # Per-repeat ratio (ours and floor timed back to back in the same repeat): less exposed to load swings.
    ratios = [o / f for o, f in zip(results[1], results[0], strict=True)]

    width = max(len(r[0]) for r in rows)
    print(f"{'path':<{width}}  {'min µs/ev':>9}  {'median':>9}  {'x floor':>7}")
    print("-" * (width + 33))
    for name, lo, med in rows:
        print(f"{name:<{width}}  {lo:9.2f}  {med:9.2f}  {lo / floor:7.2f}")
    print()
    verdict = "PASS" if mine <= TARGET * floor else "FAIL"
    print(f"target: ours <= {TARGET}x floor -> ours {mine:.2f} µs / floor {floor:.2f} µs = {mine / floor:.2f}x  "
          f"{verdict}  (per-repeat ratios: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
          f"max {max(ratios):.2f})")
    verdict_read = "PASS" if mine_read <= TARGET * floor else "FAIL"
    print(f"with the audio read: ours + audio_bytes {mine_read:.2f} µs = {mine_read / floor:.2f}x floor  "
          f"{verdict_read}")
    same_lib = rows[5][1]
    print(f"against a floor with the same base64 library (orjson + pybase64, {same_lib:.2f} µs): "
          f"ours {mine / same_lib:.2f}x, ours + audio_bytes {mine_read / same_lib:.2f}x")
    print(f"reading event.audio.data (the decoded AudioContent's property) costs {mine_sk_read - mine:.2f} µs per "
          f"event more than decode alone")
    if args.profile:
        profile("ours", ours(texts), args.passes)
        profile("ours + first read of event.audio.data", ours_read(texts), args.passes)


def profile(name: str, run_pass: Callable[[], None], passes: int) -> None:
    import cProfile
    import pstats

    run_pass()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(passes):
        run_pass()
    profiler.disable()
    print(f"\n--- cProfile: {name} ({passes} passes; profiler overhead inflates the absolute times) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    main()
