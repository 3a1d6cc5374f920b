"""Wall time of ``sk-realtime --help`` (target: under 0.3 s), against ``python -c pass`` in the same run.

Runs the installed console script (``.venv/bin/sk-realtime``, or the one next to this interpreter) and the
bare interpreter alternately, ``--repeat`` times each after one warm-up of each, and prints the median and
the minimum wall time of both and the median of the difference (what the CLI itself costs). The target is
on the median. Exit status 1 when it is missed.

    .venv/bin/python benchmarks/cli_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.3


def _wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("sk-realtime")
    if not script.exists():
        script = Path(shutil.which("sk-realtime") or "sk-realtime")
    cli, bare = [str(script), "--help"], [sys.executable, "-c", "pass"]
    _wall(cli), _wall(bare)  # warm-up: bytecode caches, the page cache
    cli_s, bare_s = [], []
    for _ in range(args.repeat):
        cli_s.append(_wall(cli))
        bare_s.append(_wall(bare))
    median = statistics.median(cli_s)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores), "
          f"{args.repeat} runs each")
    print(f"sk-realtime --help : median {median * 1000:6.1f} ms, min {min(cli_s) * 1000:6.1f} ms")
    print(f"python -c pass     : median {statistics.median(bare_s) * 1000:6.1f} ms, "
          f"min {min(bare_s) * 1000:6.1f} ms")
    own = statistics.median(c - b for c, b in zip(cli_s, bare_s, strict=True))
    print(f"the CLI's own cost : median {own * 1000:6.1f} ms")
    print(f"target < {TARGET_S * 1000:.0f} ms (median): {'met' if median < TARGET_S else 'NOT met'}")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
