"""Session logs: what a client's sessions sent and received, as JSON Lines, for any connector and protocol.

Format (one JSON object per line)::

    {"t": seconds, "dir": "sent" | "received" | "meta", "event": {...}, "note": {...}}

``t`` counts from the log's creation on a monotonic clock. ``event`` is the message exactly as it crossed
the wire (so ``replay`` re-decodes it with the same codec as a live session); audio that crossed as media
(a WebRTC track) is ``{"type": MEDIA_AUDIO, "audio": <base64>}``. ``note`` holds protocol-neutral facts
about a sent message, which ``replay`` reads instead of the wire shape: ``audio_bytes``, ``level`` (RMS,
0..1) and ``silent`` (no sample above the silence threshold, ``turns.is_silent``) for input audio,
``call_id`` / ``name`` / ``output`` for a tool output; and ``omitted_bytes`` (and, for media audio,
``silent``) for audio left out. ``meta`` records: the log's header (``client.session_log``, version 2, with
the caller's meta), each connection (``client.connection``: protocol, transport, model, sample rates) and
each session's end (``client.session_ended`` with the cause).

Rules:
- :class:`Recorder` is a session hook: ``client.attach(Recorder("session.jsonl"))`` records every session
  of that client, opening messages, media audio and tool outputs included. No subclass, no wrapper.
- Secrets never reach a log: every value of the client's ``SecretStr`` fields and any ``secrets=`` given are
  replaced wherever they appear, values under credential-like keys (``client_secret``, ``api_key``,
  ``authorization``, ...) and ephemeral client secrets (``ek_…``) are redacted. Headers and URLs (where
  credentials travel) are never recorded.
- ``audio=False`` leaves audio out: input audio and media audio keep only their size and level, and any
  long base64 string in a received message (audio in every protocol) becomes ``""`` with its decoded size
  in ``note.omitted_bytes``. Transcripts and events stay.
- Writes are buffered; the log is flushed when each session ends and closed by :meth:`Recorder.close`.
  A line that cannot be read back is skipped by :func:`read_log`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from pybase64 import b64decode, b64encode
from pydantic import SecretStr
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeFunctionResultEvent

from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.events import (
    CONNECTION,
    MEDIA_AUDIO,
    SESSION_ENDED,
    SESSION_LOG,
    TRACK_AUDIO,
    UNPARSABLE,
)
from semantic_kernel_realtime.protocol import audio_bytes, serialize_result
from semantic_kernel_realtime.telemetry.turns import is_silent

if TYPE_CHECKING:
    from semantic_kernel.contents.realtime_events import RealtimeEvents

    from semantic_kernel_realtime.client.base import RealtimeClientBase
    from semantic_kernel_realtime.client.connection import Connection
    from semantic_kernel_realtime.events import SessionEndedEvent

__all__ = ["LOG_VERSION", "REDACTED", "Record", "Recorder", "SessionLog", "read_log"]

LOG_VERSION = 2
REDACTED = "[redacted]"
#: Keys whose values are credentials wherever they appear in a message.
SECRET_KEYS = frozenset({"client_secret", "api_key", "apikey", "api-key", "authorization", "access_token",
                         "refresh_token", "password", "ephemeral_key"})
_SECRET_KEY_MARKERS = (*SECRET_KEYS, "Authorization", "API_KEY", "Api-Key")
_EPHEMERAL = re.compile(r"ek_[A-Za-z0-9_\-]{6,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_LONG_BASE64 = 256  # characters: shorter strings are never audio worth leaving out


@dataclass(frozen=True)
class Record:
    """One line of a session log."""

    t: float
    direction: str
    event: dict[str, Any]
    note: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        value = self.event.get("type")
        return value if isinstance(value, str) else ""


class SessionLog:
    """Appends records to a JSONL file; the first line is the ``client.session_log`` header."""

    def __init__(self, path: str | Path, meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("wb")
        self._start = time.monotonic()
        self.write("meta", {"type": SESSION_LOG, "version": LOG_VERSION, **(meta or {})})

    def now(self) -> float:
        return time.monotonic() - self._start

    def write(self, direction: str, event: dict[str, Any] | None, note: dict[str, Any] | None = None) -> None:
        if self._file.closed:
            return
        line: dict[str, Any] = {"t": round(self.now(), 6), "dir": direction}
        if event is not None:
            line["event"] = event
        if note:
            line["note"] = note
        self._file.write(orjson.dumps(line, default=str) + b"\n")

    def write_raw(self, direction: str, event: bytes) -> None:
        """Write a record whose event is ``event``, one JSON object already known to be valid and on one line."""
        if not self._file.closed:
            self._file.write(b'{"t":' + orjson.dumps(round(self.now(), 6)) + b',"dir":"' + direction.encode()
                             + b'","event":' + event + b"}\n")

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
    """The records of a session log (either version); blank or unreadable lines are skipped."""
    with Path(path).open("rb") as file:
        for line in file:
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            event, note = obj.get("event", {}), obj.get("note", {})
            if isinstance(event, dict) and isinstance(note, dict):
                t = obj.get("t", 0.0)
                yield Record(float(t) if isinstance(t, (int, float)) else 0.0, str(obj.get("dir", "")), event, note)


class Recorder(SessionHooks):
    """Records every session of the client it is attached to into a session log (see the module rules).

    Args:
        log: a path (a new :class:`SessionLog` is written there) or an open :class:`SessionLog`.
        audio: keep audio in the log (False: sizes and levels only).
        meta: written into the log's header (what was run).
        secrets: more values that must never appear in the log (the client's own are found by themselves).
    """

    wants_sent = True
    wants_messages = True
    event_types = frozenset({TRACK_AUDIO})

    def __init__(self, log: str | Path | SessionLog, *, audio: bool = True, meta: dict[str, Any] | None = None,
                 secrets: Iterable[str] = ()) -> None:
        self.log = log if isinstance(log, SessionLog) else SessionLog(log, meta)
        self.audio = audio
        self._given = {s for s in secrets if s}
        self._secrets: tuple[str, ...] = tuple(self._given)
        self._secret_bytes = tuple(s.encode() for s in self._secrets)

    @property
    def path(self) -> Path:
        return self.log.path

    def close(self) -> None:
        self.log.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- hooks -------------------------------------------------------------------------------------------

    def started(self, client: RealtimeClientBase) -> None:
        found = {value.get_secret_value() for value in _secret_values(client)}
        self._secrets = tuple(sorted((s for s in found | self._given if len(s) >= 4), key=len, reverse=True))
        self._secret_bytes = tuple(s.encode() for s in self._secrets)

    def opened(self, connection: Connection) -> None:
        capabilities = type(connection.codec).capabilities
        media = bool(getattr(connection.transport, "carries_audio", False))
        self.log.write("meta", {
            "type": CONNECTION, "protocol": capabilities.name, "transport": "webrtc" if media else "websocket",
            "media": media, "model": connection.client.ai_model_id,
            "input_sample_rate": capabilities.input_sample_rate, "output_sample_rate": capabilities.output_sample_rate,
        })

    def sent(self, event: RealtimeEvents | None, message: str | None) -> None:
        note: dict[str, Any] = {}
        kind = type(event)
        if kind is RealtimeAudioEvent:
            pcm = audio_bytes(event.audio)  # type: ignore[union-attr]
            note = {"audio_bytes": len(pcm), "level": _level(pcm), "silent": is_silent(pcm)}
            if not self.audio:
                self.log.write("sent", None, note)
                return
            wire = {"type": MEDIA_AUDIO, "audio": b64encode(pcm).decode("ascii")} if message is None else None
        elif kind is RealtimeFunctionResultEvent:
            result = event.function_result  # type: ignore[union-attr]
            note = {"call_id": result.call_id, "name": result.name,
                    "output": self._scrub_text(serialize_result(result.result))}
            wire = None
        else:
            wire = None
        if wire is None and message is not None:
            wire, _ = self._parse(message, omit_audio=False)
        self.log.write("sent", wire, note)

    def message_received(self, message: str | bytes) -> None:
        raw = message.encode() if isinstance(message, str) else bytes(message)
        if self.audio and b"\n" not in raw and not self._holds_secret_value(raw):
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                parsed = None
            if type(parsed) is dict and not _has_secret_key(parsed):
                self.log.write_raw("received", raw)  # the common case: the message as it came, not re-encoded
                return
        event, omitted = self._parse(message, omit_audio=not self.audio)
        self.log.write("received", event, {"omitted_bytes": omitted} if omitted else None)

    def received(self, event: RealtimeEvents) -> None:  # track audio (media), outside the message stream
        pcm = audio_bytes(event.audio)  # type: ignore[attr-defined]
        if self.audio:
            self.log.write("received", {"type": MEDIA_AUDIO, "audio": b64encode(pcm).decode("ascii")})
        else:
            self.log.write("received", {"type": MEDIA_AUDIO, "audio": ""},
                           {"omitted_bytes": len(pcm), "silent": is_silent(pcm)})

    def ended(self, ended: SessionEndedEvent | None) -> None:
        self.log.write("meta", {"type": SESSION_ENDED,
                                "cause": self._scrub_text(ended.cause) if ended is not None else "closed by the client",
                                "clean": ended.clean if ended is not None else True})
        self.log.flush()

    # -- internals ---------------------------------------------------------------------------------------

    def _parse(self, message: str | bytes, omit_audio: bool) -> tuple[dict[str, Any], int]:
        text = message if isinstance(message, str) else bytes(message).decode("utf-8", "replace")
        if self._may_hold_secrets(text):
            text = self._scrub_text(text)
        try:
            event = orjson.loads(text)
        except orjson.JSONDecodeError:
            event = {"type": UNPARSABLE, "text": text}
        if not isinstance(event, dict):
            event = {"type": UNPARSABLE, "value": event}
        if any(key in text for key in _SECRET_KEY_MARKERS):
            event = _redact_keys(event)
        omitted = [0]
        if omit_audio and len(text) > _LONG_BASE64:
            event = _omit_base64(event, omitted)
        return event, omitted[0]

    def _may_hold_secrets(self, text: str) -> bool:
        return "ek_" in text or any(secret in text for secret in self._secrets)

    def _holds_secret_value(self, raw: bytes) -> bool:
        """True when ``raw`` may hold a secret value (a known one, or an ``ek_`` one): one scan per value."""
        if b"ek_" in raw:
            return True
        for secret in self._secret_bytes:
            if secret in raw:
                return True
        return False

    def _scrub_text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _EPHEMERAL.sub("ek_" + REDACTED, text)


def _secret_values(client: Any) -> Iterator[SecretStr]:
    """Every ``SecretStr`` the client holds in its fields (an API key, a client secret)."""
    for name in type(client).model_fields:
        value = getattr(client, name, None)
        if isinstance(value, SecretStr):
            yield value


def _has_secret_key(value: Any) -> bool:
    """True when a credential-like key appears at any depth (keys only: cheap for audio, which has no nesting)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in SECRET_KEYS or (type(item) in (dict, list) and _has_secret_key(item)):
                return True
    elif isinstance(value, list):
        return any(type(item) in (dict, list) and _has_secret_key(item) for item in value)
    return False


def _redact_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and k.lower() in SECRET_KEYS and v is not None else _redact_keys(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_keys(v) for v in value]
    return value


def _omit_base64(value: Any, omitted: list[int]) -> Any:
    if isinstance(value, str):
        if len(value) >= _LONG_BASE64 and _BASE64.fullmatch(value):
            try:
                omitted[0] += len(b64decode(value, validate=True))
            except ValueError:
                return value
            return ""
        return value
    if isinstance(value, dict):
        return {k: _omit_base64(v, omitted) for k, v in value.items()}
    if isinstance(value, list):
        return [_omit_base64(v, omitted) for v in value]
    return value


def _level(pcm16: bytes) -> float:
    """RMS level of PCM16 audio, 0..1."""
    if len(pcm16) < 2:
        return 0.0
    samples = np.frombuffer(pcm16, dtype="<i2", count=len(pcm16) // 2).astype(np.float32)
    return round(math.sqrt(float(np.mean(samples * samples))) / 32768, 5)
