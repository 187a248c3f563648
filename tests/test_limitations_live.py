"""Known WebAssembly limitations, live: a probe project run through the harness on every
Pyodide version the suite covers; each failing report must carry its hint in the JUnit XML
(property and message) and in the terminal summary. The pure tests on captured failure
texts are in ``tests/unit/test_limitations.py``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from helpers import PYODIDE_VERSIONS, Result, run_harness

from harness.host.limitations import explain

# -- live: a probe project run through the harness ------------------------------------------

PROBE = """\
import os, socket, subprocess, sys, threading, time
import pytest

def test_threads():
    threading.Thread(target=print).start()

def test_processes():
    subprocess.run([sys.executable, "-c", "pass"], check=True)

def test_fork():
    os.fork()

def test_multiprocessing():
    import multiprocessing
    multiprocessing.Queue()

def test_signals():
    import signal
    signal.alarm(1)

def test_ipv6():
    socket.inet_pton(socket.AF_INET6, "::1")

def test_network():
    socket.create_connection(("127.0.0.1", 9), timeout=1)

def test_stack_switching():
    from pyodide.ffi import run_sync
    async def one():
        return 1
    run_sync(one())

def test_missing_module():
    import tkinter

def test_os_function(tmp_path):
    (tmp_path / "a").write_text("x")
    os.link(tmp_path / "a", tmp_path / "b")

def test_tzset():
    time.tzset()

def test_errno_number(tmp_path):
    with pytest.raises(OSError) as info:
        open(tmp_path / "missing")
    assert info.value.errno == 2

def test_crash_socketpair():
    socket.socketpair()  # kills the runtime (listen() needs the 'ws' module)

def test_project_bug():
    assert sum([1, 2]) == 4

def test_bug_quoting_a_limitation():
    message = "RuntimeError: can't start new thread"
    assert message == "no thread needed"

def test_after_crash():
    pass
"""

# probe test -> fragment of its hint (None: the project's own failure, no hint)
EXPECTED = {
    "test_threads": "threads cannot be started",
    "test_processes": "processes cannot be started",
    "test_fork": "processes cannot be forked",
    "test_multiprocessing": "multiprocessing needs processes",
    "test_signals": "signal.alarm does not exist",
    "test_ipv6": "IPv6 is disabled",
    "test_network": "sockets cannot reach the network",
    "test_stack_switching": "stack switching (JSPI)",
    "test_missing_module": "tkinter",
    "test_os_function": "os.link does not exist",
    "test_tzset": "time.tzset does not exist",
    "test_errno_number": "ENOENT",
    "test_crash_socketpair": "sockets cannot listen or be paired",
    "test_project_bug": None,
    "test_bug_quoting_a_limitation": None,
}


@pytest.fixture(scope="module", params=PYODIDE_VERSIONS)
def probe_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Result, dict[str, str | None]]:
    """Run the probe project once per version: (harness result, {test name: failure text})."""
    request.getfixturevalue("warm_dists")
    project = tmp_path_factory.mktemp(f"probe-{request.param}")
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_probe.py").write_text(PROBE)
    ran = run_harness(project, "--junitxml=out.xml", pyodide=request.param)
    failures: dict[str, str | None] = {}
    for case in ET.parse(project / "out.xml").getroot().iter("testcase"):
        name = str(case.get("name"))
        failed = [child for child in case if child.tag in ("failure", "error")]
        failures[name] = failed[0].text or "" if failed else None
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        messages[request.param][name] = (failed[0].get("message", "") if failed else "", properties)
    cached = project / ".pytest_cache" / "v" / "harness" / "limitations"
    remembered[request.param] = json.loads(cached.read_text()) if cached.exists() else {}
    return ran, failures


# version -> test name -> (JUnit failure message, JUnit properties); version -> cached hints
messages: dict[str, dict[str, tuple[str, dict[str | None, str | None]]]] = {v: {} for v in PYODIDE_VERSIONS}
remembered: dict[str, dict[str, str]] = {}


def version_of(probe_run: tuple[Result, dict[str, str | None]]) -> str:
    """The Pyodide version a probe run used (its header names it)."""
    return next(v for v in PYODIDE_VERSIONS if f"Pyodide {v} " in probe_run[0].stdout)


def test_live_failures_are_explained(probe_run: tuple[Result, dict[str, str | None]]) -> None:
    ran, failures = probe_run
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert set(failures) == set(EXPECTED) | {"test_after_crash"}
    assert failures["test_after_crash"] is None  # the run went on after the crash
    for name, expected in EXPECTED.items():
        text = failures[name]
        assert text is not None, f"{name} passed in the runtime"
        message, properties = messages[version_of(probe_run)][name]
        hint = properties.get("wasm_limitation")
        if expected is None:
            assert hint is None and explain(text) is None, (name, hint)
            assert "WebAssembly limitation" not in message
        else:
            # The hint reaches CI tools: a JUnit property, the failure message, the --lf data.
            assert hint is not None and expected in hint, (name, properties, text[-500:])
            assert f"[WebAssembly limitation: {hint}]" in message, message
            assert remembered[version_of(probe_run)][f"test_probe.py::{name}"] == hint


def test_live_summary_counts_crashes_too(probe_run: tuple[Result, dict[str, str | None]]) -> None:
    ran, _ = probe_run
    explained = sum(1 for expected in EXPECTED.values() if expected)
    assert f"15 failed, of which {explained} are WebAssembly limitations" in ran.stdout
