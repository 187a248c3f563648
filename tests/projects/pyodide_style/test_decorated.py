"""A suite in pytest-pyodide's style; the harness runs it unmodified.

Each test's expected outcome per runtime is in tests/test_pytest_pyodide.py.
"""

import asyncio

import pytest
from pytest_pyodide import run_in_pyodide
from pytest_pyodide.decorator import PyodideHandle, copy_files_to_pyodide


@run_in_pyodide
def test_body_runs_inside(selenium):
    import sys

    assert sys.platform == "emscripten"


@run_in_pyodide(packages=["tenacity"])
def test_packages_are_installed(selenium):
    import tenacity

    attempts = []

    @tenacity.retry(stop=tenacity.stop_after_attempt(3))
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise ValueError("again")
        return "done"

    assert flaky() == "done"
    assert len(attempts) == 3


@pytest.mark.parametrize("x, y", [(1, 2), (5, 6)])
@run_in_pyodide
def test_parametrized(selenium, x, y):
    assert y == x + 1


@run_in_pyodide
def test_fixtures_pass_through(selenium, payload, tenacity_built):
    assert payload["numbers"] == [1, 2, 3]
    assert tenacity_built is True


@run_in_pyodide
async def test_async_body(selenium):
    async def double(n):
        await asyncio.sleep(0.01)
        return 2 * n

    assert await asyncio.gather(double(1), double(2)) == [2, 4]


@run_in_pyodide
async def test_async_awaits_javascript(selenium):
    from js import Promise

    assert await Promise.resolve(42) == 42


@run_in_pyodide
def test_skip_inside(selenium):
    pytest.skip("skipped from the body")


@pytest.mark.xfail(reason="fails on purpose", strict=True)
@run_in_pyodide
def test_xfail(selenium):
    assert False


@run_in_pyodide
def test_fails(selenium):
    assert 1 + 1 == 3


@pytest.mark.xfail_browsers(node="not on node", chrome="not on chrome", firefox="not on firefox")
@run_in_pyodide
def test_xfail_browsers_here(selenium):
    raise AssertionError("never runs: xfail_browsers names this runtime")


@pytest.mark.xfail_browsers(safari="not on safari")
@run_in_pyodide
def test_xfail_browsers_elsewhere(selenium):
    assert True


@pytest.mark.driver_timeout(45)
def test_driver_timeout_is_the_timeout(request):
    assert request.node.get_closest_marker("timeout").args == (45,)


@pytest.mark.skip_refcount_check
@pytest.mark.skip_pyproxy_check
@pytest.mark.requires_dynamic_linking
@run_in_pyodide
def test_noop_markers(selenium):
    assert True


def test_run(selenium):
    selenium.run("answer = 40")
    assert selenium.run("answer + 2") == 42
    with pytest.raises(selenium.JavascriptException, match="ZeroDivisionError"):
        selenium.run("1 / 0")


def test_run_js(selenium):
    assert selenium.run_js("return 6 * 7") == 42
    assert selenium.run_js("return [1, 'two', {three: 3}]") == [1, "two", {"three": 3}]
    selenium.run_js("assert(() => pyodide.runPython('1 + 1') === 2)")
    with pytest.raises(selenium.JavascriptException, match="TypeError"):
        selenium.run_js("null.property")


def test_run_js_awaits(selenium):
    assert selenium.run_js("await sleep(5); return 'slept'") == "slept"


def test_logs(selenium):
    selenium.run("print('hello from python')")
    selenium.run_js("console.log('hello from javascript')")
    assert "hello from python" in selenium.logs
    assert "hello from javascript" in selenium.logs
    selenium.clean_logs()
    assert selenium.logs == ""


def test_load_package(selenium_standalone):
    selenium_standalone.load_package("tenacity")
    selenium_standalone.load_package(["tenacity", "pytest"])
    missing = "no-such-" + "package"
    with pytest.raises(selenium_standalone.JavascriptException, match="--with no-such-package"):
        selenium_standalone.load_package(missing)


def test_browser_and_runtime(selenium, runtime):
    assert selenium.browser == runtime == selenium.runtime
    assert runtime in ("node", "chrome", "firefox")


@run_in_pyodide
def _mutate(selenium, d):
    d["a"] = -1
    return d


@run_in_pyodide
def _handle(selenium):
    return PyodideHandle({"a": 2})


@run_in_pyodide
def _get(selenium, h, key):
    return h[key]


def test_arguments_are_copies_and_handles_are_not(selenium):
    d = {"a": 9, "b": 7}
    assert _mutate(selenium, d) == {"a": -1, "b": 7}
    assert d == {"a": 9, "b": 7}
    handle = _handle(selenium)
    assert _get(selenium, handle, "a") == 2


def test_module_scope_is_shared(selenium_module_scope, selenium_esm):
    assert selenium_module_scope.browser == selenium_esm.browser


def test_webworker(selenium_webworker_standalone):
    assert selenium_webworker_standalone.run("1 + 1") == 2


@copy_files_to_pyodide(file_list=[("data", "copied")])
@run_in_pyodide
def test_copy_files(selenium):
    from pathlib import Path

    assert Path("copied/hello.txt").read_text() == "hello\n"


@run_in_pyodide
def test_body_writes_in_home(selenium):
    import os
    from pathlib import Path

    Path("written_by_body.txt").write_text("stays in Pyodide's memory")
    assert os.getcwd() == "/home/pyodide"
