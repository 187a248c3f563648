"""Host side of coverage: what to measure, and the data file the runtime's events fill.

coverage.py runs inside the runtime (``harness/inside/coverage_stream.py``) and sends what
it measured after every test. ``CoverageSink`` writes each ``coverage`` event into the data
file with coverage's own ``CoverageData`` as soon as it arrives; each write is committed, so
a killed runtime or an interrupted host loses nothing already received, and the file is an
ordinary coverage data file (``coverage report``/``combine`` read it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.inside import protocol


@dataclass(frozen=True)
class CoverageSettings:
    """The ``--cov*`` options of one run (the pytest-cov spellings)."""

    sources: tuple[str, ...] = ()  # empty: measure everything coverage's rules allow
    reports: tuple[str, ...] = ()  # "term", "term-missing", "xml:out.xml", ...; () = term
    branch: bool = False
    config_file: Path | None = None
    fail_under: float | None = None

    def runtime_options(self, cwd: Path, omit: list[str]) -> dict[str, Any]:
        """The runtime's ``CoverageStream`` options; ``omit``: the harness's own files."""
        return {
            "source": [_source_for(s, cwd) for s in self.sources] or None,
            "branch": True if self.branch else None,
            "config_file": str(self.config_file) if self.config_file else True,
            "omit": omit,
        }


def _source_for(source: str, cwd: Path) -> str:
    """A directory given relatively stays relative to the run's directory (as natively);
    anything else is a package name and passes unchanged."""
    return str((cwd / source).resolve()) if (cwd / source).is_dir() else source


def new_coverage(settings: CoverageSettings) -> Any:
    """A host ``coverage.Coverage`` reading the same configuration the runtime reads."""
    import coverage

    try:
        return coverage.Coverage(
            source=list(settings.sources) or None,
            branch=True if settings.branch else None,
            config_file=str(settings.config_file) if settings.config_file else True,
        )
    except coverage.CoverageException as exc:
        raise HarnessError(f"coverage configuration: {exc}") from None


@dataclass
class CoverageSink:
    """Receives ``coverage`` events and commits them to the run's data file."""

    coverage: Any  # coverage.Coverage: its config names the data file
    events: int = 0
    context: str | None = None  # coverage's static context the data is being written under
    data: Any = field(init=False)

    def __post_init__(self) -> None:
        import coverage

        self.coverage.erase()
        config = self.coverage.config
        self.data = coverage.CoverageData(
            basename=config.data_file,
            suffix=True if config.parallel else None,  # parallel=True: `coverage combine` later
        )

    def add(self, event: protocol.CoverageEvent) -> None:
        """One ``coverage`` event (see ``harness.inside.protocol``)."""
        self.events += 1
        if event.get("context") != self.context:
            self.context = event.get("context")
            self.data.set_context(self.context)  # drops coverage's cached context id: only on change
        if event.get("lines"):
            self.data.add_lines(event["lines"])
        if event.get("arcs"):
            self.data.add_arcs({f: [tuple(a) for a in arcs] for f, arcs in event["arcs"].items()})
        if event.get("file_tracers"):
            self.data.add_file_tracers(event["file_tracers"])
        touched = event.get("touched") or {}
        if touched and not (self.data.has_arcs() or self.data.measured_files()):
            # Files that never ran, and nothing that did: say which kind of data this is
            # (coverage refuses to touch files in data of neither kind).
            (self.data.add_arcs if event.get("branch") else self.data.add_lines)({})
        for plugin, files in touched.items():
            self.data.touch_files(files, plugin or None)

    def close(self) -> None:
        self.data.close()
