"""Import modes, the host-owned cache (--lf/--ff/--nf/--sw), crashes and live streaming."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import copy_project, junit_outcomes, run_harness, run_native

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
    order = [ln.split(" ")[0] for ln in ff.stdout.splitlines() if "::" in ln and ln.rstrip().endswith("]")]
    native_order = [
        ln.split(" ")[0] for ln in ff_native.stdout.splitlines() if "::" in ln and ln.rstrip().endswith("]")
    ]
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
    executed = [ln.split(" ")[0] for ln in ran.stdout.splitlines() if "::" in ln and ln.rstrip().endswith("]")]
    assert executed[0] == "test_zz_new.py::test_brand_new", ran.stdout


def test_runtime_killed_mid_run_is_survived(tmp_path: Path) -> None:
    """os._exit kills the runtime: earlier reports stay, the test fails with the cause,
    the runtime restarts and the run goes on with the next test."""
    project = copy_project("crash", tmp_path)
    ran = run_harness(project, "-v", "--junitxml=out.xml", harness_args=("--report-json", "r.json"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "test_crash.py::test_before_one PASSED" in ran.stdout
    assert "test_crash.py::test_before_two PASSED" in ran.stdout
    assert "runtime exited unexpectedly while running test_crash.py::test_kills_the_runtime" in ran.stdout
    assert "Exit: Program terminated with exit(3); restarting the runtime" in ran.stdout
    assert "node exit code 3" in ran.stdout
    assert "test_crash.py::test_after PASSED" in ran.stdout
    assert "Traceback" not in ran.stderr
    outcomes = junit_outcomes(project / "out.xml")
    assert outcomes == {
        "test_crash::test_before_one": "passed",
        "test_crash::test_before_two": "passed",
        "test_crash::test_kills_the_runtime": "failure",
        "test_crash::test_after": "passed",
    }
    assert ran.summary == "1 failed, 3 passed"
    records = {t["nodeid"]: t for t in json.loads((project / "r.json").read_text())["tests"]}
    assert {n: (t["crash"], t["worker"]) for n, t in records.items()} == {
        "test_crash.py::test_before_one": (None, "rt0"),
        "test_crash.py::test_before_two": (None, "rt0"),
        "test_crash.py::test_kills_the_runtime": ("crash", "rt0"),
        "test_crash.py::test_after": (None, "rt0.1"),  # the replacement runtime
    }
    # lastfailed spans both runtimes: exactly the crashed test.
    assert _lastfailed(project) == {"test_crash.py::test_kills_the_runtime": True}


def test_fatal_error_output_lands_in_the_report_once(tmp_path: Path) -> None:
    """Pyodide's fatal-error text stays out of the progress line; the test's report shows the
    runtime's last words once (JavaScript frames only with -v) and JUnit carries the cause."""
    project = copy_project("fatal", tmp_path)
    ran = run_harness(project, "--junitxml=out.xml")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    output = ran.stdout + ran.stderr
    assert output.count("Pyodide has suffered a fatal error") == 1
    progress, _, report = ran.stdout.partition("= FAILURES =")
    assert "test_fatal.py .F" in progress and "Pyodide has suffered" not in progress
    assert "runtime's last words" in report and "RangeError: Maximum call stack size exceeded" in report
    assert "wasm://wasm" not in output  # no JavaScript frames without -v
    case = next(c for c in ET.parse(project / "out.xml").getroot().iter("testcase") if c.get("name") == "test_fatal")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert "RangeError: Maximum call stack size exceeded" in str(properties.get("runtime_crash"))
    assert "JavaScript stack overflowed" in str(properties.get("wasm_limitation"))
    failure = case.find("failure")
    assert failure is not None and "[WebAssembly limitation:" in failure.get("message", "")
    verbose = run_harness(project, "-v", "-p", "no:cacheprovider")
    assert "wasm://wasm" in verbose.stdout.partition("runtime's last words")[2]


def test_timeout_stops_a_spinning_test_and_goes_on(tmp_path: Path) -> None:
    project = tmp_path / "spin"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_spin.py").write_text(
        "import pytest\n\n"
        "def test_first():\n    pass\n\n"
        "def test_spins_forever():\n    while True:\n        pass\n\n"
        "@pytest.mark.timeout(2)\ndef test_marker_limit():\n    while True:\n        pass\n\n"
        "def test_last():\n    pass\n"
    )
    started = time.monotonic()
    ran = run_harness(
        project, "-v", "-p", "no:cacheprovider", harness_args=("--timeout", "6", "--report-json", "r.json")
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "test_spin.py::test_spins_forever FAILED" in ran.stdout
    assert "timed out after 6 s" in ran.stdout
    assert "test_spin.py::test_marker_limit FAILED" in ran.stdout
    assert "timed out after 2 s" in ran.stdout
    assert "test_spin.py::test_last PASSED" in ran.stdout
    assert ran.summary == "2 failed, 2 passed"
    assert time.monotonic() - started < 120
    crashes = {t["nodeid"]: t["crash"] for t in json.loads((project / "r.json").read_text())["tests"]}
    assert crashes == {
        "test_spin.py::test_first": None,
        "test_spin.py::test_spins_forever": "timeout",
        "test_spin.py::test_marker_limit": "timeout",
        "test_spin.py::test_last": None,
    }


def test_sigterm_writes_reports_and_leaves_no_process(tmp_path: Path) -> None:
    """What CI does at its own timeout: SIGTERM. Finished tests are in the summary and the
    JUnit XML, the exit status is 2 as for Ctrl-C, and no node process survives."""
    project = tmp_path / "sig"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_sig.py").write_text(
        "import time\n\ndef test_done():\n    pass\n\ndef test_sleeps():\n    time.sleep(300)\n"
    )
    command = [sys.executable, "-m", "harness.cli", "run", "--", "-v", "-p", "no:cacheprovider", "--junitxml=out.xml"]
    proc = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "test_sig.py::test_done PASSED" in line:
            break
    time.sleep(1)
    node_pids = _children(proc.pid)
    assert node_pids, "the runtime should be running"
    proc.send_signal(signal.SIGTERM)
    lines += proc.stdout.readlines()
    assert proc.wait(timeout=60) == 2
    output = "".join(lines)
    assert "1 passed" in lines[-1], output
    # Native pytest interrupted the same way writes the same: the finished test, plus an
    # empty <testcase/> opened by the interrupted test's setup report.
    assert junit_outcomes(project / "out.xml") == {"test_sig::test_done": "passed", "None::None": "passed"}
    time.sleep(0.5)
    assert [pid for pid in node_pids if Path(f"/proc/{pid}").exists()] == []


def _children(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


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


def test_webassembly_limitations_are_explained_and_counted(tmp_path: Path) -> None:
    project = copy_project("limits", tmp_path)
    ran = run_harness(project, "-p", "no:cacheprovider")
    assert ran.returncode == 1
    assert ran.summary == "3 failed"
    assert "3 failed, of which 2 are WebAssembly limitations" in ran.stdout
    assert "not possible in Pyodide: threads cannot be started" in ran.stdout
    # The project's own bug gets no hint.
    bug_section = ran.stdout.split("test_project_bug ___")[1].split("=====")[0]
    assert "WebAssembly limitation" not in bug_section
