"""``--cov``: the host plugin that owns the run's coverage data and writes its reports.

The runtime measures (see ``harness/coverage_sink.py`` for why it streams instead of
writing a file); this plugin erases old data at session start, hands every ``coverage``
event to the sink, and once the tests are over (also after an interrupt or a crash) loads
the data file and produces the reports with coverage's own API, on the host, where the
sources live at the same paths. A total under ``--cov-fail-under`` (or the config's
``fail_under``) fails the run, as with pytest-cov.
"""

from __future__ import annotations

import io
from collections.abc import Generator
from typing import Any

import pytest

from harness.coverage.sink import CoverageSettings, CoverageSink, new_coverage
from harness.errors import HarnessError
from harness.inside import protocol

# --cov-report kinds: the terminal ones print here, the others write a file or directory.
TERMINAL_REPORTS = ("term", "term-missing")
FILE_REPORTS = ("html", "xml", "json", "lcov", "annotate")


def check_reports(reports: tuple[str, ...]) -> None:
    """Reject an unknown ``--cov-report`` before anything boots (pytest-cov's spellings:
    ``term[-missing][:skip-covered]``, ``html|xml|json|lcov|annotate[:DEST]``, ``''``)."""
    for spec in reports:
        kind, _, extra = spec.partition(":")
        if spec == "" or (kind in TERMINAL_REPORTS and extra in ("", "skip-covered")):
            continue
        if kind not in FILE_REPORTS:
            known = ", ".join((*TERMINAL_REPORTS, *FILE_REPORTS))
            raise HarnessError(f"unknown --cov-report {spec!r} (known: {known}, or '' for none)")


class CoveragePlugin:
    """Registered next to the controller when ``--cov`` is given."""

    def __init__(self, settings: CoverageSettings, where: str) -> None:
        check_reports(settings.reports)
        self.settings = settings
        self.where = where  # "Pyodide 314.0.7", for the report's heading
        self.coverage = new_coverage(settings)
        self.sink: CoverageSink | None = None
        self.output: list[str] = []
        self.failed_under: str | None = None

    def add(self, event: protocol.CoverageEvent) -> None:
        """A ``coverage`` event from a runtime (the controller calls this)."""
        if self.sink is not None:
            self.sink.add(event)

    def pytest_sessionstart(self) -> None:
        self.sink = CoverageSink(self.coverage)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """Report once the runtime is done, however it ended, and before the exit status is
        decided (so ``--cov-fail-under`` can fail the run)."""
        try:
            return (yield)
        finally:
            if self.sink is not None:
                self.sink.close()
                self._report(session)

    def _report(self, session: pytest.Session) -> None:
        import coverage

        cov = self.coverage
        try:
            cov.load()
            total = self._write_reports(cov)
        except coverage.CoverageException as exc:
            self.output.append(f"coverage: {exc}")
            return
        fail_under = self.settings.fail_under
        if fail_under is None:
            fail_under = cov.config.fail_under
        if fail_under and coverage.results.should_fail_under(total, fail_under, cov.config.precision):
            self.failed_under = (
                f"FAIL Required test coverage of {fail_under:g}% not reached. Total coverage: {total:.2f}%"
            )
            session.testsfailed += 1

    def _write_reports(self, cov: Any) -> float:
        """Every requested report; the total percentage (from the last one that has it)."""
        reports = self.settings.reports or ("term",)
        total: float | None = None
        for spec in reports:
            kind, _, extra = spec.partition(":")
            if spec == "":
                continue
            if kind in TERMINAL_REPORTS:
                text = io.StringIO()
                total = cov.report(
                    file=text,
                    show_missing=kind == "term-missing" or None,
                    skip_covered=extra == "skip-covered" or None,
                )
                self.output.extend(text.getvalue().rstrip("\n").splitlines())
            elif kind == "html":
                total = cov.html_report(directory=extra or None)
                self.output.append(f"Coverage HTML written to dir {extra or cov.config.html_dir}")
            elif kind in ("xml", "json", "lcov"):
                # coverage's ``<kind>_report(outfile=)``, defaulting to config ``<kind>_output``
                total = getattr(cov, f"{kind}_report")(outfile=extra or None)
                outfile = extra or getattr(cov.config, f"{kind}_output")
                self.output.append(f"Coverage {kind.upper()} written to file {outfile}")
            elif kind == "annotate":
                cov.annotate(directory=extra or None)
                self.output.append(f"Coverage annotated source written to dir {extra or '.'}")
        if total is None:
            total = cov.report(file=io.StringIO())
        return float(total)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.output or self.failed_under):
            return
        events = self.sink.events if self.sink is not None else 0
        terminalreporter.write_sep(
            "-", f"coverage: measured inside {self.where}, {events} updates streamed to the host"
        )
        for line in self.output:
            terminalreporter.write_line(line)
        if self.failed_under:
            terminalreporter.write_line(self.failed_under, red=True, bold=True)
