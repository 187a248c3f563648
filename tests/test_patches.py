"""wasm_patches through the harness: probes per version, fixes where needed, native results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_project, junit_outcomes, run_harness, run_native

INSIDE = Path(__file__).parent / "inside"
FIXED_RUNTIMES = ("0.29.5", "314.0.7")  # Emscripten 4+: only utime(fd) is still broken
BROKEN_RUNTIMES = ("0.26.4", "0.27.4", "0.27.7")  # Emscripten 3.1.58: fstat by path


@pytest.mark.parametrize("pyodide", ["0.27.4", "314.0.7"])
def test_patch_unit_tests_pass_inside_the_runtime(pyodide: str) -> None:
    """tests/inside exercises each edge case of the fd patch, inside a real runtime."""
    ran = run_harness(INSIDE, "-p", "no:cacheprovider", "-rs", pyodide=pyodide)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary.startswith("45 passed"), ran.stdout


@pytest.mark.parametrize("pyodide", BROKEN_RUNTIMES + FIXED_RUNTIMES)
def test_default_capture_matches_native_on_every_version(tmp_path: Path, pyodide: str) -> None:
    native_dir = copy_project("capture", tmp_path / "n")
    harness_dir = copy_project("capture", tmp_path / "h")
    native = run_native(native_dir, "--junitxml=out.xml")
    ran = run_harness(harness_dir, "--junitxml=out.xml", pyodide=pyodide)
    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "1 failed, 3 passed"
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    assert "Captured stdout call" in ran.stdout and "visible stdout line" in ran.stdout
    assert "Captured stderr call" in ran.stdout and "visible stderr line" in ran.stdout
    expected = "fd-without-path (fstat, stat_fd," if pyodide in BROKEN_RUNTIMES else "fd-without-path (utime_fd)"
    assert f"harness: patches: {expected}" in ran.stdout


def test_without_patches_the_capture_crash_comes_back(tmp_path: Path) -> None:
    """--no-patches on 0.27.4 reproduces pytest 9.2's Errno 44 at capture: the patch is what fixes it."""
    project = copy_project("capture", tmp_path)
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--pyodide",
        "0.27.4",
        "--no-patches",
        "--with",
        "pytest==9.2.0",  # the release whose capture fstat()s the unlinked file
        "--",
        "-p",
        "no:cacheprovider",
    ]
    ran = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)
    output = ran.stdout + ran.stderr
    # The runtime dies inside pytest's capture before any test reports: a failed run (1)
    # that names the crash and its errno, not a pass and not a hang.
    assert ran.returncode == 1, output
    assert "runtime exited unexpectedly" in output
    assert "[Errno 44] No such file or directory" in output
    assert "patches: disabled (--no-patches); defects present: fd-without-path (fstat" in output


def test_probe_table() -> None:
    command = [sys.executable, "-m", "harness.cli", "probe", "--pyodide", "0.27.4,314.0.7"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr
    rows = {
        line.split("  ")[0]: line.split()[2:] for line in ran.stdout.splitlines() if line.startswith("fd-without-path:")
    }
    assert rows["fd-without-path: fstat"] == ["present,", "patched", "absent"]
    assert rows["fd-without-path: utime_fd"] == ["present,", "patched", "present,", "patched"]
    assert rows["fd-without-path: pipe_fstat"] == ["present,", "patched", "absent"]
