"""memory.py: trims after sessions end, at most once per interval, one at a time, and waits on stop."""

import asyncio
import sys
import time

import pytest

from semantic_kernel_realtime.server.memory import MemoryReleaser
from tests.server.test_app import wait_until


class CountingTrim:
    def __init__(self):
        self.calls = 0
        self.times = []  # monotonic time of each trim

    def __call__(self):
        self.calls += 1
        self.times.append(time.monotonic())


async def test_trims_once_per_interval_and_once_more_after_the_last_session():
    trim = CountingTrim()
    releaser = MemoryReleaser(interval_s=1.0, trim=trim)
    started = time.monotonic()
    for _ in range(5):  # five sessions end at once: one trim now, one when the interval has passed
        releaser.session_ended()
        await asyncio.sleep(0.01)
    await wait_until(lambda: trim.calls >= 1)
    if time.monotonic() - started < 1.0:  # (a machine that stalled the test past the interval says nothing)
        assert trim.calls == 1
    await wait_until(lambda: trim.calls >= 2)
    assert trim.calls == 2
    assert trim.times[1] - trim.times[0] >= 0.99  # not before the interval has passed
    await asyncio.sleep(1.1)
    assert trim.calls == 2  # one trim for all five ends after the first, not one per interval for each
    await releaser.close()


async def test_close_drops_a_waiting_trim():
    trim = CountingTrim()
    releaser = MemoryReleaser(interval_s=60, trim=trim)
    releaser.session_ended()
    await asyncio.sleep(0.05)
    releaser.session_ended()  # waits 60 s for its turn
    await releaser.close()
    assert trim.calls == 1 and releaser._timer is None and releaser._task is None


async def test_trims_again_after_the_interval():
    trim = CountingTrim()
    releaser = MemoryReleaser(interval_s=0.05, trim=trim)
    releaser.session_ended()
    await releaser.close()
    await asyncio.sleep(0.1)
    releaser.session_ended()
    await releaser.close()
    assert trim.calls == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: elsewhere a no-op")
def test_glibc_is_found_on_linux():
    assert MemoryReleaser().available
