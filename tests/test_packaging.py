"""The built wheel carries the runtime-side files and works outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import copy_project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("harness-*.whl")
    return built


def test_wheel_contains_runtime_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "browsers/node/main.mjs",
        "browsers/boot.mjs",
        "browsers/page/page.html",
        "browsers/page/runtime.mjs",
        "harness/inside/reporter.py",
        "harness/inside/runner.py",
        "harness/inside/protocol.py",
        "harness/host/controller.py",
        "wasm_patches/__init__.py",
        "wasm_patches/fd_without_path.py",
        "wasm_patches/fd_without_path.js",
        "harness/inside/compat/pytest_pyodide/__init__.py",
        "harness/inside/compat/pytest_pyodide/hook.py",
        "harness/inside/compat/pytest_pyodide/run_js_support.mjs",
    ):
        assert required in names


@pytest.mark.usefixtures("warm_dists")
def test_installed_wheel_runs_a_project(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv with only the wheel (and its dependencies): `harness run` works."""
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the venv's own harness
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True, env=env)
    project = copy_project("crash", tmp_path)
    (project / "test_crash.py").write_text("def test_installed():\n    pass\n")
    ran = subprocess.run(
        [str(venv / "bin" / "harness"), "run", "--", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
    assert (
        str(venv)
        in subprocess.run(
            [str(python), "-c", "import browsers, harness; print(browsers.__file__, harness.__file__)"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
        ).stdout
    )
