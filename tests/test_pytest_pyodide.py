"""Suites written for pytest-pyodide, run unmodified through the harness (Node and Chromium).

``projects/pyodide_style`` exercises the API (decorated sync and async tests, parametrize,
fixtures passed to decorated tests, every marker, ``selenium.run``/``run_js``/
``load_package``/``logs``, handles, copied arguments, ``copy_files_to_pyodide``); each test
states its own expected outcome below, and the run must give exactly those, per test.
``projects/pyodide_recipes`` holds Pyodide's own package tests (idna, certifi),
unmodified.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import Result, copy_project, junit_outcomes, need, run_harness

PASSED = "passed"
SKIPPED = "skipped"  # JUnit reports xfails as skipped too; the summary line tells them apart
FAILED = "failure"

EXPECTED = {
    "test_body_runs_inside[{rt}]": PASSED,
    "test_packages_are_installed[{rt}]": PASSED,
    "test_parametrized[{rt}-1-2]": PASSED,
    "test_parametrized[{rt}-5-6]": PASSED,
    "test_fixtures_pass_through[{rt}]": PASSED,
    "test_async_body[{rt}]": PASSED,
    "test_async_awaits_javascript[{rt}]": PASSED,  # JSPI: Chromium, Node 20 with its V8 flag
    "test_skip_inside[{rt}]": SKIPPED,
    "test_xfail[{rt}]": SKIPPED,
    "test_fails[{rt}]": FAILED,
    "test_xfail_browsers_here[{rt}]": SKIPPED,
    "test_xfail_browsers_elsewhere[{rt}]": PASSED,
    "test_driver_timeout_is_the_timeout": PASSED,
    "test_noop_markers[{rt}]": PASSED,
    "test_run[{rt}]": PASSED,
    "test_run_js[{rt}]": PASSED,
    "test_run_js_awaits[{rt}]": PASSED,
    "test_logs[{rt}]": PASSED,
    "test_load_package[{rt}]": PASSED,
    "test_browser_and_runtime[{rt}]": PASSED,
    "test_arguments_are_copies_and_handles_are_not[{rt}]": PASSED,
    "test_module_scope_is_shared[{rt}]": PASSED,
    "test_webworker[{rt}]": SKIPPED,
    "test_copy_files[{rt}]": PASSED,
    "test_body_writes_in_home[{rt}]": PASSED,
}
SUMMARY = "1 failed, 20 passed, 2 skipped, 2 xfailed"


def check_style_suite(result: Result, project: Path, browser: str) -> None:
    """Every test's outcome as it states, the summary, the header, the project untouched."""
    assert result.returncode == 1, result.stdout + result.stderr
    outcomes = junit_outcomes(project / "out.xml")
    expected = {f"test_decorated::{name.format(rt=browser)}": outcome for name, outcome in EXPECTED.items()}
    assert outcomes == expected
    assert result.summary == SUMMARY
    assert "harness: installed for the tests' packages=/load_package: tenacity" in result.stdout
    assert f"pytest-pyodide's --runtime {browser} only selects host/browser tests" in result.stdout
    assert f"pytest {pytest.__version__} inside" in result.stdout  # load_package(["pytest"]) pins nothing
    assert f"XFAIL test_decorated.py::test_xfail_browsers_here[{browser}] - not on {browser}" in result.stdout
    assert "no JSPI" not in result.stdout
    assert not (project / "written_by_body.txt").exists()


def test_pytest_pyodide_style_suite_on_node(tmp_path: Path) -> None:
    project = copy_project("pyodide_style", tmp_path)
    result = run_harness(project, "-rA", "--junitxml=out.xml", "--runtime=node", "--run-in-pyodide")
    check_style_suite(result, project, "node")
    assert "pytest-pyodide's --run-in-pyodide: every test runs inside Pyodide" in result.stdout


@pytest.mark.browser
def test_pytest_pyodide_style_suite_on_chromium(tmp_path: Path) -> None:
    need("chromium")
    project = copy_project("pyodide_style", tmp_path)
    result = run_harness(project, "-rA", "--junitxml=out.xml", "--rt", "chrome", runtime="chromium")
    check_style_suite(result, project, "chrome")


def test_pyodide_recipe_tests(tmp_path: Path) -> None:
    """Pyodide's own tests for idna and certifi, as written for pytest-pyodide."""
    project = copy_project("pyodide_recipes", tmp_path)
    result = run_harness(project, "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.summary == "2 passed"
    assert "harness: installed for the tests' packages=/load_package: certifi, idna" in result.stdout
    for nodeid in (
        "packages/certifi/test_certifi.py::test_certifi[node]",
        "packages/idna/test_idna.py::test_idna[node]",
    ):
        assert f"PASSED {nodeid}" in result.stdout


def test_unresolvable_package_names_its_test(tmp_path: Path) -> None:
    """A ``packages=`` name with no wheel stops the run before boot, naming where it was asked for."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_x.py").write_text(
        "from pytest_pyodide import run_in_pyodide\n\n\n"
        "@run_in_pyodide(packages=['harness-no-such-package-xyz'])\n"
        "def test_x(selenium):\n    pass\n"
    )
    result = run_harness(tmp_path, "-q")
    assert result.returncode == 4
    assert "harness-no-such-package-xyz" in result.stderr + result.stdout
    assert "asked for by the tests: harness-no-such-package-xyz (" in result.stderr + result.stdout
    assert "test_x.py:4" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_without_jspi_awaiting_javascript_is_a_clear_skip(tmp_path: Path) -> None:
    """A Node without JSPI (one that refuses the flags, as before Node 20): the two tests that
    await JavaScript are skipped saying why; everything else is as with JSPI."""
    node = tmp_path / "node-without-jspi"
    real = shutil.which("node")
    node.write_text(f'#!/bin/sh\ncase "$1" in --experimental-wasm-*) exit 9;; esac\nexec {real} "$@"\n')
    node.chmod(0o755)
    project = copy_project("pyodide_style", tmp_path)
    result = run_harness(project, "-rs", "--junitxml=out.xml", env={"HARNESS_NODE": str(node)})
    outcomes = junit_outcomes(project / "out.xml")
    expected = {f"test_decorated::{name.format(rt='node')}": outcome for name, outcome in EXPECTED.items()}
    for name in ("test_async_awaits_javascript[node]", "test_run_js_awaits[node]"):
        expected[f"test_decorated::{name}"] = SKIPPED
    assert outcomes == expected
    assert result.summary == "1 failed, 18 passed, 4 skipped, 2 xfailed"
    reason = "it has no JSPI (WebAssembly stack switching). Run it with --runtime chromium"
    assert result.stdout.count(reason) == 2
    assert "SKIPPED [1] test_decorated.py:58: this test awaits JavaScript" in result.stdout  # the test's own line
