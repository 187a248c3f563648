"""Bad input: one line on stderr, a documented exit code, never a traceback, nothing left behind.

One table lists every input tried with its exit code and the line the user gets. ``{tmp}`` in
an argument or message is the test's directory; a ``setup`` builds what the input names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import need

from harness.provision import distribution as dist


class Case(NamedTuple):
    args: list[str]
    code: int
    message: str  # the one stderr line, after "ERROR: " (a prefix where the rest is pip's)
    env: dict[str, str] = {}
    setup: Callable[[Path], None] | None = None


def _dist_copy(tmp: Path, damage: Callable[[Path], None]) -> None:
    """A copy of the real 314.0.7 distribution at {tmp}/dist, then damaged."""
    good = dist.resolve("314.0.7", None).path
    shutil.copytree(good, tmp / "dist", ignore=shutil.ignore_patterns(".*"))
    damage(tmp / "dist")


def _truncate(name: str, size: int) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:size])

    return damage


CASES: dict[str, Case] = {
    # The command line itself.
    "unknown command": Case(
        ["frobnicate"],
        4,
        "unknown command 'frobnicate'; use 'harness run', 'harness probe', 'harness inspect', 'harness merge' or "
        "'harness doctor'",
    ),
    "option without its value": Case(["run", "--pyodide"], 4, "--pyodide needs a value (VERSION)"),
    "flag given a value": Case(["run", "--no-patches=1"], 4, "--no-patches takes no value"),
    "probe given a pytest argument": Case(["probe", "extra"], 4, "harness probe does not take 'extra'"),
    "probe given a run option": Case(["probe", "--with", "x"], 4, "harness probe does not take --with"),
    "unknown pytest option": Case(["run", "--bogus"], 4, "unrecognized arguments: --bogus"),
    "harness option after --": Case(["run", "--", "--timeout=3"], 4, "unrecognized arguments: --timeout=3"),
    "unknown runtime": Case(
        ["run", "--runtime", "safari"],
        4,
        "unknown runtime 'safari'; choose one of: node, chromium, firefox, ",
    ),
    # Numbers.
    "negative timeout": Case(["run", "--timeout", "-1"], 4, "--timeout expects a number >= 0, not '-1'"),
    "timeout not a number": Case(["run", "--timeout", "abc"], 4, "--timeout expects a number, not 'abc'"),
    "timeout nan": Case(["run", "--timeout=nan"], 4, "--timeout expects a number >= 0, not 'nan'"),
    "no runtimes": Case(["run", "-n", "0"], 4, "-n/--workers expects a number of runtimes or 'auto', not '0'"),
    "workers not a number": Case(
        ["run", "--workers", "two"], 4, "-n/--workers expects a number of runtimes or 'auto', not 'two'"
    ),
    "coverage threshold over 100": Case(
        ["run", "--cov", "--cov-fail-under", "101"], 4, "--cov-fail-under expects a number from 0 to 100, not '101'"
    ),
    # Coverage.
    "unknown coverage report": Case(
        ["run", "--cov", "--cov-report=bogus"],
        4,
        "unknown --cov-report 'bogus' (known: term, term-missing, html, xml, json, lcov, annotate, or '' for none)",
    ),
    "missing coverage config": Case(
        ["run", "--cov", "--cov-config", "/nonexistent/rc"],
        4,
        "coverage configuration: Couldn't read '/nonexistent/rc' as a config file",
    ),
    # Pyodide distributions.
    "version range": Case(
        ["run", "--pyodide", "0.27"], 4, "invalid Pyodide version '0.27': expected an exact npm version like 314.0.7"
    ),
    "no such release": Case(["run", "--pyodide", "9.9.9"], 4, "no Pyodide release 9.9.9 on npm"),
    "npm release that is no Pyodide": Case(
        ["run", "--pyodide", "0.1.0"], 4, "pyodide@0.1.0 on npm is not a Pyodide distribution: missing pyodide.mjs"
    ),
    "missing dist dir": Case(
        ["run", "--dist-dir", "/nonexistent/dist"],
        4,
        "/nonexistent/dist is not a Pyodide distribution: no such directory",
    ),
    "dist dir is a file": Case(
        ["run", "--dist-dir", "/etc/passwd"], 4, "/etc/passwd is not a Pyodide distribution: not a directory"
    ),
    "dist without its wasm": Case(
        ["run", "--dist-dir", "{tmp}/dist"],
        4,
        "{tmp}/dist is not a Pyodide distribution: missing pyodide.asm.wasm",
        setup=lambda tmp: _dist_copy(tmp, lambda d: (d / "pyodide.asm.wasm").unlink()),
    ),
    "truncated wasm": Case(
        ["run", "--dist-dir", "{tmp}/dist"],
        4,
        'node runtime failed to start: [CompileError: WebAssembly.instantiate(): section (code 2, "Import") '
        "extends past end of the module",
        setup=lambda tmp: _dist_copy(tmp, _truncate("pyodide.asm.wasm", 4096)),
    ),
    "truncated standard library": Case(
        ["run", "--dist-dir", "{tmp}/dist"],
        4,
        "cannot read {tmp}/dist/python_stdlib.zip: File is not a zip file",
        setup=lambda tmp: _dist_copy(tmp, _truncate("python_stdlib.zip", 100_000)),
    ),
    # Packages for the runtime.
    "missing requirements file": Case(
        ["run", "--requirements", "/nonexistent/req.txt"],
        4,
        "cannot read requirements file /nonexistent/req.txt: No such file or directory",
    ),
    "lock package not reachable": Case(
        ["run", "--with", "numpy"],
        4,
        "cannot fetch numpy 2.4.6 from Pyodide 314.0.7's lock at ",
    ),
    "package that does not exist": Case(
        ["run", "--with", "this-package-does-not-exist-harness"],
        4,
        "no wheel of this-package-does-not-exist-harness for Pyodide 314.0.7, which accepts cp314-cp314/abi3",
    ),
    "invalid requirement": Case(
        ["run", "--with", "not a requirement!"], 4, "invalid requirement 'not a requirement!' for --with"
    ),
    "pip option as requirement": Case(
        ["run", "--with=-e."], 4, "requirement '-e.' looks like a pip option; put it in a requirements file"
    ),
    # Executables named by the environment.
    "bad HARNESS_NODE": Case(
        ["run"], 4, "HARNESS_NODE=/nonexistent is not an executable", env={"HARNESS_NODE": "/nonexistent"}
    ),
    "bad HARNESS_CHROMIUM": Case(
        ["run", "--runtime", "chromium"],
        4,
        "HARNESS_CHROMIUM=/nonexistent/chromium is not an executable",
        env={"HARNESS_CHROMIUM": "/nonexistent/chromium"},
    ),
    "bad HARNESS_FIREFOX": Case(
        ["run", "--runtime", "firefox-worker"],
        4,
        "HARNESS_FIREFOX=/etc/passwd is not an executable",
        env={"HARNESS_FIREFOX": "/etc/passwd"},
    ),
}


@pytest.mark.usefixtures("warm_dists")
@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_bad_input_gives_one_line(tmp_path: Path, case: Case) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_x.py").write_text("def test_x():\n    pass\n")
    if case.setup is not None:
        case.setup(tmp_path)
    scratch = tmp_path / "tmp"  # the run's TMPDIR: whatever it leaves behind shows here
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), **case.env}
    env.pop("PYTEST_ADDOPTS", None)
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in case.args]
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], cwd=project, capture_output=True, text=True, env=env, timeout=300
    )
    # A download that worked before the input proved bad says so (the progress lines).
    progress = ("harness: downloaded ", "harness: unpacked ")
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith(progress)]
    assert proc.returncode == case.code, proc.stdout + proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ERROR: " + case.message.replace("{tmp}", str(tmp_path))), lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert list(scratch.iterdir()) == []  # no scratch or profile directory left behind


def test_a_usage_error_ends_the_browser_started_early() -> None:
    """Chromium starts while the host starts up, before the run's input is checked: input
    refused before any runtime starts still gives one line and exit 4, and the browser,
    its profile and its temporary files are gone with the run. (A short TMPDIR: Chromium aborts when the path
    of the socket it makes there passes about 100 bytes.)"""
    need("chromium")
    scratch = Path(tempfile.mkdtemp(prefix="h-", dir="/tmp"))
    project = scratch.parent / f"{scratch.name}-project"
    project.mkdir()
    try:
        (project / "test_x.py").write_text("def test_x():\n    pass\n")
        env = {**os.environ, "TMPDIR": str(scratch)}
        env.pop("PYTEST_ADDOPTS", None)
        missing = "./nope-1.0-py3-none-any.whl"  # refused before any runtime starts
        command = [sys.executable, "-m", "harness.cli", "run", "--runtime", "chromium", "--with", missing]
        proc = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 4, proc.stdout + proc.stderr
        assert proc.stderr.strip().splitlines() == [f"ERROR: --with {missing[2:]}: no such file"], proc.stderr
        assert list(scratch.iterdir()) == []
        assert _browsers_using(scratch) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(project, ignore_errors=True)


def _browsers_using(scratch: Path) -> list[Path]:
    """Processes whose command line names ``scratch`` (a browser's profile is there), once
    those the run killed on its way out have had a few seconds to be gone."""

    def running() -> list[Path]:
        return [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(scratch).encode() in _read(p)]

    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.1)
    return running()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile
        return b""
