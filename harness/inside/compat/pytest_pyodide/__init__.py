"""The harness's stand-in for ``pytest_pyodide``, importable inside the runtime.

Suites written for pytest-pyodide import it (``from pytest_pyodide import run_in_pyodide``)
and use its fixtures and markers. Under the harness the tests already run inside Pyodide,
so this package gives the same names their direct meaning: decorated bodies run here, the
``selenium*`` fixtures act on this runtime. Written from pytest-pyodide's documented
behaviour; see docs/pytest-pyodide.md for what differs. Standard library and pytest only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import get_global_config
from .decorator import PyodideHandle, copy_files_to_pyodide, run_in_pyodide
from .runner import (
    JavascriptException,
    NodeRunner,
    PlaywrightChromeRunner,
    PlaywrightFirefoxRunner,
    PyodideRunner,
    SeleniumChromeRunner,
    SeleniumFirefoxRunner,
    SeleniumSafariRunner,
)
from .server import spawn_web_server
from .utils import parse_driver_timeout, set_webdriver_script_timeout

if TYPE_CHECKING:  # imported by the tests that use it (it needs hypothesis); type-checked here
    from . import hypothesis as hypothesis

# The pytest-pyodide release whose documented API this package follows.
__version__ = "0.59.2"

# The plugin modules the harness's runtime registers for every session.
PLUGINS = ("pytest_pyodide.hook", "pytest_pyodide.fixture")

__all__ = [
    "JavascriptException",
    "NodeRunner",
    "PlaywrightChromeRunner",
    "PlaywrightFirefoxRunner",
    "PyodideHandle",
    "PyodideRunner",
    "SeleniumChromeRunner",
    "SeleniumFirefoxRunner",
    "SeleniumSafariRunner",
    "copy_files_to_pyodide",
    "get_global_config",
    "parse_driver_timeout",
    "run_in_pyodide",
    "set_webdriver_script_timeout",
    "spawn_web_server",
]
