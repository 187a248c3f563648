"""coverage.py inside the runtime, with its measurements streamed to the host.

The runtime never writes a coverage data file: a runtime that is killed mid-run (a test
that crashes it, a timeout, an interrupted CI job) would lose it, and Pyodide <= 0.29 has
no sqlite3 for coverage's data layer. Instead ``StreamedData`` stands in for coverage's
``CoverageData``: it receives exactly what coverage's collector flushes (lines or arcs per
file, file tracers, files never executed) and hands it over as a protocol event after every
test. The host writes each event into a real data file with coverage's own API as it
arrives, so everything measured up to the last finished test survives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


class StreamedData:
    """The part of ``coverage.CoverageData`` that ``Coverage`` and its collector call
    while measuring, keeping what arrived since the last ``take()``."""

    def __init__(self, branch: bool) -> None:
        self._branch = branch
        self._measured = False
        self._context: str | None = None
        self._clear()

    def _clear(self) -> None:
        self._lines: dict[str, set[int]] = {}
        self._arcs: dict[str, set[tuple[int, int]]] = {}
        self._tracers: dict[str, str] = {}
        self._touched: dict[str, set[str]] = {}

    def __bool__(self) -> bool:
        """Whether anything was measured at all (coverage's "No data was collected")."""
        return self._measured

    def set_context(self, context: str | None) -> None:
        self._context = context

    def add_lines(self, line_data: Mapping[str, Collection[int]]) -> None:
        for filename, lines in line_data.items():
            self._lines.setdefault(filename, set()).update(lines)
            self._measured = True

    def add_arcs(self, arc_data: Mapping[str, Collection[tuple[int, int]]]) -> None:
        for filename, arcs in arc_data.items():
            self._arcs.setdefault(filename, set()).update(arcs)
            self._measured = True

    def add_file_tracers(self, file_tracers: Mapping[str, str]) -> None:
        self._tracers.update(file_tracers)

    def touch_files(self, filenames: Collection[str], plugin_name: str | None = None) -> None:
        if filenames:
            self._touched.setdefault(plugin_name or "", set()).update(filenames)

    def take(self) -> dict[str, Any] | None:
        """What arrived since the last call, as the ``coverage`` event's fields; None if
        nothing did."""
        if not (self._lines or self._arcs or self._tracers or self._touched):
            return None
        fields: dict[str, Any] = {"context": self._context, "branch": self._branch}
        if self._lines:
            fields["lines"] = {f: sorted(lines) for f, lines in self._lines.items()}
        if self._arcs:
            fields["arcs"] = {f: sorted(arcs) for f, arcs in self._arcs.items()}
        if self._tracers:
            fields["file_tracers"] = dict(self._tracers)
        if self._touched:
            fields["touched"] = {p: sorted(files) for p, files in self._touched.items()}
        self._clear()
        return fields


class CoverageStream:
    """One ``coverage.Coverage`` measuring a pytest session, flushed test by test."""

    def __init__(self, options: dict[str, Any]) -> None:
        """``options``: ``source`` (list or None), ``branch`` (bool or None: the config
        decides), ``config_file`` (path or True), ``omit`` (harness files never measured)."""
        import wasm_patches.sqlite3_for_coverage as sqlite3_patch

        with sqlite3_patch.importable():
            import coverage
        self.coverage = coverage.Coverage(
            source=options.get("source"),
            branch=options.get("branch"),
            config_file=options.get("config_file", True),
        )
        config = self.coverage.config
        config.run_omit = [*(config.run_omit or []), *options.get("omit", [])]
        # The wheel on PyPI is pure Python: there is never a C tracer to miss here.
        config.disable_warnings = [*config.disable_warnings, "no-ctracer"]
        self.data = StreamedData(branch=bool(config.branch))
        # Coverage creates its data object only if it has none (``_init_data``).
        self.coverage._data = self.data  # type: ignore[assignment]

    def start(self) -> None:
        self.coverage.start()

    def flush(self) -> dict[str, Any] | None:
        """What was measured since the last flush (the collector's own flush, without the
        search for unexecuted files that ``get_data`` does each time)."""
        collector = getattr(self.coverage, "_collector", None)
        if collector is not None:
            collector.flush_data()
        return self.data.take()

    def finish(self) -> dict[str, Any] | None:
        """Stop measuring; the rest of the data plus the files that never ran."""
        self.coverage.stop()
        self.coverage.get_data()
        return self.data.take()
