"""Calling the speech engines without blocking the event loop.

Rules: every engine call runs in a worker thread (``asyncio.to_thread``). Engines that do not declare
``thread_safe = True`` are called one at a time (a lock per engine, taken inside the worker thread),
so one engine instance can be shared by every session of a server.
"""

from __future__ import annotations

import asyncio
import threading
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


async def transcribe(engine: Transcriber, pcm16: bytes, *, language: str | None, prompt: str | None) -> str:
    return await asyncio.to_thread(_call, engine, "transcribe", pcm16, language=language, prompt=prompt)


async def synthesize(engine: Synthesizer, text: str, *, voice: str | None, speed: float) -> bytes:
    return await asyncio.to_thread(_call, engine, "synthesize", text, voice=voice, speed=speed)
