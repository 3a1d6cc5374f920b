"""Calling the speech engines without blocking the event loop.

Rules: every engine call runs in a worker thread (``asyncio.to_thread``). Engines that do not declare
``thread_safe = True`` are called one at a time (a lock per engine, taken inside the worker thread),
so one engine instance can be shared by every session of a server. A transcriber whose ``transcribe``
takes no ``keywords`` (written before keywords were passed) is called without them.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Sequence
from typing import Any

from semantic_kernel_realtime.server.speech.base import Synthesizer, Transcriber

_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(engine: object) -> threading.Lock | None:
    if getattr(engine, "thread_safe", False):
        return None
    with _locks_guard:
        return _locks.setdefault(id(engine), threading.Lock())


def _call(engine: object, method: str, *args: Any, **kwargs: Any) -> Any:
    lock = _lock_for(engine)
    if lock is None:
        return getattr(engine, method)(*args, **kwargs)
    with lock:
        return getattr(engine, method)(*args, **kwargs)


_takes_keywords: dict[type, bool] = {}


def _accepts_keywords(engine: object) -> bool:
    kind = type(engine)
    if kind not in _takes_keywords:
        try:
            parameters = inspect.signature(engine.transcribe).parameters.values()  # type: ignore[attr-defined]
        except (TypeError, ValueError):  # no signature to read: assume the current interface
            _takes_keywords[kind] = True
        else:
            _takes_keywords[kind] = any(p.name == "keywords" or p.kind is p.VAR_KEYWORD for p in parameters)
    return _takes_keywords[kind]


async def transcribe(
    engine: Transcriber, pcm16: bytes, *, language: str | None, prompt: str | None, keywords: Sequence[str] = ()
) -> str:
    extra = {"keywords": tuple(keywords)} if _accepts_keywords(engine) else {}
    return await asyncio.to_thread(_call, engine, "transcribe", pcm16, language=language, prompt=prompt, **extra)


async def synthesize(engine: Synthesizer, text: str, *, voice: str | None, speed: float) -> bytes:
    return await asyncio.to_thread(_call, engine, "synthesize", text, voice=voice, speed=speed)
