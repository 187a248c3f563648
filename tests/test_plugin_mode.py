"""The same machinery as a plain pytest plugin, and `harness doctor`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_project, run_native

pytestmark = pytest.mark.usefixtures("warm_dists")


def test_pytest_dash_p_plugin(tmp_path: Path) -> None:
    project = copy_project("basic", tmp_path)
    native = run_native(project, "-p", "no:cacheprovider")
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "harness.plugin", "--harness-runtime", "node", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == native.returncode == 1
    assert "harness: node runtime, Pyodide 314.0.7" in ran.stdout
    assert ran.stdout.splitlines()[-1].strip("= ").rsplit(" in ", 1)[0] == native.summary


def test_plugin_is_inert_without_runtime_option(tmp_path: Path) -> None:
    project = copy_project("crash", tmp_path)
    (project / "test_crash.py").write_text("import sys\ndef test_host():\n    assert sys.platform != 'emscripten'\n")
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "harness.plugin"], cwd=project, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout
    assert "harness:" not in ran.stdout


def test_doctor_lists_node_and_cached_versions() -> None:
    ran = subprocess.run([sys.executable, "-m", "harness.cli", "doctor"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout
    assert "ok       node: v" in ran.stdout
    assert "314.0.7" in ran.stdout.splitlines()[1]
    for name, binary in (("chromium", "chromium"), ("firefox", "firefox-esr")):
        path = shutil.which(binary)
        if path is None:
            assert f"missing  {name}:" in ran.stdout
            continue
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout.splitlines()[0]
        assert version.strip() in ran.stdout, (name, version)
