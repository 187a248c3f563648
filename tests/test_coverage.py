"""``--cov``: coverage measured inside the runtime equals native coverage, survives crashes
and interrupts, and works on Pyodide versions without sqlite3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import coverage
import pytest
from helpers import copy_project, run_harness

SHAPES = "covpkg/shapes.py"
# shapes.py lines that run only in one lifecycle test (see tests/test_zz_lifecycle.py)
CRASHING_TEST_LINE, AFTER_RESTART_LINE, BEFORE_INTERRUPT_LINE = 25, 29, 33
# 314.0.7 ships sqlite3; 0.29.5 (Python 3.13) and 0.27.4 (3.12, no sys.monitoring
# default: coverage's Python tracer, plus the fd patches) do not.
VERSIONS = {"314.0.7": "yes", "0.29.5": "no", "0.27.4": "no"}
REPORT = ("--cov", "--cov-branch", "--cov-report=term-missing")


def measured(project: Path) -> dict[str, list[int]]:
    """{path relative to the project: executed lines} from the project's .coverage file.

    Raw arcs are not compared: how they are recorded depends on coverage's core (C tracer,
    Python tracer, sys.monitoring) and the Python version; the branch columns of the report
    are what must agree.
    """
    data = coverage.CoverageData(basename=str(project / ".coverage"))
    data.read()
    return {str(Path(f).relative_to(project)): sorted(data.lines(f) or []) for f in data.measured_files()}


def report_table(output: str) -> list[str]:
    """The coverage table from a terminal output (header line to TOTAL)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
    end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    return lines[start : end + 1]


def native_coverage(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "-m", "pytest", "-p", "no:randomly", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("pyodide", list(VERSIONS))
def test_coverage_equals_native(tmp_path: Path, pyodide: str) -> None:
    native_dir = copy_project("coverage", tmp_path / "n")
    harness_dir = copy_project("coverage", tmp_path / "h")
    native = native_coverage(native_dir, "-q", "-k", "not zz")
    assert native.returncode == 0, native.stdout + native.stderr
    native_report = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "-m"],
        cwd=native_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    ran = run_harness(
        harness_dir,
        "-k",
        "not zz",
        pyodide=pyodide,
        harness_args=REPORT,
        env={"EXPECT_SQLITE3": VERSIONS[pyodide]},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary == "4 passed, 4 deselected"
    # Same lines per file (never.py, never imported, is found through the
    # runtime reading .coveragerc's source), and the same report.
    assert measured(harness_dir) == measured(native_dir)
    assert "covpkg/never.py" in measured(harness_dir)
    assert report_table(ran.stdout) == report_table(native_report)
    assert f"coverage: measured inside Pyodide {pyodide}" in ran.stdout
    assert ("sqlite3-for-coverage (coverage_imports_sqlite3)" in ran.stdout) == (VERSIONS[pyodide] == "no")
    assert "Traceback" not in ran.stderr and "CoverageWarning" not in ran.stderr


def test_coverage_survives_a_runtime_crash(tmp_path: Path) -> None:
    """What finished before the crash and what ran after the restart are both kept; only
    the crashing test's own lines are lost with the runtime."""
    project = copy_project("coverage", tmp_path)
    ran = run_harness(project, "-k", "square or crash", harness_args=("--cov",))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 2 passed, 5 deselected"
    assert "restarting the runtime" in ran.stdout
    lines = measured(project)[SHAPES]
    assert AFTER_RESTART_LINE in lines and 9 in lines  # test_square's line ran in the first runtime
    assert CRASHING_TEST_LINE not in lines


def test_coverage_kept_when_the_run_is_interrupted(tmp_path: Path) -> None:
    project = copy_project("coverage", tmp_path)
    command = [sys.executable, "-m", "harness.cli", "run", "--cov", "--", "-q", "-k", "interrupt"]
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 300
    while not (project / "waiting").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 2, output
    assert "coverage: measured inside" in output and "KeyboardInterrupt" in output
    assert BEFORE_INTERRUPT_LINE in measured(project)[SHAPES]


def test_file_reports_and_fail_under(tmp_path: Path) -> None:
    project = copy_project("coverage", tmp_path)
    ran = run_harness(
        project,
        "-k",
        "square",
        harness_args=(
            "--cov=covpkg",
            "--cov-report=xml:cov.xml",
            "--cov-report=json:cov.json",
            "--cov-report=html:cov_html",
            "--cov-fail-under=90",
        ),
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr  # the test passed; coverage is too low
    assert ran.summary == "1 passed, 7 deselected"
    percent = json.loads((project / "cov.json").read_text())["totals"]["percent_covered"]
    assert f"FAIL Required test coverage of 90% not reached. Total coverage: {percent:.2f}%" in ran.stdout
    assert float(ET.parse(project / "cov.xml").getroot().get("line-rate", "")) == pytest.approx(percent / 100, abs=0.01)
    assert (project / "cov_html" / "index.html").is_file()
    assert "Name " not in ran.stdout  # file reports only: no terminal table
    for kind in ("XML", "JSON", "HTML"):
        assert f"Coverage {kind} written to" in ran.stdout


@pytest.mark.parametrize(
    ("harness_args", "pyodide", "message"),
    [
        (("--cov", "--cov-report=pdf"), "314.0.7", "unknown --cov-report 'pdf'"),
        (("--cov", "--no-patches"), "0.29.5", "coverage.py needs sqlite3, which this Pyodide distribution"),
        (("--cov", "--cov-config=missing.ini"), "314.0.7", "coverage configuration: Couldn't read 'missing.ini'"),
    ],
)
def test_bad_coverage_input_is_one_line(
    tmp_path: Path, harness_args: tuple[str, ...], pyodide: str, message: str
) -> None:
    project = copy_project("coverage", tmp_path)
    ran = run_harness(project, "-q", pyodide=pyodide, harness_args=harness_args)
    assert ran.returncode == 4, ran.stdout + ran.stderr
    assert message in ran.stdout + ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("argv", "cov", "pytest_args"),
    [
        (["--cov"], [True], []),
        (["--cov", "covpkg", "tests"], ["covpkg"], ["tests"]),
        (["--cov=covpkg", "--cov", "-k", "x"], ["covpkg", True], ["-k", "x"]),
        (["--cov-branch", "--cov-report", "xml:o.xml"], None, []),
    ],
)
def test_cov_options_are_split_like_pytest_cov(
    argv: list[str], cov: list[object] | None, pytest_args: list[str]
) -> None:
    """``--cov`` takes a value only when one follows (argparse's nargs="?", as pytest-cov)."""
    from harness.options import scan

    values, got_pytest = scan(argv)
    assert values.get("cov") == cov
    assert got_pytest == pytest_args
