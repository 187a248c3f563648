"""pytest-pyodide's helpers for markers and packages, as conftests call them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .runner import installed


def parse_driver_timeout(node: Any) -> float | None:
    """The ``driver_timeout`` marker's value (seconds), or None."""
    mark = node.get_closest_marker("driver_timeout")
    return mark.args[0] if mark is not None and mark.args else None


def parse_xfail_browsers(node: Any) -> dict[str, str]:
    """``xfail_browsers(chrome="why", ...)`` as {browser: reason}."""
    mark = node.get_closest_marker("xfail_browsers")
    return dict(mark.kwargs) if mark is not None else {}


@contextlib.contextmanager
def set_webdriver_script_timeout(selenium: Any, script_timeout: float | None) -> Iterator[None]:
    """Kept for conftests; the harness enforces ``driver_timeout`` as the test's timeout."""
    if script_timeout is None:
        yield
        return
    previous = selenium.script_timeout
    selenium.set_script_timeout(script_timeout)
    try:
        yield
    finally:
        selenium.set_script_timeout(previous)


def package_is_built(package_name: str, dist_dir: Path | str | None = None) -> bool:
    """pytest-pyodide asks the distribution's lock; under the harness a package is "built"
    when it is installed in the runtime (``dist_dir`` is not consulted)."""
    return installed(package_name)
