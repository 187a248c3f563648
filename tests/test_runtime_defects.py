"""Runtime defects beyond fstat (wasm_patches: umask, create race, faulthandler, sockets), checked through real runs."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import copy_project, run_harness, run_native


def _modes(project: Path) -> dict[str, str]:
    names = ["made_by_test.txt", "made_dir", "made_dir/inner.txt", ".pytest_cache", ".pytest_cache/v/cache/lastfailed"]
    return {name: stat.filemode((project / name).stat().st_mode) for name in names}


@pytest.mark.parametrize("pyodide", ["0.27.4", "314.0.7"])
def test_files_created_by_tests_get_native_modes(tmp_path: Path, pyodide: str) -> None:
    """Pyodide <= 0.27 starts with umask 0o777 (mode-000 files on the user's disk); the
    runtime gets the host's umask, so modes equal native pytest's and the cache works."""
    native_dir = copy_project("umask", tmp_path / "n")
    harness_dir = copy_project("umask", tmp_path / "h")
    run_native(native_dir)
    ran = run_harness(harness_dir, pyodide=pyodide)
    assert ran.summary == "1 failed, 1 passed", ran.stdout
    assert _modes(harness_dir) == _modes(native_dir)
    assert "PytestCacheWarning" not in ran.stdout
    assert list(harness_dir.glob("**/pytest-cache-files-*")) == []


def test_two_runtimes_creating_the_same_files_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two runs append a line each to the same 1,500 new files at the same moment (each waits
    for the other's ready file): unpatched, an open fails with FileExistsError within the
    first few dozen files and lines are lost; natively every file ends with both lines."""
    project = copy_project("create_race", tmp_path)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda f: run_harness(project, "-p", "no:cacheprovider", f), ["test_a.py", "test_b.py"]))
    for ran in runs:
        assert ran.returncode == 0 and ran.summary.startswith("1 passed"), ran.stdout + ran.stderr
        assert "nodefs-create-race (open_create_exists, create_truncates)" in ran.stdout
    contents = Counter("".join(sorted(f.read_text().splitlines())) for f in (project / "race").iterdir())
    assert contents == {"ab": 1500}


def test_faulthandler_timeout_does_not_crash(tmp_path: Path) -> None:
    project = copy_project("faulthandler", tmp_path)
    ran = run_harness(project, "-p", "no:cacheprovider")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 1 passed"
    assert "faulthandler-watchdog (dump_traceback_later)" in ran.stdout
    unpatched = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--no-patches", "--", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert unpatched.returncode == 3
    assert "unable to start watchdog thread" in unpatched.stdout


def test_older_pytest_inside_on_0_27(tmp_path: Path) -> None:
    """pytest 8.3 takes capture's truncate() path instead of 9.2's fstat: also patched."""
    native_dir = copy_project("capture", tmp_path / "n")
    harness_dir = copy_project("capture", tmp_path / "h")
    native = run_native(native_dir)
    command = [sys.executable, "-m", "harness.cli", "run", "--pyodide", "0.27.4", "--with", "pytest==8.3.5", "--"]
    ran = subprocess.run(command, cwd=harness_dir, capture_output=True, text=True, timeout=600)
    assert "pytest 8.3.5 inside" in ran.stdout
    assert ran.returncode == native.returncode == 1
    assert "1 failed, 3 passed" in ran.stdout.splitlines()[-1]
    assert "visible stdout line" in ran.stdout
