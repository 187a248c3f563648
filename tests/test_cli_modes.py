"""Import modes, the host-owned cache (--lf/--ff/--nf/--sw), crashes and live streaming."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project, junit_outcomes, run_harness, run_native

pytestmark = pytest.mark.usefixtures("warm_dists")


@pytest.mark.parametrize("mode", ["prepend", "append", "importlib"])
def test_import_modes_match_native(tmp_path: Path, mode: str) -> None:
    args = (f"--import-mode={mode}", "--continue-on-collection-errors", "--junitxml=out.xml", "-p", "no:cacheprovider")
    native_dir = copy_project("importmodes", tmp_path / "n")
    harness_dir = copy_project("importmodes", tmp_path / "h")
    native = run_native(native_dir, *args)
    ran = run_harness(harness_dir, *args)
    assert ran.returncode == native.returncode, ran.stdout + ran.stderr
    assert ran.summary == native.summary
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    # prepend/append cannot import two same-named test files outside packages; importlib can.
    assert (mode == "importlib") == (native.returncode == 0)


def _lastfailed(project: Path) -> dict[str, bool]:
    return json.loads((project / ".pytest_cache/v/cache/lastfailed").read_text())


def test_last_failed_and_cache_owned_by_host(tmp_path: Path) -> None:
    native_dir = copy_project("basic", tmp_path / "n")
    harness_dir = copy_project("basic", tmp_path / "h")
    first_native, first = run_native(native_dir), run_harness(harness_dir)
    assert first.returncode == first_native.returncode == 1
    # The cache content is what native pytest writes, key for key.
    assert _lastfailed(harness_dir) == _lastfailed(native_dir)
    assert (harness_dir / ".pytest_cache/v/cache/nodeids").read_text() == (
        native_dir / ".pytest_cache/v/cache/nodeids"
    ).read_text()
    assert (harness_dir / ".pytest_cache/CACHEDIR.TAG").exists()
    leftovers = [p.name for p in (harness_dir / ".pytest_cache/v/cache").iterdir() if p.name.startswith(".")]
    assert leftovers == []

    lf_native, lf = run_native(native_dir, "--lf", "-v"), run_harness(harness_dir, "--lf", "-v")
    assert lf.returncode == lf_native.returncode == 1
    assert lf.summary == lf_native.summary == "3 failed, 1 passed, 1 deselected, 2 errors"
    assert "run-last-failure: rerun previous 5 failures" in lf.stdout

    ff_native, ff = run_native(native_dir, "--ff", "-v"), run_harness(harness_dir, "--ff", "-v")
    order = [l.split(" ")[0] for l in ff.stdout.splitlines() if "::" in l and l.rstrip().endswith("]")]
    native_order = [l.split(" ")[0] for l in ff_native.stdout.splitlines() if "::" in l and l.rstrip().endswith("]")]
    assert order == native_order
    assert order[0] == "test_outcomes.py::test_fail_with_output"
    assert ff.summary == ff_native.summary


def test_stepwise_across_two_runs(tmp_path: Path) -> None:
    native_dir = copy_project("basic", tmp_path / "n")
    harness_dir = copy_project("basic", tmp_path / "h")
    for _ in range(2):
        native = run_native(native_dir, "--sw")
        ran = run_harness(harness_dir, "--sw")
        assert (ran.returncode, ran.summary) == (native.returncode, native.summary)
    def stepwise(project: Path) -> dict[str, object]:
        data = json.loads((project / ".pytest_cache/v/cache/stepwise").read_text())
        return {k: v for k, v in data.items() if "time" not in k and "date" not in k}

    assert stepwise(harness_dir) == stepwise(native_dir)
    assert stepwise(harness_dir)["last_failed"] == "test_outcomes.py::test_fail_with_output"


def test_new_first_across_two_runs(tmp_path: Path) -> None:
    harness_dir = copy_project("basic", tmp_path)
    run_harness(harness_dir)
    (harness_dir / "test_zz_new.py").write_text("def test_brand_new():\n    pass\n")
    ran = run_harness(harness_dir, "--nf", "-v")
    executed = [l.split(" ")[0] for l in ran.stdout.splitlines() if "::" in l and l.rstrip().endswith("]")]
    assert executed[0] == "test_zz_new.py::test_brand_new", ran.stdout


def test_runtime_killed_mid_run_keeps_earlier_reports(tmp_path: Path) -> None:
    project = copy_project("crash", tmp_path)
    ran = run_harness(project, "-v", "--junitxml=out.xml")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "test_crash.py::test_before_one PASSED" in ran.stdout
    assert "test_crash.py::test_before_two PASSED" in ran.stdout
    assert "runtime exited unexpectedly while running test_crash.py::test_kills_the_runtime" in ran.stdout
    assert "exit code 3" in ran.stdout
    assert "Traceback" not in ran.stderr
    outcomes = junit_outcomes(project / "out.xml")
    assert outcomes["test_crash::test_before_one"] == "passed"
    assert outcomes["test_crash::test_kills_the_runtime"] == "failure"
    assert ran.summary == "1 failed, 2 passed"


def test_results_stream_live(tmp_path: Path) -> None:
    """The second test waits for a file the host test writes only after it has *seen* the
    first result on the harness's output; without live streaming it times out and fails."""
    project = tmp_path / "live"
    project.mkdir()
    gate = project / "gate"  # inside the project: the only host directory the runtime sees
    (project / "pytest.ini").write_text("[pytest]\n")
    body = [
        "import os, time",
        "def test_0000():\n    pass",
        f"def test_0001():\n    deadline = time.time() + 120\n"
        f"    while not os.path.exists({str(gate)!r}):\n"
        f"        assert time.time() < deadline, 'first result never reached the host'\n"
        f"        time.sleep(0.05)",
    ]
    body += [f"def test_{i:04d}():\n    pass" for i in range(2, 1000)]
    (project / "test_many.py").write_text("\n\n".join(body) + "\n")
    command = [sys.executable, "-m", "harness.cli", "run", "--", "-v", "-p", "no:cacheprovider"]
    proc = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = []
    seen_first_at = None
    for line in proc.stdout:
        lines.append(line)
        if seen_first_at is None and "test_many.py::test_0000 PASSED" in line:
            seen_first_at = time.monotonic()
            gate.write_text("go")
    assert proc.wait(timeout=600) == 0, "".join(lines[-30:])
    assert seen_first_at is not None
    assert "1000 passed" in lines[-1]
    assert sum(" PASSED" in line for line in lines) == 1000
