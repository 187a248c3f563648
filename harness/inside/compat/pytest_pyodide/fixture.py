"""pytest-pyodide's fixtures, for tests that run inside the harness's runtime.

Each depends on ``runtime`` (so node ids carry ``[node]``/``[chrome]``/``[firefox]`` as
with pytest-pyodide) and gives a ``PyodideRunner`` acting on the runtime itself. Scopes are
pytest-pyodide's: ``selenium`` is the module's runner with its logs cleaned per test,
``selenium_standalone`` a new runner per test. None of them starts a browser: the tests
already run in one (or in Node).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from . import _state
from .runner import PyodideRunner


@pytest.fixture(scope="module")
def runtime() -> str:
    """pytest-pyodide's name of the current runtime. ``hook.pytest_generate_tests``
    parametrizes it directly, which puts the name in node ids as pytest-pyodide does."""
    return _state.browser()


@pytest.fixture(scope="module")
def selenium_module_scope(runtime: str) -> PyodideRunner:
    return PyodideRunner()


@contextlib.contextmanager
def selenium_context_manager(selenium_module_scope: PyodideRunner) -> Iterator[PyodideRunner]:
    """The module's runner with fresh logs (for hypothesis tests, which avoid function-scoped
    fixtures)."""
    selenium_module_scope.clean_logs()
    yield selenium_module_scope


@pytest.fixture
def selenium(selenium_module_scope: PyodideRunner) -> Iterator[PyodideRunner]:
    with selenium_context_manager(selenium_module_scope) as runner:
        yield runner


@pytest.fixture
def selenium_standalone(runtime: str) -> PyodideRunner:
    return PyodideRunner()


@pytest.fixture(scope="module")
def selenium_esm(runtime: str) -> PyodideRunner:
    return PyodideRunner(script_type="module")


@pytest.fixture
def selenium_webworker_standalone(runtime: str) -> PyodideRunner:
    if runtime == "node":
        pytest.skip("no support in node")
    if not _state.in_worker():
        pytest.skip(
            f"a web-worker test: Python runs on the page with --runtime {_state.harness_runtime()}; "
            "run it with --runtime chromium-worker or firefox-worker"
        )
    return PyodideRunner(script_type="module")


@pytest.fixture
def selenium_standalone_noload(runtime: str) -> Any:
    pytest.skip("selenium_standalone_noload needs a page without Pyodide; this test runs inside Pyodide")


@pytest.fixture(scope="session")
def web_server_main() -> Any:
    pytest.skip("web_server_main: a test running inside Pyodide cannot start a web server")


@pytest.fixture(scope="session")
def web_server_secondary() -> Any:
    pytest.skip("web_server_secondary: a test running inside Pyodide cannot start a web server")


@pytest.fixture(scope="module")
def playwright_browsers() -> dict[str, Any]:
    return {}
