"""What one failed or erroring test report says, reduced to what CI surfaces show.

Reports here are the host's replayed ``TestReport``s: the traceback entries keep the paths
the runtime printed, which are the host's (the project is mounted at the same absolute
path), relative to the invocation directory. The line an annotation points at is the
failing assertion's: the deepest traceback entry in the test's own file, else the line the
exception was raised at, else the test function's ``def`` line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIMITATION_SECTION = "WebAssembly limitation"  # added by harness.host.replay


@dataclass(frozen=True)
class Failure:
    nodeid: str
    when: str  # setup, call, teardown
    path: str  # relative to the base directory given (the repository on GitHub), POSIX
    line: int | None  # 1-based
    message: str  # one line or a few: the exception message pytest's JUnit XML uses too
    hint: str | None  # a WebAssembly limitation's hint
    crash: str | None  # "crash" or "timeout" when the runtime died or was stopped

    @property
    def kind(self) -> str:
        """``failed`` for a failing test body, ``error`` for a failing fixture (pytest's words)."""
        return "failed" if self.when == "call" else "error"


def message(report: Any) -> str:
    """The failure's message as pytest's JUnit XML states it (``reprcrash.message``)."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    return str(longrepr)


def limitation_hint(report: Any) -> str | None:
    return next((text for title, text in report.sections if title == LIMITATION_SECTION), None)


def _entries(longrepr: Any) -> list[Any]:
    chain = getattr(longrepr, "chain", None)
    if chain:
        return list(chain[-1][0].reprentries)  # the exception that ended the test
    tb = getattr(longrepr, "reprtraceback", None)
    return list(tb.reprentries) if tb is not None else []


def _inside(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None


def locate(report: Any, rootdir: Path, invocation_dir: Path, base: Path) -> tuple[str, int | None]:
    """(path relative to ``base``, 1-based line) for the annotation of a failed ``report``."""
    test_file = Path(os.path.normpath(rootdir / report.location[0]))
    for entry in reversed(_entries(report.longrepr)):
        where = getattr(entry, "reprfileloc", None)
        if where is not None and Path(os.path.normpath(invocation_dir / where.path)) == test_file:
            relative = _inside(test_file, base)
            if relative is not None:
                return relative, int(where.lineno)
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        relative = _inside(Path(os.path.normpath(invocation_dir / crash.path)), base)
        if relative is not None:
            return relative, int(crash.lineno)
    line = report.location[1]
    relative = _inside(test_file, base)
    return relative if relative is not None else report.location[0], (line + 1 if line is not None else None)


def describe(report: Any, rootdir: Path, invocation_dir: Path, base: Path) -> Failure:
    path, line = locate(report, rootdir, invocation_dir, base)
    hint = limitation_hint(report)
    text = message(report)
    if hint:  # the replay appended the hint to the message; a Failure carries it apart
        note = f"[{LIMITATION_SECTION}: {hint}]"
        text = text.removesuffix(f" {note}").removesuffix(f"\n{note}")
    return Failure(
        nodeid=report.nodeid,
        when=report.when,
        path=path,
        line=line,
        message=text,
        hint=hint,
        crash=getattr(report, "harness_crash", None),
    )
