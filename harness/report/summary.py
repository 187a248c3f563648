"""The GitHub step summary: a Markdown section appended to ``$GITHUB_STEP_SUMMARY``.

It is what a CI user sees on the job's page: the runtime and versions, the patches applied,
the counts (pytest's categories, as on the terminal's last line), every failure linked to its
file and line at the run's commit, how many failures are WebAssembly limitations, and the
slowest tests. ``harness probe`` writes its defect × version table the same way.
"""

from __future__ import annotations

import heapq
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.report import github
from harness.report.failures import Failure, describe
from harness.report.info import run_info

COUNT_KEYS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")
LISTED_FAILURES = 50  # a summary is limited to 1 MiB; the log has the rest
SLOWEST = 10


def cell(text: object) -> str:
    """``text`` inside a Markdown table cell or list item: one line, no column break."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text: object) -> str:
    """An inline code span that cannot be closed early by the text."""
    return "`` " + cell(text).replace("`", "'") + " ``"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def headline(counts: Mapping[str, int], seconds: float) -> str:
    """pytest's last line: ``2 failed, 10 passed, 1 skipped in 3.2s``."""
    order = ("failed", "passed", "skipped", "xfailed", "xpassed", "error", "deselected")
    parts = [f"{counts[k]} {k}{'s' if k == 'error' and counts[k] != 1 else ''}" for k in order if counts.get(k)]
    return f"{', '.join(parts) or 'no tests ran'} in {seconds:.1f}s"


def failure_line(failure: Failure, environ: Mapping[str, str] = os.environ) -> str:
    where = f"{failure.path}:{failure.line}" if failure.line else failure.path
    url = github.blob_url(failure.path, failure.line, environ)
    link = f"[{cell(where)}]({url})" if url else cell(where)
    first = failure.message.strip().splitlines()[0][:200] if failure.message.strip() else ""
    label = "error" if failure.kind == "error" else "failed"
    if failure.crash:
        label = "timed out" if failure.crash == "timeout" else "crashed the runtime"
    return f"- {code(failure.nodeid)} {label} at {link}" + (f": {code(first)}" if first else "")


def render(
    info: Mapping[str, Any],
    counts: Mapping[str, int],
    seconds: float,
    failures: Sequence[Failure],
    slowest: Sequence[tuple[float, str]],
    environ: Mapping[str, str] = os.environ,
) -> str:
    """The Markdown section of one run."""
    runtime = info.get("runtime") or "native"
    where = f"{runtime}, Pyodide {info['pyodide']}" if info.get("pyodide") else runtime
    shard = info.get("shard")
    if shard:
        where += f", shard {shard['index']}/{shard['count']}"
    title = f"## harness ({where}): {headline(counts, seconds)}"
    patches = str(info.get("patch_summary") or "—").removeprefix("patches: ")
    lines = [title, ""]
    lines += table(
        ["runtime", "Pyodide", "Python", "pytest inside", "patches"],
        [[runtime, info.get("pyodide", "—"), info.get("python", "—"), info.get("pytest", "—"), patches]],
    )
    lines += [""] + table(
        [k if k != "error" else "errors" for k in COUNT_KEYS], [[counts.get(k, 0) for k in COUNT_KEYS]]
    )
    if failures:
        lines += ["", f"### Failures and errors ({len(failures)})", ""]
        lines += [failure_line(f, environ) for f in failures[:LISTED_FAILURES]]
        if len(failures) > LISTED_FAILURES:
            lines.append(f"- … and {len(failures) - LISTED_FAILURES} more (see the log)")
    hints = Counter(f.hint for f in failures if f.hint)
    if hints:
        total = sum(hints.values())
        lines += ["", f"### WebAssembly limitations: {total} of {len(failures)} failures", ""]
        lines += [f"- {n} × {cell(hint)}" for hint, n in hints.most_common()]
    if slowest:
        lines += ["", f"### Slowest {len(slowest)} tests", ""]
        lines += table(["seconds", "test"], [[f"{s:.2f}", code(n)] for s, n in slowest])
    return "\n".join(lines) + "\n"


def append(text: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Append to ``$GITHUB_STEP_SUMMARY``; False when unset."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as f:
        f.write(text + "\n")  # a blank line between sections (several steps, several runs)
    return True


class StepSummary:
    """Host plugin: gathers failures and durations, appends the summary at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = config.rootpath
        self.invocation_dir = Path(config.invocation_params.dir)
        self.base = Path(os.environ.get("GITHUB_WORKSPACE") or self.invocation_dir)
        self.failures: list[Failure] = []
        self.durations: dict[str, float] = {}
        self.started = time.monotonic()

    def pytest_sessionstart(self) -> None:
        self.started = time.monotonic()  # after the runtime booted, as pytest's own clock

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failures.append(describe(report, self.rootdir, self.invocation_dir, self.base))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        stats = terminalreporter.stats
        counts = {key: len(stats.get(key, [])) for key in COUNT_KEYS}
        slowest = heapq.nlargest(SLOWEST, ((s, n) for n, s in self.durations.items()))
        text = render(run_info(self.config), counts, time.monotonic() - self.started, self.failures, slowest)
        try:
            append(text)
        except OSError as exc:
            terminalreporter.write_line(f"harness: cannot write the step summary: {exc}")
