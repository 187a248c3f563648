"""``harness merge``: one JUnit XML and one JSON report from the JSON reports of N shards.

Its options name the files to write the way pytest names them (``--junitxml``,
``--report-json``), so they are parsed here rather than in harness.options, whose flags are
``harness run``'s and would shadow pytest's own ``--junitxml``. Exit status: 0 when the
reports were written (the tests' outcomes are in them), 4 for unusable input.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from harness.errors import HarnessError
from harness.report import durations, merge


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise HarnessError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="harness merge", description="Join the --report-json files of --shard runs.")
    p.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    p.add_argument("--junitxml", type=Path, metavar="PATH", help="write the suite's JUnit XML here")
    p.add_argument("--report-json", type=Path, metavar="PATH", help="write the suite's JSON report here")
    p.add_argument(
        "--store-durations",
        action="store_true",
        help="record the tests' durations in ./.pytest_cache, for the next run's --shard",
    )
    return p


def store_durations(document: dict[str, Any], cache_dir: Path) -> None:
    """Record the merged tests' durations where ``--shard`` reads them (pytest's cache)."""
    from harness.host.pytest_cache import write_value
    from harness.inside import pytest_compat

    cache = pytest_compat.cache_without_session(cache_dir)
    cache.set = functools.partial(write_value, cache)
    tests = [t for t in document["tests"] if "collect" not in t["phases"]]
    durations.store(cache, {t["nodeid"]: t["duration"] for t in tests})


def merge_command(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    if not (args.junitxml or args.report_json or args.store_durations):
        raise HarnessError("harness merge writes nothing: give --junitxml, --report-json or --store-durations")
    document = merge.merge(args.reports)
    if args.report_json:
        merge.write_json(document, args.report_json)
    if args.junitxml:
        merge.write_junit(document, args.junitxml)
    if args.store_durations:
        store_durations(document, Path(os.getcwd()) / ".pytest_cache")
    counts = document["counts"]
    reports = len(document.get("shards") or [1])
    parts = [f"{counts[k]} {k}" for k in ("failed", "passed", "skipped", "xfailed", "xpassed", "error") if counts[k]]
    tests = f"{len(document['tests'])} tests: {', '.join(parts) or 'none ran'}"
    print(f"harness merge: {reports} report{'s' if reports != 1 else ''}, {tests}")
    return 0
