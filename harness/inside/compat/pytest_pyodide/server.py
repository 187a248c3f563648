"""pytest-pyodide's test web server: not available inside the runtime."""

from __future__ import annotations

from typing import Any

import pytest


def spawn_web_server(*args: Any, **kwargs: Any) -> Any:
    """pytest-pyodide starts an HTTP server on the host for the browser to fetch from; a test
    running inside Pyodide cannot start one (no sockets), so the test is skipped."""
    pytest.skip("spawn_web_server: a test running inside Pyodide cannot start a web server")
