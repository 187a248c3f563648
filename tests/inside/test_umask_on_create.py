"""Created files and directories honour the umask inside the runtime, as on CPython.

Runs inside the runtime (and on host CPython, where it must pass unchanged): MEMFS (/tmp)
and the host mount (this directory) both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(params=["memfs", "host-mount"])
def directory(request: pytest.FixtureRequest):
    base = Path(tempfile.gettempdir()) if request.param == "memfs" else HERE
    path = base / f".umask-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_modes_follow_the_umask(directory: Path, mask: int, file_mode: int, dir_mode: int) -> None:
    old = os.umask(mask)
    try:
        (directory / "f.txt").write_text("x")
        os.close(os.open(directory / "g", os.O_CREAT | os.O_WRONLY, 0o666))
        (directory / "d").mkdir()
    finally:
        os.umask(old)
    assert (directory / "f.txt").stat().st_mode & 0o777 == file_mode
    assert (directory / "g").stat().st_mode & 0o777 == file_mode
    assert (directory / "d").stat().st_mode & 0o777 == dir_mode


def test_umask_returns_the_previous_value() -> None:
    old = os.umask(0o027)
    try:
        assert os.umask(0o022) == 0o027
    finally:
        os.umask(old)


def test_explicit_chmod_is_not_masked(directory: Path) -> None:
    target = directory / "open.txt"
    target.write_text("x")
    target.chmod(0o666)
    assert target.stat().st_mode & 0o777 == 0o666
