"""Suite-wide rules.

- Without ``../shared`` (a clone on its own), a test that fails because it opened a path under it is
  reported as skipped with one reason (``tests.shared.ABSENT``), in whichever phase it failed, and the
  skips that helpers raise for a missing shared fixture carry the same reason; with ``../shared`` present
  such a failure stays a failure.
"""

from __future__ import annotations

import pytest

from tests import shared


def _caused_by_absent_shared(excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    if excinfo is None or shared.present():
        return False
    error: BaseException | None = excinfo.value
    while error is not None:  # the OSError may be wrapped (a fixture's error, a re-raise)
        if isinstance(error, OSError) and shared.is_under_shared(error.filename):
            return True
        error = error.__cause__ or error.__context__
    return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _caused_by_absent_shared(call.excinfo):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {shared.ABSENT}")
    elif report.skipped and not shared.present() and isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        if "shared" in reason:  # a helper's own wording for a missing fixture
            report.longrepr = (path, line, f"Skipped: {shared.ABSENT}")
