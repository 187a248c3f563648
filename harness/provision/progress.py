"""Progress of downloads and unpacking, for a first run or a cold CI cache.

On a terminal (stderr is a TTY) a ``rich`` progress bar shows bytes, rate and elapsed time;
elsewhere (CI logs, pipes) each download or unpacking is one plain line when it ends, so a
log says what was fetched without redrawing anything. Nothing is shown when nothing is
fetched: a warm cache is silent.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

Advance = Callable[[int], None]


def human_size(size: float) -> str:
    """``6.3 MB`` (decimal units, as pip and npm print sizes)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # not reached


def interactive(stream: IO[str]) -> bool:
    """Whether to draw a live bar on ``stream`` (a TTY that is not a dumb terminal)."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


@contextmanager
def task(
    doing: str, done: str, what: str, total: int | None = None, stream: IO[str] | None = None
) -> Iterator[Advance]:
    """Report one download or unpacking (``doing``/``done``: "downloading"/"downloaded");
    yields ``advance(bytes)``. ``total`` is the expected byte count if known, else the bar
    is a spinner counting bytes."""
    stream = stream or sys.stderr
    started = time.monotonic()
    count = 0
    if not interactive(stream):

        def add(n: int) -> None:
            nonlocal count
            count += n

        yield add
        size = f"{human_size(count)} in " if count else ""
        print(f"harness: {done} {what} ({size}{time.monotonic() - started:.1f} s)", file=stream, flush=True)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    columns = (
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=stream)) as bar:
        job = bar.add_task(f"{doing} {what}", total=total)
        try:
            yield lambda n: bar.advance(job, n)
        except BaseException:
            bar.live.transient = True  # the error's one line says what happened; no bar stays
            raise
        bar.update(job, description=f"{done} {what}", total=bar.tasks[0].completed)


class CountingReader:
    """A binary file wrapper that reports every chunk read (unpacking progress)."""

    def __init__(self, raw: IO[bytes], advance: Advance) -> None:
        self.raw = raw
        self.advance = advance

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.advance(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


_UNITS = {"B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3}


def parse_size(number: str, unit: str) -> int:
    """``("1.2", "MB")`` as bytes (pip prints decimal units)."""
    return int(float(number) * _UNITS.get(unit, 1))


class Downloads:
    """What ``downloads`` yields: call it as each file starts downloading; ``discard()`` when
    the attempt was thrown away (a resolution round that is retried)."""

    def __init__(self, advance: Advance | None = None) -> None:
        self.fetched: list[str] = []
        self.discarded = False
        self._advance = advance

    def __call__(self, name: str, size: int) -> None:
        self.fetched.append(f"harness: downloaded {name} ({human_size(size)})")
        if self._advance is not None:
            self._advance(size)

    def discard(self) -> None:
        self.discarded = True


@contextmanager
def downloads(what: str, stream: IO[str] | None = None) -> Iterator[Downloads]:
    """Files another tool (pip) downloads for ``what``. On a terminal, a bar counting the
    bytes announced so far; elsewhere a plain line per file, written once the body
    succeeded (a failed resolution ends in one error line, not in a list of what it
    fetched on the way)."""
    stream = stream or sys.stderr
    if not interactive(stream):
        announced = Downloads()
        yield announced
        if announced.fetched and not announced.discarded:
            print("\n".join(announced.fetched), file=stream, flush=True)
        return
    with task("fetching", "fetched", what, stream=stream) as advance:
        yield Downloads(advance)
