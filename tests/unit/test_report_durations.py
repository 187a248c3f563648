"""harness.report.durations and ``harness merge --store-durations``: what --shard balances by,
in pytest's own cache layout."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import cli
from harness.host.pytest_cache import write_value
from harness.inside import pytest_compat
from harness.report import durations


def cache_at(path: Path) -> Any:
    cache = pytest_compat.cache_without_session(path)
    cache.set = functools.partial(write_value, cache)
    return cache


def report(nodeid: str, seconds: float) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, duration=seconds)


def test_phases_add_up_and_old_values_stay(tmp_path: Path) -> None:
    cache = cache_at(tmp_path / ".pytest_cache")
    durations.store(cache, {"t.py::old": 1.0, "t.py::a": 9.0})
    recorder = durations.DurationRecorder(cache)
    for when_seconds in (0.1, 0.5, 0.2):  # setup, call, teardown
        recorder.pytest_runtest_logreport(report("t.py::a", when_seconds))
    recorder.pytest_runtest_logfinish("t.py::a")
    recorder.pytest_runtest_logreport(report("t.py::unfinished", 3.0))  # the run was interrupted
    recorder.pytest_sessionfinish()
    assert durations.recorded(cache) == {"t.py::old": 1.0, "t.py::a": 0.8}
    assert (tmp_path / ".pytest_cache/v/harness/durations").is_file()
    assert durations.recorded(None) == {}


def test_merge_stores_the_shards_durations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"phases": {"call": {"outcome": "passed", "category": "passed", "duration": 0.5}}, "duration": 0.5}
    document = {
        "format": "harness-report", "version": 1, "started": "2026-01-01T00:00:00+00:00", "duration": 1.0,
        "exitstatus": 0, "counts": {"passed": 1}, "tests": [{"nodeid": "t.py::x", **record}],
    }  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["merge", "r.json", "--store-durations"]) == 0
    assert capsys.readouterr().out == "harness merge: 1 report, 1 tests: 1 passed\n"
    assert durations.recorded(cache_at(tmp_path / ".pytest_cache")) == {"t.py::x": 0.5}
