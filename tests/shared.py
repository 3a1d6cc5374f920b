"""Where ``../shared`` (the recorded fixtures, read in place, never copied) is, and skipping without it.

Tests that need a recording call :func:`fixture` / :func:`audio_fixture` (or open a path under
:data:`FIXTURES` directly: ``tests/conftest.py`` reports a test that fails because ``../shared`` is absent as
skipped, with :data:`ABSENT`, the one reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = (Path(__file__).resolve().parents[1].parent / "shared").resolve()
FIXTURES = SHARED / "fixtures"
AUDIO = FIXTURES / "audio"
ABSENT = f"needs ../shared, the recorded fixtures beside the repository (absent: {SHARED})"


def present() -> bool:
    return SHARED.is_dir()


def fixture(*parts: str) -> Path:
    """The path of a shared fixture; skips the test when ``../shared`` or the file is absent."""
    path = FIXTURES.joinpath(*parts)
    if not present():
        pytest.skip(ABSENT)
    if not path.exists():
        pytest.skip(f"shared fixture missing: {path}")
    return path


def audio_fixture(name: str) -> Path:
    return fixture("audio", name)


def is_under_shared(filename: object) -> bool:
    """Whether ``filename`` (from an OSError) points into ``../shared``."""
    if not isinstance(filename, (str, Path)):
        return False
    try:
        Path(filename).resolve().relative_to(SHARED)
    except ValueError:
        return False
    return True
