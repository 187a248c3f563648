"""Shared fixtures, markers and ordering for the suite (helpers live in ``helpers.py``).

Layers: ``tests/unit/`` holds fast tests that boot no runtime and run first; every other
test file boots real runtimes and is marked ``e2e`` here (browser ones also ``browser``),
so ``pytest -m "not e2e"`` is the fast layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import PYODIDE_VERSIONS, REAL_SUITE_ROW, write_real_suites_table

# Runtime-side test files and fixture projects are run through the harness, not collected.
collect_ignore = ["projects", "inside"]

UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the layers and run the unit layer first (a broken unit fails in seconds)."""
    for item in items:
        if UNIT not in item.path.parents:
            item.add_marker(pytest.mark.e2e)
        if item.path.name in ("test_browsers.py", "test_launchers.py", "test_browser_warm_start.py"):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: UNIT not in item.path.parents)


_REAL_SUITE_ROWS: list[dict[str, Any]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the real suites' rows from their reports (under pytest-xdist these arrive
    from the workers: the controller prints the table)."""
    if report.when == "call":
        _REAL_SUITE_ROWS.extend(value for name, value in report.user_properties if name == REAL_SUITE_ROW)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _REAL_SUITE_ROWS:
        write_real_suites_table(sorted(_REAL_SUITE_ROWS, key=lambda row: row["suite"]), terminalreporter)


@pytest.fixture(scope="session", autouse=True)
def _not_a_github_step() -> Iterator[None]:
    """The suite may itself run as a GitHub Actions step: the harness runs it starts would
    then write annotations and step summaries into every output. Tests that want them set
    the variables themselves."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty harness cache for this test only."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HARNESS_CACHE", str(cache))
    return cache


@pytest.fixture(scope="session")
def warm_dists() -> None:
    """Fetch every distribution the suite uses once, before timing-sensitive tests run."""
    from harness.provision.boot import site_for

    for version in PYODIDE_VERSIONS:
        site_for(version)
