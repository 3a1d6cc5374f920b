"""``replay --plot``: the latency timeline of a recorded session (matplotlib, Agg backend, no display).

Lanes, on the log's clock: the input audio as it was sent (its loudness envelope, and the speech the
server's VAD found), VAD events, the tool call, each response, and the response audio (when it was
received, and how long it plays from its first chunk).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from semantic_kernel_realtime.demo.session_log import MEDIA_AUDIO, Record  # noqa: E402
from semantic_kernel_realtime.demo.timing import timeline  # noqa: E402

_LANES = ["input audio (sent)", "VAD", "tool call", "responses", "response audio"]


def _envelope(records: Sequence[Record]) -> tuple[list[float], list[float]]:
    times, levels = [], []
    for r in records:
        if r.direction == "sent" and r.type in ("input_audio_buffer.append", MEDIA_AUDIO):
            pcm = np.frombuffer(base64.b64decode(r.event.get("audio") or ""), dtype="<i2")
            times.append(r.t)
            levels.append(float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if pcm.size else 0.0)
    peak = max(levels, default=0.0) or 1.0
    return times, [v / peak for v in levels]


def plot_timeline(records: Sequence[Record], path: str | Path, title: str = "") -> Path:
    tl = timeline(records)
    y = {name: len(_LANES) - 1 - i for i, name in enumerate(_LANES)}
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=110)

    times, levels = _envelope(records)
    lane = y["input audio (sent)"]
    if times:
        ax.fill_between(times, lane - 0.35 * np.asarray(levels), lane + 0.35 * np.asarray(levels),
                        step="post", color="#9bbbd4", label="input loudness")
    for span in tl.speech:
        ax.broken_barh([(span.start, span.end - span.start)], (lane - 0.42, 0.84), facecolor="none",
                       edgecolor="#1f5f8b", linewidth=1.5, label="speech (VAD)")
    markers = {"input_audio_buffer.speech_started": ("^", "#2a9d8f", "speech_started", 0.18),
               "input_audio_buffer.speech_stopped": ("v", "#e76f51", "speech_stopped", 0.18),
               "input_audio_buffer.committed": ("s", "#6c757d", "committed", -0.18)}
    seen: set[str] = set()
    for t, etype in tl.vad_events:
        marker, color, label, offset = markers[etype]
        ax.plot([t], [y["VAD"] + offset], marker=marker, color=color, markersize=9, linestyle="none",
                label=None if label in seen else label)
        seen.add(label)
    if tl.transcript_done is not None:
        ax.plot([tl.transcript_done], [y["VAD"]], marker="*", color="#8338ec", markersize=11, linestyle="none",
                label="transcript")
    for span in tl.tools:
        width = max(span.end - span.start, 0.004)
        ax.broken_barh([(span.start, width)], (y["tool call"] - 0.3, 0.6), facecolor="#f4a261")
        ax.annotate(f"{(span.end - span.start) * 1000:.0f} ms", (span.end, y["tool call"]), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    for span in tl.responses:
        ax.broken_barh([(span.start, max(span.end - span.start, 0.004))], (y["responses"] - 0.22, 0.5),
                       facecolor="#adb5bd", edgecolor="#495057")
    lane = y["response audio"]
    if tl.audio_out:
        received = [(t, 0.01) for t, _ in tl.audio_out]
        ax.broken_barh(received, (lane + 0.05, 0.3), facecolor="#2a9d8f", label="audio received")
        first = tl.audio_out[0][0]
        ax.broken_barh([(first, tl.answer_audio_seconds)], (lane - 0.35, 0.3), facecolor="#b7e4c7",
                       edgecolor="#2a9d8f", label="audio playback")
    if tl.speech_end is not None and tl.first_answer_audio is not None:
        ax.annotate("", xy=(tl.first_answer_audio, lane + 0.45), xytext=(tl.speech_end, lane + 0.45),
                    arrowprops={"arrowstyle": "<->", "color": "#d62828"})
        ax.text((tl.speech_end + tl.first_answer_audio) / 2, lane + 0.52,
                f"speech end -> first audio {(tl.first_answer_audio - tl.speech_end) * 1000:.0f} ms",
                ha="center", fontsize=8, color="#d62828")
        ax.axvline(tl.speech_end, color="#d62828", linestyle=":", linewidth=1)

    ax.set_yticks([y[name] for name in _LANES], _LANES)
    ax.set_ylim(-0.7, len(_LANES) - 0.3)
    ax.set_xlabel("seconds since the session log started")
    ax.set_title(f"realtime session timeline{': ' + title if title else ''}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
