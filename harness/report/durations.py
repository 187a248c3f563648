"""Per-test durations, recorded by the host into ``.pytest_cache`` for ``--shard`` balancing.

A test's duration is the sum of its setup, call and teardown reports (what a shard job pays
for it), taken from the replayed reports. At the end of the session the values of the tests
that finished are merged into what the cache held, so a partial run (``-k``, one file) keeps
the others' values. A ``--shard`` run records nothing (see harness.plugin). Only the host
writes the cache (atomically, see harness.host.pytest_cache).
"""

from __future__ import annotations

from typing import Any

from harness.report.shard import usable_durations

CACHE_KEY = "harness/durations"


def recorded(cache: Any) -> dict[str, float]:
    """The durations earlier runs recorded, or {} without a cache."""
    return usable_durations(cache.get(CACHE_KEY, {})) if cache is not None else {}


def store(cache: Any, durations: dict[str, float]) -> None:
    """Merge ``durations`` into the cache's (rounded to 0.1 ms: the file stays readable)."""
    merged = recorded(cache)
    merged.update({nodeid: round(seconds, 4) for nodeid, seconds in durations.items()})
    cache.set(CACHE_KEY, merged)


class DurationRecorder:
    """Host plugin: sums each test's phase durations and stores them at session end."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.running: dict[str, float] = {}
        self.finished: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.running[report.nodeid] = self.running.get(report.nodeid, 0.0) + report.duration

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.finished[nodeid] = self.running.pop(nodeid, 0.0)

    def pytest_sessionfinish(self) -> None:
        if self.finished:
            store(self.cache, self.finished)
