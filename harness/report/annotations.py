"""GitHub annotations: each failure and error as ``::error`` at the failing line; failures that
are WebAssembly limitations as ``::warning`` with their hint.

On by itself when ``GITHUB_ACTIONS=true`` (``--annotations github`` forces it, ``none`` turns it
off). The lines are written at the end of the terminal summary, on stdout, where the runner
reads workflow commands. GitHub shows at most 10 annotations of a kind per step, so at most
9 are written per kind and a tenth says how many more there are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from harness.report import github
from harness.report.failures import Failure, describe

# Lines of a failure's text kept in an annotation's message (its end says the most).
MESSAGE_LINES = 12


def annotation(failure: Failure) -> str:
    """One workflow command for ``failure``."""
    where = {"file": failure.path, "line": failure.line}
    if failure.hint:
        title = f"WebAssembly limitation: {failure.nodeid}"
        return github.command("warning", f"{failure.hint}\n{failure.message}", {**where, "title": title})
    if failure.crash == "timeout":
        title = f"{failure.nodeid} timed out"
    elif failure.crash:
        title = f"{failure.nodeid} crashed the runtime"
    elif failure.when == "collect":
        title = f"{failure.nodeid} could not be collected"
    elif failure.kind == "error":
        title = f"error in {failure.when} of {failure.nodeid}"
    else:
        title = f"{failure.nodeid} failed"
    text = "\n".join(failure.message.splitlines()[-MESSAGE_LINES:])
    return github.command("error", text, {**where, "title": title})


def annotation_lines(failures: Sequence[Failure], limit: int = github.ANNOTATIONS_PER_KIND) -> list[str]:
    """Annotation lines, at most ``limit`` per kind (the last one saying how many more)."""
    lines: list[str] = []
    for kind, chosen in (
        ("error", [f for f in failures if not f.hint]),
        ("warning", [f for f in failures if f.hint]),
    ):
        shown = chosen if len(chosen) <= limit else chosen[: limit - 1]
        lines += [annotation(f) for f in shown]
        if len(shown) < len(chosen):
            what = "failures" if kind == "error" else "WebAssembly limitation failures"
            lines.append(github.command(kind, f"… and {len(chosen) - len(shown)} more {what} (see the log)"))
    return lines


class Annotations:
    """Host plugin: collects failed reports, writes their annotations after the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.rootdir = config.rootpath
        self.invocation_dir = Path(config.invocation_params.dir)
        self.base = Path(os.environ.get("GITHUB_WORKSPACE") or self.invocation_dir)
        self.failures: list[Failure] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failures.append(describe(report, self.rootdir, self.invocation_dir, self.base))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip().splitlines() or ["collection failed"]
            path = Path(os.path.normpath(self.rootdir / report.fspath))
            try:
                relative = path.relative_to(self.base).as_posix()
            except ValueError:
                relative = report.fspath
            self.failures.append(Failure(report.nodeid, "collect", relative, None, text[-1], None, None))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in annotation_lines(self.failures):
            terminalreporter.write_line(line)
