"""The code in the getting-started guide runs as printed (docs that cannot rot)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "getting-started.md"
TRANSPORTS = DOC.with_name("transports.md")


def test_the_twenty_line_agent_runs_and_answers_with_the_tool_result(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    assert len(blocks[0].strip().splitlines()) <= 32  # "in 20 lines" of logic, plus imports
    script = tmp_path / "agent.py"
    script.write_text(blocks[0])
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Sunny in Paris" in done.stdout


def test_the_barge_in_player_of_the_transports_guide_runs_and_is_truncated_where_it_played(tmp_path):
    block = next(b for b in re.findall(r"```python\n(.*?)```", TRANSPORTS.read_text(), flags=re.S) if "playback" in b)
    script = tmp_path / "player.py"
    script.write_text(block)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "stop playing: 500 ms of item_" in done.stdout
    assert "'truncated': True, 'audio_end_ms': 500" in done.stdout
