"""pytest's output capture works inside the runtime.

Why: pytest >= 9.2 fstat()s the unlinked TemporaryFile behind fd capture; on Pyodide <= 0.27
that crashed every run until ``wasm_patches`` was applied. These run under the default
``--capture=fd`` and also pass on host CPython.
"""

from __future__ import annotations

import os
import sys

import pytest


def test_default_fd_capture_survives_output() -> None:
    print("to stdout")
    print("to stderr", file=sys.stderr)
    os.write(1, b"raw fd 1\n")
    os.write(2, b"raw fd 2\n")


def test_capsys(capsys: pytest.CaptureFixture[str]) -> None:
    print("hello")
    print("oops", file=sys.stderr)
    assert capsys.readouterr() == ("hello\n", "oops\n")
    print("again")
    assert capsys.readouterr().out == "again\n"  # each read starts empty again


def test_capfd(capfd: pytest.CaptureFixture[str]) -> None:
    os.write(1, b"raw\n")
    print("py", flush=True)
    os.write(2, b"err\n")
    out, err = capfd.readouterr()
    assert out == "raw\npy\n"
    assert err == "err\n"
    assert capfd.readouterr() == ("", "")


def test_capfdbinary(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    os.write(1, b"\x00\xffbytes")
    assert capfdbinary.readouterr().out == b"\x00\xffbytes"


def test_large_output_and_repeated_snaps(capfd: pytest.CaptureFixture[str]) -> None:
    big = "y" * 200_000
    for _ in range(3):
        print(big, flush=True)
        assert capfd.readouterr().out == big + "\n"


def test_capsys_disabled(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("[shown live]")
    print("captured")
    assert capsys.readouterr().out == "captured\n"
