"""The asyncio tasks a test may hold the client to: every live task but the in-process server's housekeeping."""

from __future__ import annotations

import asyncio

#: tasks of an in-process LocalRealtimeServer that outlive a session by design: the heap trim that follows
#: a session's end (server/memory.py)
SERVER_HOUSEKEEPING = frozenset({"malloc_trim"})


def live_tasks() -> set[asyncio.Task]:
    return {task for task in asyncio.all_tasks() if task.get_name() not in SERVER_HOUSEKEEPING}
