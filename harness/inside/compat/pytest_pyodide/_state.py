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

_run: dict[str, str] = {"runtime": "node", "home": "/home/pyodide"}


def configure(runtime: str, mounts: list[str]) -> None:
    """Called once per runtime, before any session, with the harness's runtime name and the
    host directories it mounts."""
    _run["runtime"] = runtime
    # pytest-pyodide runs code in a browser whose working directory is Pyodide's home, in
    # memory: bodies write files there freely. Here the working directory is the project
    # (on Node, the host's own files), so bodies run in Pyodide's home instead, unless the
    # host happens to mount something there.
    home = "/home/pyodide"
    if any(home == m or home.startswith(m.rstrip("/") + "/") or m.startswith(home + "/") for m in mounts):
        home = "/pytest-pyodide-home"
    _run["home"] = home


def home() -> str:
    """Where code "in Pyodide" runs: a directory in memory, never a host mount."""
    return _run["home"]


def harness_runtime() -> str:
    return _run["runtime"]


def browser() -> str:
    """pytest-pyodide's name for the runtime the tests run in."""
    return BROWSERS.get(_run["runtime"], _run["runtime"])


def in_worker() -> bool:
    return _run["runtime"].endswith("-worker")
