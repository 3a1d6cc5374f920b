"""Run Python child processes from tests so that none outlives its test, whatever fails.

Each child starts in a session of its own; when the test is done, times out, or is interrupted (a
``pytest-timeout`` exception included), the whole process group is killed and reaped. Output goes to
files, not pipes, so children running side by side never block on a full pipe. A child that runs past
its limit is first sent SIGABRT with Python's fault handler on, so its stderr shows where every thread
was stuck, then killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """One child: what to run, and where it runs."""

    args: Sequence[str]
    env: Mapping[str, str | None] = field(default_factory=dict)  # changes to os.environ; None removes
    cwd: Path = ROOT


def _environment(changes: Mapping[str, str | None]) -> dict[str, str]:
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _signal(proc: subprocess.Popen, kill: Callable[[int, int], None], sig: int, wait_s: float) -> None:
    """Send ``sig`` with ``kill`` (``os.kill``: the child; ``os.killpg``: its group) unless it ended; then reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=wait_s)


def _dump_stacks(proc: subprocess.Popen) -> None:
    """Have a child that ran too long print every thread's stack (``PYTHONFAULTHANDLER``) before it dies."""
    _signal(proc, os.kill, signal.SIGABRT, 5)


def _kill_group(proc: subprocess.Popen) -> None:
    _signal(proc, os.killpg, signal.SIGKILL, 10)


@contextlib.contextmanager
def _children(runs: Mapping[str, Run], folder: Path) -> Iterator[dict[str, tuple[subprocess.Popen, Path, Path]]]:
    children: dict[str, tuple[subprocess.Popen, Path, Path]] = {}
    try:
        for i, (name, run) in enumerate(runs.items()):
            out, err = folder / f"{i}.out", folder / f"{i}.err"
            with out.open("wb") as stdout, err.open("wb") as stderr:
                proc = subprocess.Popen([sys.executable, *run.args], cwd=run.cwd, env=_environment(run.env),
                                        stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                        start_new_session=True)
            children[name] = (proc, out, err)
        yield children
    finally:
        for proc, _, _ in children.values():
            _kill_group(proc)


def run_side_by_side(runs: Mapping[str, Run], limit_s: float) -> dict[str, subprocess.CompletedProcess]:
    """Start every run at once; each must end within ``limit_s`` of the start or it is killed (exit -9)."""
    results: dict[str, subprocess.CompletedProcess] = {}
    with tempfile.TemporaryDirectory(prefix="sk-realtime-tests-") as folder, \
            _children(runs, Path(folder)) as children:
        deadline = time.monotonic() + limit_s
        for name, (proc, out, err) in children.items():
            killed = ""
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _dump_stacks(proc)
                _kill_group(proc)
                killed = f"\n[killed after {limit_s:g} s]"
            results[name] = subprocess.CompletedProcess(
                proc.args, proc.returncode, out.read_text(errors="replace") + killed, err.read_text(errors="replace"))
    return results


def run_python(args: Sequence[str], *, limit_s: float, env: Mapping[str, str | None] | None = None,
               cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """One child, as :func:`run_side_by_side`."""
    return run_side_by_side({"only": Run(args, env or {}, cwd)}, limit_s)["only"]


def again_if_misheard(result: subprocess.CompletedProcess, run: Run, expected: Sequence[str], misheard: str,
                      limit_s: float, tries: int = 3) -> subprocess.CompletedProcess:
    """``result`` of a child that speaks its question to the offline recogniser (eSpeak NG varies its voice from
    call to call, and PocketSphinx mishears some): while it ran but printed ``misheard`` (the answer to what it
    heard) instead of every ``expected`` line, ``run`` again on its own, up to ``tries`` runs in all; otherwise
    ``result`` as it is. A question misheard 1 time in 10 then fails 1 time in 1,000."""
    for _ in range(tries - 1):
        if not (result.returncode == 0 and misheard in result.stdout
                and not all(line in result.stdout for line in expected)):
            break
        result = run_side_by_side({"again": run}, limit_s)["again"]
    return result
