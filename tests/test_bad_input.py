"""Bad input: one line on stderr, exit code 4, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--pyodide", "9.9.9"], "no Pyodide release 9.9.9 on npm"),
        (["run", "--pyodide", "0.27"], "invalid Pyodide version '0.27'"),
        (["run", "--dist-dir", "/nonexistent/dist"], "/nonexistent/dist"),
        (["run", "--runtime", "safari"], "unknown runtime 'safari'"),
        (["run", "--with", "numpy"], "cannot fetch numpy 2.4.6 from Pyodide 314.0.7"),
        (["run", "--with", "this-package-does-not-exist-harness"], "this-package-does-not-exist-harness"),
        (["run", "--pyodide"], "--pyodide needs a value"),
        (["run", "--with", "not a requirement!"], "invalid requirement 'not a requirement!'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
    ],
)
def test_one_line_error_exit_4(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    proc = harness(*args, cwd=tmp_path)
    lines = error_lines(proc)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_corrupt_dist_dir(tmp_path: Path) -> None:
    from harness.provision import distribution as dist

    good = dist.resolve("314.0.7", None).path
    broken = tmp_path / "dist"
    broken.mkdir()
    for name in ("pyodide.mjs", "python_stdlib.zip", "pyodide-lock.json", "pyodide.asm.mjs"):
        (broken / name).write_bytes((good / name).read_bytes())
    proc = harness("run", "--dist-dir", str(broken), cwd=tmp_path)
    assert proc.returncode == 4
    assert error_lines(proc) == [f"ERROR: {broken} is not a Pyodide distribution: missing pyodide.asm.wasm"]


def test_truncated_wasm_fails_at_boot_with_one_line(tmp_path: Path) -> None:
    """A dist that verifies but cannot boot (truncated wasm): clear error, exit 4."""
    from harness.provision import distribution as dist

    good = dist.resolve("314.0.7", None).path
    broken = tmp_path / "dist"
    broken.mkdir()
    for path in good.iterdir():
        if path.is_file():
            data = path.read_bytes()
            (broken / path.name).write_bytes(data[:4096] if path.name == "pyodide.asm.wasm" else data)
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    proc = harness("run", "--dist-dir", str(broken), cwd=tmp_path)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    # The runtime's own stderr is held back during boot; only the one-line cause is shown.
    assert len(error_lines(proc)) == 1, proc.stderr
    assert error_lines(proc)[0].startswith("ERROR: node runtime failed to start: [CompileError: ")
    assert "Traceback" not in proc.stdout
