"""coverage.py imports ``sqlite3`` when it is imported; Pyodide <= 0.29 npm packages lack it.

Up to 0.29.x, ``sqlite3`` is a separate Pyodide package: it is not in the npm tarball and
its CDN cannot be assumed reachable, so ``import coverage`` ends in ``ModuleNotFoundError``
and ``harness run --cov`` could not measure anything. coverage.py only needs SQLite for its
data files, and inside the runtime the harness never lets it write one: measured lines are
streamed to the host, which writes the data file with coverage's own ``CoverageData``.

The fix is scoped to that one import: ``importable()`` puts a placeholder ``sqlite3`` in
``sys.modules`` while coverage is imported and takes it out again, so the project's own
``import sqlite3`` fails exactly as it does without the harness (a test that skips without
sqlite3 still skips). Any use of the placeholder raises an error that says why.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Iterator

NAME = "sqlite3-for-coverage"

_active = False

MESSAGE = (
    "sqlite3 is not part of this Pyodide distribution; the harness streams coverage data "
    "to the host instead of writing a data file in the runtime"
)


class _Placeholder(types.ModuleType):
    """Satisfies ``import sqlite3``; any real use fails with ``MESSAGE``."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ModuleNotFoundError(MESSAGE, name="sqlite3")


def _missing() -> bool:
    """Whether sqlite3 or its extension module is absent (found without importing them)."""
    return any(importlib.util.find_spec(name) is None for name in ("sqlite3", "_sqlite3"))


def probe(**_: object) -> dict[str, bool]:
    """True if coverage.py's ``import sqlite3`` would fail here."""
    return {"coverage_imports_sqlite3": _missing()}


def apply(defects: dict[str, bool], **_: object) -> None:
    global _active
    _active = bool(defects.get("coverage_imports_sqlite3"))


def verify(**_: object) -> dict[str, bool]:
    """Import sqlite3 the way coverage will (inside ``importable``), then check that the
    project still sees no sqlite3 afterwards."""
    with importable():
        try:
            import sqlite3  # noqa: F401
        except ImportError:
            return {"coverage_imports_sqlite3": True}
    return {"coverage_imports_sqlite3": "sqlite3" in sys.modules}


@contextlib.contextmanager
def importable() -> Iterator[None]:
    """``import sqlite3`` succeeds inside this block (only where the patch is applied)."""
    if not _active or "sqlite3" in sys.modules:
        yield
        return
    placeholder = _Placeholder("sqlite3", MESSAGE)
    sys.modules["sqlite3"] = placeholder
    try:
        yield
    finally:
        if sys.modules.get("sqlite3") is placeholder:
            del sys.modules["sqlite3"]
