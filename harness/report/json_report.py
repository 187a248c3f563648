"""``--report-json PATH``: one record per test plus a header, for machines (CI, dashboards,
``harness merge``).

Counts use pytest's own categories (``pytest_report_teststatus``) per report, as the terminal's
last line does: a test whose call fails and whose teardown errors counts as 1 failed and 1
error there, and here. Each record keeps, per phase, what pytest's JUnit XML writes (outcome,
duration, message, text, skip location, xfail reason), so ``harness merge`` can write the
JUnit XML of several shards with pytest's own writer.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from harness.report.failures import limitation_hint, message

FORMAT = "harness-report"
VERSION = 1
# A test's outcome: its worst phase, in this order (a failing teardown after a failed call
# is still "failed").
_SEVERITY = ("failed", "error", "xpassed", "xfailed", "skipped", "passed")
COUNT_KEYS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")


def phase_record(report: Any, category: str) -> dict[str, Any]:
    """What one setup/call/teardown report says, in plain JSON."""
    phase: dict[str, Any] = {"outcome": report.outcome, "category": category, "duration": report.duration}
    if hasattr(report, "wasxfail"):
        phase["wasxfail"] = report.wasxfail
    if report.skipped and isinstance(report.longrepr, tuple):
        phase["skip"] = list(report.longrepr)
    elif report.failed:
        phase["message"] = message(report)
        phase["longrepr"] = str(report.longrepr)
    return phase


def new_record(nodeid: str, location: list[Any]) -> dict[str, Any]:
    """A test's record before any of its reports arrived."""
    return {
        "nodeid": nodeid,
        "location": location,
        "outcome": "passed",
        "duration": 0.0,
        "phases": {},
        "worker": None,
        "limitation": None,
        "crash": None,
        "user_properties": [],
    }


def record_outcome(categories: list[str]) -> str:
    """The record's outcome from its phases' categories ("" for a passing setup/teardown)."""
    present = set(categories)
    return next((c for c in _SEVERITY if c in present), "passed")


class JsonReport:
    """Host plugin collecting records from replayed reports; writes ``path`` at the end."""

    def __init__(self, config: pytest.Config, path: Path, header: Callable[[], dict[str, Any]]) -> None:
        self.config = config
        self.path = path
        self.header = header  # runtime facts, asked for at the end (the runtime boots late)
        self.records: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()
        self.started = time.time()

    def _category(self, report: Any) -> str:
        category, _, _ = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        return str(category)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        category = self._category(report)
        if category:
            self.counts[category] += 1
        record = self.records.get(report.nodeid)
        if record is None:
            record = self.records[report.nodeid] = new_record(report.nodeid, list(report.location))
            record["worker"] = getattr(report, "worker_id", None)
        record["phases"][report.when] = phase_record(report, category)
        record["duration"] += report.duration
        record["outcome"] = record_outcome([p["category"] for p in record["phases"].values()])
        record["limitation"] = record["limitation"] or limitation_hint(report)
        record["crash"] = record["crash"] or getattr(report, "harness_crash", None)
        if report.when == "teardown":
            record["user_properties"] = [[str(k), str(v)] for k, v in report.user_properties]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A file that fails to collect is an error, in the counts and as a record."""
        if report.passed:
            return
        category = "error" if report.failed else "skipped"
        self.counts[category] += 1
        phase: dict[str, Any] = {"outcome": report.outcome, "category": category, "duration": 0.0}
        phase["longrepr"] = str(report.longrepr)
        record = self.records[report.nodeid] = new_record(report.nodeid, [report.fspath, None, report.nodeid])
        record.update(outcome=category, phases={"collect": phase})

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.counts["deselected"] += len(items)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        header = self.header()
        # Each record names where it ran, so records of several reports can be pooled.
        where = {"runtime": header.get("runtime"), "pyodide": header.get("pyodide")}
        document = {
            "format": FORMAT,
            "version": VERSION,
            **header,
            "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(),
            "duration": round(time.time() - self.started, 3),
            "exitstatus": int(exitstatus),
            "counts": {key: self.counts[key] for key in COUNT_KEYS},
            "tests": [{**record, **where} for record in self.records.values()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(document, indent=1), encoding="utf-8")
        tmp.replace(self.path)
