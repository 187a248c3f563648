"""``harness merge``: the JSON reports of N shards joined into one JSON report and one JUnit XML.

The shards must be the N parts of one suite: same N, same runtime and versions, the same
fingerprint (collection and durations they balanced by), every index once and no test twice.
Anything else means a test may have run twice or not at all, so the merge refuses with one
line (exit 4) instead of writing a report that looks complete.

The JUnit XML is written by pytest's own writer (``_pytest.junitxml.LogXML``, reached through
harness.inside.pytest_compat; family xunit2 as
``--junitxml`` defaults to) from ``TestReport``s rebuilt out of the records, so its failure
messages, skip details and counts are those an unsharded ``--junitxml`` run writes. The
records carry no captured output, so there is no ``system-out`` (pytest's default
``junit_logging = no`` writes none either).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.inside import pytest_compat
from harness.report import json_report

# Header fields every shard of one suite shares.
_SAME = ("runtime", "pyodide", "python", "pytest")


class _Longrepr:
    """A failure's text with pytest's ``reprcrash.message``: all the JUnit writer reads."""

    def __init__(self, text: str, message: str | None) -> None:
        self.text = text
        self.reprcrash = SimpleNamespace(message=message) if message is not None else None

    def __str__(self) -> str:
        return self.text


def load(path: Path) -> dict[str, Any]:
    """One shard's report, checked enough to be merged."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(document, dict) or document.get("format") != json_report.FORMAT:
        raise HarnessError(f"{path} is not a harness JSON report (--report-json)")
    if document.get("version") != json_report.VERSION:
        raise HarnessError(
            f"{path} is report format {document.get('version')}; this harness reads {json_report.VERSION}"
        )
    return document


def check(paths: Sequence[Path], documents: Sequence[dict[str, Any]]) -> None:
    """Refuse reports that are not the parts of one suite."""
    _same_run(paths, documents)
    shards = [d.get("shard") for d in documents]
    if None in shards:
        if len(documents) > 1:
            raise HarnessError(f"{paths[shards.index(None)]} is not a shard (no --shard); merge joins shards")
        return
    _one_split(paths, [s for s in shards if s is not None])
    _no_test_twice(paths, documents)


def _same_run(paths: Sequence[Path], documents: Sequence[dict[str, Any]]) -> None:
    for path, document in zip(paths, documents, strict=True):
        for key in _SAME:
            if document.get(key) != documents[0].get(key):
                raise HarnessError(
                    f"{path} ran {key} {document.get(key)!r} but {paths[0]} ran {documents[0].get(key)!r}"
                )


def _one_split(paths: Sequence[Path], shards: Sequence[dict[str, Any]]) -> None:
    """Same N and fingerprint, every index once."""
    count = shards[0]["count"]
    for path, shard in zip(paths, shards, strict=True):
        if shard["count"] != count:
            raise HarnessError(f"{path} is shard {shard['index']}/{shard['count']} but {paths[0]} is one of {count}")
        if shard["fingerprint"] != shards[0]["fingerprint"]:
            raise HarnessError(
                f"{path} and {paths[0]} balanced different collections or durations: "
                "give every shard job the same .pytest_cache (see docs/ci.md)"
            )
    indices = Counter(s["index"] for s in shards)
    twice = sorted(i for i, n in indices.items() if n > 1)
    missing = sorted(set(range(1, count + 1)) - set(indices))
    if twice:
        raise HarnessError(f"shard {twice[0]}/{count} given twice")
    if missing:
        raise HarnessError(f"shard {missing[0]}/{count} missing ({len(indices)} of {count} given)")


def _no_test_twice(paths: Sequence[Path], documents: Sequence[dict[str, Any]]) -> None:
    seen: dict[str, Path] = {}
    for path, document in zip(paths, documents, strict=True):
        for record in document["tests"]:
            other = seen.setdefault(record["nodeid"], path)
            if other != path:
                raise HarnessError(f"{record['nodeid']} ran in both {other} and {path}")


def _exitstatus(statuses: Sequence[int]) -> int:
    """One exit status for the suite: an abnormal end wins, then failures; 5 only if every
    shard had no tests."""
    for status in (3, 2, 4, 1):
        if status in statuses:
            return status
    return 5 if all(s == 5 for s in statuses) else 0


def merged_document(documents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The suite's report: records in shard order, counts summed; ``deselected`` counts the
    tests deselected by the run's own arguments, not by sharding (each shard deselects the
    others')."""
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(document["counts"])
    shards = [d["shard"] for d in documents if d.get("shard") is not None]
    counts["deselected"] -= sum(s["collected"] - s["selected"] for s in shards)
    starts = [datetime.fromisoformat(d["started"]) for d in documents]
    head = {
        k: v
        for k, v in documents[0].items()
        if k not in ("shard", "tests", "counts", "started", "duration", "exitstatus")
    }
    return {
        **head,
        "started": min(starts).isoformat(),
        "duration": max(d["duration"] for d in documents),  # shards run side by side
        "exitstatus": _exitstatus([d["exitstatus"] for d in documents]),
        "counts": {key: counts[key] for key in json_report.COUNT_KEYS},
        "shards": [
            {**d["shard"], "started": d["started"], "duration": d["duration"], "exitstatus": d["exitstatus"]}
            for d in documents
            if d.get("shard") is not None
        ],
        "tests": [record for d in documents for record in d["tests"]],
    }


def _reports(record: dict[str, Any]) -> list[Any]:
    """The record's phases as the reports pytest's JUnit writer consumes."""
    location = tuple(record["location"])
    reports: list[Any] = []
    for when, phase in record["phases"].items():
        longrepr: Any = None
        if "skip" in phase:
            longrepr = tuple(phase["skip"])
        elif "longrepr" in phase:
            longrepr = _Longrepr(phase["longrepr"], phase.get("message"))
        extra = {"wasxfail": phase["wasxfail"]} if "wasxfail" in phase else {}
        if when == "collect":
            reports.append(pytest.CollectReport(record["nodeid"], phase["outcome"], longrepr, []))
            continue
        reports.append(
            pytest.TestReport(
                record["nodeid"],
                location,
                {},
                phase["outcome"],
                longrepr,
                when,
                duration=phase["duration"],
                user_properties=[tuple(p) for p in record["user_properties"]] if when == "teardown" else [],
                **extra,
            )
        )
    return reports


def write_junit(document: dict[str, Any], path: Path) -> None:
    """The JUnit XML pytest's ``--junitxml`` would write for these records."""
    xml = pytest_compat.junit_writer(path)
    xml.pytest_sessionstart()
    for record in document["tests"]:
        for report in _reports(record):
            if isinstance(report, pytest.CollectReport):
                xml.pytest_collectreport(report)
            else:
                xml.pytest_runtest_logreport(report)
    xml.pytest_sessionfinish()
    # The suite's clock: the shards' start and the longest shard, not this command's.
    tree = ET.parse(path)
    suite = tree.getroot().find("testsuite")
    if suite is not None:
        suite.set("time", f"{document['duration']:.3f}")
        suite.set("timestamp", datetime.fromisoformat(document["started"]).astimezone().isoformat())
    tree.write(path, encoding="utf-8", xml_declaration=True)


def write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def merge(paths: Sequence[Path]) -> dict[str, Any]:
    """Load, check and join shard reports (the order given does not matter)."""
    if not paths:
        raise HarnessError("harness merge needs at least one JSON report")
    documents = [load(p) for p in paths]
    check(paths, documents)
    pairs = sorted(zip(paths, documents, strict=True), key=lambda pd: (pd[1].get("shard") or {}).get("index", 0))
    return merged_document([d for _, d in pairs])
