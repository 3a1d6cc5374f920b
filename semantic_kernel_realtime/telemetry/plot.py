"""``replay --plot``: the latency timeline of a session log (matplotlib, Agg backend, no display).

Lanes, on the log's clock: the input audio as it was sent (its level, and the speech the service's voice
activity detection found, mapped to when that audio was sent), speech started/stopped and the user's
transcript as received, each tool call, each response, and the response audio (when it was received, and
how long it plays from its first chunk), with each turn's voice-to-voice latency. Needs the ``plot`` extra.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from semantic_kernel_realtime.telemetry.replay import SessionReplay  # noqa: E402

__all__ = ["plot_timeline"]

_LANES = ["input audio (sent)", "VAD", "tool call", "responses", "response audio"]


def plot_timeline(replay: SessionReplay, path: str | Path, title: str = "") -> Path:
    """Draw the timeline of ``replay`` into a PNG at ``path``."""
    tl = replay.timeline()
    y = {name: len(_LANES) - 1 - i for i, name in enumerate(_LANES)}
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=110)

    lane = y["input audio (sent)"]
    if tl.input_levels:
        times = [t for t, _ in tl.input_levels]
        peak = max(level for _, level in tl.input_levels) or 1.0
        levels = np.asarray([level / peak for _, level in tl.input_levels])
        ax.fill_between(times, lane - 0.35 * levels, lane + 0.35 * levels, step="post", color="#9bbbd4",
                        label="input level")
    for index, span in enumerate(tl.speech):
        ax.broken_barh([(span.start, span.end - span.start)], (lane - 0.42, 0.84), facecolor="none",
                       edgecolor="#1f5f8b", linewidth=1.5, label="speech (VAD)" if index == 0 else None)
    markers = ((tl.speech_started, "^", "#2a9d8f", "speech started", 0.18),
               (tl.speech_stopped, "v", "#e76f51", "speech stopped", 0.18),
               (tl.transcripts, "*", "#8338ec", "transcript", -0.18))
    for times, marker, color, label, offset in markers:
        if times:
            ax.plot(times, [y["VAD"] + offset] * len(times), marker=marker, color=color, markersize=9,
                    linestyle="none", label=label)
    for span in tl.tools:
        ax.broken_barh([(span.start, max(span.end - span.start, 0.004))], (y["tool call"] - 0.3, 0.6),
                       facecolor="#f4a261")
        ax.annotate(f"{span.label} {(span.end - span.start) * 1000:.0f} ms", (span.end, y["tool call"]),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    for span in tl.responses:
        ax.broken_barh([(span.start, max(span.end - span.start, 0.004))], (y["responses"] - 0.22, 0.5),
                       facecolor="#adb5bd", edgecolor="#495057")
    lane = y["response audio"]
    if tl.audio_out:
        ax.broken_barh([(t, 0.01) for t, _ in tl.audio_out], (lane + 0.05, 0.3), facecolor="#2a9d8f",
                       label="audio received")
        ax.broken_barh([(tl.audio_out[0][0], tl.audio_out_seconds)], (lane - 0.35, 0.3), facecolor="#b7e4c7",
                       edgecolor="#2a9d8f", label="audio playback")
    for turn in tl.turns:
        start, end = turn.get("speech_end"), turn.get("first_audio")
        if start is None or end is None:
            continue
        ax.annotate("", xy=(end, lane + 0.45), xytext=(start, lane + 0.45),
                    arrowprops={"arrowstyle": "<->", "color": "#d62828"})
        ax.text((start + end) / 2, lane + 0.52, f"speech end -> first audio {(end - start) * 1000:.0f} ms",
                ha="center", fontsize=8, color="#d62828")
        ax.axvline(start, color="#d62828", linestyle=":", linewidth=1)

    ax.set_yticks([y[name] for name in _LANES], _LANES)
    ax.set_ylim(-0.7, len(_LANES) - 0.3)
    ax.set_xlabel("seconds since the session log started")
    ax.set_title(f"realtime session timeline{': ' + title if title else ''}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
