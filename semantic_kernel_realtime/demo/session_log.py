"""The session log: every wire event, sent and received, as JSON Lines with a monotonic timestamp.

Each line is ``{"t": seconds, "dir": "sent" | "received" | "meta", "event": {...}}``; ``t`` counts from
the log's creation on a monotonic clock. The first line is a ``meta`` record (what was run). Events are
recorded at the transport, exactly as they crossed the wire (audio included, base64), so ``replay`` can
re-decode them with the same protocol layer as a live session. Audio that a media transport (WebRTC)
carries outside JSON is recorded as ``{"type": MEDIA_AUDIO, "audio": <base64>}`` (``events.MEDIA_AUDIO``).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import PrivateAttr

from semantic_kernel_realtime.events import MEDIA_AUDIO, UNPARSABLE


@dataclass(frozen=True)
class Record:
    t: float
    direction: str
    event: dict[str, Any]

    @property
    def type(self) -> str:
        value = self.event.get("type")
        return value if isinstance(value, str) else ""


class SessionLog:
    """Appends records to a JSONL file (line-buffered, so a crash leaves a readable log)."""

    def __init__(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("wb")
        self._start = time.monotonic()
        self.write("meta", {"type": "client.session_log", "version": 1, **(meta or {})})

    def now(self) -> float:
        return time.monotonic() - self._start

    def write(self, direction: str, event: dict[str, Any]) -> None:
        if self._file.closed:
            return
        self._file.write(orjson.dumps({"t": round(self.now(), 6), "dir": direction, "event": event}) + b"\n")

    def write_text(self, direction: str, message: str | bytes) -> None:
        try:
            event = orjson.loads(message)
        except orjson.JSONDecodeError:
            event = {"type": "client.unparsable", "text": message if isinstance(message, str) else repr(message)}
        self.write(direction, event if isinstance(event, dict) else {"type": UNPARSABLE, "value": event})

    def write_media_audio(self, direction: str, pcm16: bytes) -> None:
        self.write(direction, {"type": MEDIA_AUDIO, "audio": base64.b64encode(pcm16).decode("ascii")})

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_log(path: str | Path) -> Iterator[Record]:
    """The records of a session log; blank or unreadable lines are skipped."""
    with Path(path).open("rb") as file:
        for line in file:
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("event"), dict):
                yield Record(float(obj.get("t", 0.0)), str(obj.get("dir", "")), obj["event"])


class RecordingTransport:
    """Wraps any transport and writes what crosses it to a :class:`SessionLog`."""

    def __init__(self, inner: Any, log: SessionLog) -> None:
        self._inner = inner
        self._log = log
        self.carries_audio = inner.carries_audio

    async def open(self) -> None:
        await self._inner.open()

    async def send_text(self, message: str) -> None:
        self._log.write_text("sent", message)
        await self._inner.send_text(message)

    async def listen(self, on_message: Callable[[str | bytes], None]) -> None:
        write = self._log.write_text

        def logged(message: str | bytes) -> None:
            write("received", message)
            on_message(message)

        await self._inner.listen(logged)

    async def send_audio(self, pcm16: bytes) -> None:
        self._log.write_media_audio("sent", pcm16)
        await self._inner.send_audio(pcm16)

    async def close(self) -> None:
        await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # clear_audio, and whatever else a transport offers
        return getattr(self._inner, name)


_recording_classes: dict[type, type] = {}


def recording(client_cls: type) -> type:
    """A subclass of a connector class whose sessions are recorded after ``client.record_to(log)``."""
    cls = _recording_classes.get(client_cls)
    if cls is None:

        class Recording(client_cls):  # type: ignore[misc, valid-type]
            _session_log: SessionLog | None = PrivateAttr(default=None)

            def record_to(self, log: SessionLog | None) -> None:
                """Write the wire events of the next sessions to ``log`` (None: stop recording)."""
                self._session_log = log

            async def _create_transport(self) -> Any:
                transport = await super()._create_transport()
                return transport if self._session_log is None else RecordingTransport(transport, self._session_log)

        Recording.__name__ = Recording.__qualname__ = client_cls.__name__
        cls = _recording_classes[client_cls] = Recording
    return cls
