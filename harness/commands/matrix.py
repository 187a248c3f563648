"""``harness run --pyodide A,B,C``: the suite once per Pyodide version, then one table.

Each version runs as its own ``harness run --pyodide V`` child (side by side, as many as the
machine has CPUs), with everything else the user typed. Before anything boots, each version's
distribution is fetched and its packages resolved here, one after the other: a bad input is
then one line and exit 4, and the children find everything cached. A ``--wheel`` is offered
only to the versions whose tags accept it; a version that accepts none of a project's wheels
is shown as "not compatible" and not run.

Each child writes JUnit XML (to a temp file unless the user asked for one); the table and the
list of tests whose outcome differs between versions are read from those files, and the user's
``--junitxml`` file gets one ``<testsuite>`` per version (named ``Pyodide V``). The exit code is
the worst of the runs (4 > 3 > 2 > 1 > 5 > 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import options
from harness.errors import HarnessError
from harness.options import Settings
from harness.provision import distribution as dist
from harness.provision import wheels
from harness.provision.boot import request_for
from harness.provision.resolve import NotCompatible

# Exit codes from best to worst: passed, no tests, failed, interrupted, internal, usage.
_SEVERITY = [0, 5, 1, 2, 3, 4]
_JUNIT_FLAGS = ("--junitxml", "--junit-xml")


@dataclass
class Row:
    """One version of the matrix."""

    version: str
    python: str = ""
    abi: str = ""
    status: str = ""  # "" (ran), "not compatible", or an error line
    exit_code: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    outcomes: dict[str, str] = field(default_factory=dict)
    junit: Path | None = None
    output: str = ""


def versions_of(value: str | None) -> list[str]:
    """The versions of a ``--pyodide`` value; more than one means a matrix."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def run(values: dict[str, Any], pytest_args: list[str], settings: Settings) -> int:
    """Run the matrix and print its table; returns the worst exit code."""
    versions = versions_of(settings.pyodide)
    if settings.dist_dir is not None:
        raise HarnessError("--dist-dir names one distribution: use --pyodide A,B,C without it for a matrix")
    args, junit = _without_junit(pytest_args)
    rows = [_prepare(settings, version) for version in versions]
    runnable = [row for row in rows if not row.status]
    if not runnable:
        raise HarnessError("no version of the matrix can run: " + "; ".join(f"{r.version}: {r.status}" for r in rows))
    with tempfile.TemporaryDirectory(prefix="harness-matrix-") as work:
        child_values = {k: v for k, v in values.items() if k != "pyodide"}
        jobs = max(1, min(len(runnable), _cpus()))
        with ThreadPoolExecutor(jobs) as pool:
            for row in pool.map(lambda r: _run_child(r, child_values, args, Path(work)), runnable):
                _print_output(row)
        _read_results(runnable)
        if junit is not None:
            _merge_junit(runnable, junit)
    print(table(rows, settings.runtime))
    for line in differences(runnable):
        print(line)
    return max((row.exit_code for row in rows), key=_SEVERITY.index)


def _prepare(settings: Settings, version: str) -> Row:
    """Fetch the version and resolve its packages now: errors before anything boots."""
    distribution = dist.resolve(version, None)
    row = Row(version, python=distribution.python, abi=distribution.abi_version or "-")
    try:
        wheels.site_packages(request_for(replace(settings, pyodide=version), distribution))
    except NotCompatible as exc:
        row.status = f"not compatible: {exc}"
    except HarnessError as exc:
        row.status, row.exit_code = f"error: {exc}", exc.exit_code
    return row


def _run_child(row: Row, values: dict[str, Any], args: list[str], work: Path) -> Row:
    row.junit = work / f"{row.version}.xml"
    command = [sys.executable, "-m", "harness.cli", "run", *options.to_argv(values), "--pyodide", row.version]
    command += ["--", *args, f"--junitxml={row.junit}"]
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    row.seconds = time.monotonic() - start
    row.exit_code = proc.returncode
    row.output = proc.stdout + proc.stderr
    return row


def _print_output(row: Row) -> None:
    title = f" Pyodide {row.version} (exit {row.exit_code}) "
    print(f"{title:=^80}")
    sys.stdout.write(row.output)
    sys.stdout.flush()


def _read_results(rows: Sequence[Row]) -> None:
    for row in rows:
        suite = _suite(row.junit)
        if suite is None:
            row.status = row.status or f"no results (exit {row.exit_code})"
            continue
        counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
        row.counts = {
            "passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
            "failed": counts["failures"],
            "skipped": counts["skipped"],
            "errors": counts["errors"],
        }
        row.outcomes = _outcomes(suite)


def _suite(path: Path | None) -> ET.Element | None:
    if path is None or not path.is_file():
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    return root if root.tag == "testsuite" else root.find("testsuite")


def _outcomes(suite: ET.Element) -> dict[str, str]:
    outcomes = {}
    for case in suite.iter("testcase"):
        kinds = sorted(child.tag for child in case if child.tag in ("failure", "error", "skipped"))
        outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(kinds[0] if kinds else "", "passed")
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = outcome
    return outcomes


def _merge_junit(rows: Sequence[Row], target: Path) -> None:
    """The user's JUnit file: one ``<testsuite name="Pyodide V">`` per version that ran."""
    root = ET.Element("testsuites")
    for row in rows:
        suite = _suite(row.junit)
        if suite is not None:
            suite.set("name", f"Pyodide {row.version}")
            root.append(suite)
    target.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def table(rows: Sequence[Row], runtime: str) -> str:
    """The matrix as a plain-text table (one line per version)."""
    head = ["Pyodide", "Python", "ABI", "runtime", "passed", "failed", "skipped", "errors", "time", "result"]
    lines = [head]
    for row in rows:
        if row.status.startswith("not compatible"):
            lines.append([row.version, row.python, row.abi, runtime, "-", "-", "-", "-", "-", "not compatible"])
            continue
        c = row.counts
        cells = [str(c.get(k, "-")) for k in ("passed", "failed", "skipped", "errors")]
        result = row.status or ("ok" if row.exit_code == 0 else f"exit {row.exit_code}")
        lines.append([row.version, row.python, row.abi, runtime, *cells, f"{row.seconds:.1f}s", result])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    notes = [f"{row.version}: {row.status}" for row in rows if row.status]
    return "\n".join(["", *text, *notes])


def differences(rows: Sequence[Row]) -> list[str]:
    """Tests whose outcome is not the same on every version that ran."""
    ran = [row for row in rows if row.outcomes]
    if len(ran) < 2:
        return []
    names = sorted(set().union(*(row.outcomes for row in ran)))
    lines = []
    for name in names:
        seen = {row.version: row.outcomes.get(name, "absent") for row in ran}
        if len(set(seen.values())) > 1:
            lines.append(f"  {name}: " + ", ".join(f"{outcome} on {v}" for v, outcome in seen.items()))
    return ["", f"outcomes that differ between versions: {len(lines)}", *lines] if lines else []


def _without_junit(args: list[str]) -> tuple[list[str], Path | None]:
    """pytest arguments without ``--junitxml`` (each child gets its own), and its path."""
    rest: list[str] = []
    junit = None
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, value = arg.partition("=")
        if flag in _JUNIT_FLAGS:
            if not eq and i + 1 < len(args):
                value, i = args[i + 1], i + 1
            junit = Path(value).absolute()
        else:
            rest.append(arg)
        i += 1
    return rest, junit


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
