"""What the harness tells this package about the run (set by ``harness.inside.runner``).

Outside the harness's runtime (on the host, where conftests import this package too)
nothing is set and the defaults apply.
"""

from __future__ import annotations

# The harness's runtime names -> pytest-pyodide's (what ``selenium.browser``,
# ``xfail_browsers`` and the ``runtime`` parameter in node ids use).
BROWSERS = {
    "node": "node",
    "chromium": "chrome",
    "chromium-worker": "chrome",
    "firefox": "firefox",
    "firefox-worker": "firefox",
    "webkit": "safari",
}

_run: dict[str, str] = {"runtime": "node"}


def configure(runtime: str) -> None:
    """Called once per runtime, before any session, with the harness's runtime name."""
    _run["runtime"] = runtime


def harness_runtime() -> str:
    return _run["runtime"]


def browser() -> str:
    """pytest-pyodide's name for the runtime the tests run in."""
    return BROWSERS.get(_run["runtime"], _run["runtime"])


def in_worker() -> bool:
    return _run["runtime"].endswith("-worker")
